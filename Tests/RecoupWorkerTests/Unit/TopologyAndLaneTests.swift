import AMQP
import Foundation
import Testing
@testable import RecoupWorker

@Suite("Topology, lanes and dead-letter messages")
struct TopologyAndLaneTests {
    @Test("the topology is CONTRACT.md's: quorum queues with DLX routing into their .dlq")
    func topology() {
        let topology = RecoupTopology.topology
        #expect(Set(topology.exchanges.map(\.name)) == ["billing.events", "recoup.outbound", "recoup.escalations", "recoup.commands", "recoup.dlx"])
        #expect(topology.exchanges.allSatisfy { $0.type == "topic" && $0.durable })
        for queue in ["recoup.payment-failures", "recoup.invoices", "recoup.replies"] {
            let declared = topology.queues.first { $0.name == queue }
            #expect(declared?.arguments["x-queue-type"] == .string("quorum"))
            #expect(declared?.arguments["x-dead-letter-exchange"] == .string("recoup.dlx"))
            #expect(declared?.arguments["x-delivery-limit"] != nil)
            #expect(topology.bindings.contains { $0.queue == "\(queue).dlq" && $0.exchange == "recoup.dlx" && $0.routingKey == queue })
        }
        let invoiceKeys = Set(topology.bindings.filter { $0.queue == "recoup.invoices" }.map(\.routingKey))
        #expect(invoiceKeys == ["invoice.#", "payment.succeeded", "account.#", "dispute.#", "crm.#", "collections.#"])
    }

    @Test("an account always maps to the same lane, and lanes spread accounts")
    func lanes() {
        #expect(QueueConsumerService.lane(for: "acc_42", lanes: 8) == QueueConsumerService.lane(for: "acc_42", lanes: 8))
        let used = Set((0..<1000).map { QueueConsumerService.lane(for: "acc_\($0)", lanes: 8) })
        #expect(used == Set(0..<8))
    }

    @Test("a dead letter keeps body and headers and adds reason, class and origin")
    func deadLetterMessage() {
        var properties = AMQPProperties()
        properties.messageID = "evt_1"
        properties.headers = ["x-delivery-count": .int(2), "custom": .string("kept")]
        let delivery = AMQPDelivery(
            body: Array("{}".utf8), exchange: "billing.events", routingKey: "invoice.created", deliveryTag: 7,
            redelivered: true, properties: properties, consumerGeneration: 1)
        let message = DeadLetter.message(for: delivery, from: RecoupTopology.invoices, errorClass: .schema,
                                         reason: "data.number: required\nsecond line", at: Date(timeIntervalSince1970: 0))
        #expect(message.exchange == "recoup.dlx")
        #expect(message.routingKey == "recoup.invoices")
        #expect(message.body == delivery.body)
        #expect(message.properties.messageID == "evt_1")
        #expect(message.properties.persistent)
        #expect(message.properties.headers["custom"] == .string("kept"))
        #expect(message.properties.headers["x-recoup-error"] == .string("data.number: required second line"))
        #expect(message.properties.headers["x-recoup-error-class"] == .string("schema"))
        #expect(message.properties.headers["x-recoup-original-routing-key"] == .string("invoice.created"))
        #expect(message.properties.headers["x-recoup-original-exchange"] == .string("billing.events"))
        #expect(message.properties.headers["x-recoup-delivery-count"] == .int(3))
    }
}
