import AMQP

/// The broker topology of CONTRACT.md, declared idempotently by `recoupd` on every (re)connect.
public enum RecoupTopology {
    public static let inboundExchange = "billing.events"
    public static let outboundExchange = "recoup.outbound"
    public static let escalationsExchange = "recoup.escalations"
    public static let commandsExchange = "recoup.commands"
    public static let deadLetterExchange = "recoup.dlx"

    /// Broker-side backstop: a quorum queue dead-letters a message redelivered this many times
    /// (RabbitMQ 3.10 has no default). The daemon itself gives up earlier, with a reason.
    public static let brokerDeliveryLimit: Int64 = 20

    /// One inbound work queue with its bindings and its dead-letter queue.
    public struct InboundQueue: Sendable, Hashable {
        public let name: String
        public let bindingKeys: [String]
        public var deadLetterQueue: String { "\(name).dlq" }
        /// Routing key on `recoup.dlx` that lands in this queue's `.dlq`.
        public var deadLetterRoutingKey: String { name }
    }

    public static let paymentFailures = InboundQueue(name: "recoup.payment-failures", bindingKeys: ["payment.failed"])
    public static let invoices = InboundQueue(
        name: "recoup.invoices",
        bindingKeys: ["invoice.#", "payment.succeeded", "account.#", "dispute.#", "crm.#", "collections.#"])
    public static let replies = InboundQueue(name: "recoup.replies", bindingKeys: ["reply.#"])

    public static let inboundQueues = [paymentFailures, invoices, replies]

    /// Everything `recoupd` declares.
    public static let topology: AMQPTopology = {
        var exchanges = [inboundExchange, outboundExchange, escalationsExchange, commandsExchange, deadLetterExchange]
            .map { AMQPTopology.Exchange(name: $0, type: "topic", durable: true) }
        exchanges.sort { $0.name < $1.name }
        var queues: [AMQPTopology.Queue] = []
        var bindings: [AMQPTopology.Binding] = []
        for queue in inboundQueues {
            queues.append(AMQPTopology.Queue(name: queue.name, durable: true, arguments: [
                "x-queue-type": .string("quorum"),
                "x-dead-letter-exchange": .string(deadLetterExchange),
                "x-dead-letter-routing-key": .string(queue.deadLetterRoutingKey),
                "x-delivery-limit": .int(brokerDeliveryLimit),
            ]))
            queues.append(AMQPTopology.Queue(name: queue.deadLetterQueue, durable: true, arguments: [
                "x-queue-type": .string("quorum"),
            ]))
            for key in queue.bindingKeys {
                bindings.append(AMQPTopology.Binding(queue: queue.name, exchange: inboundExchange, routingKey: key))
            }
            bindings.append(AMQPTopology.Binding(queue: queue.deadLetterQueue, exchange: deadLetterExchange, routingKey: queue.deadLetterRoutingKey))
        }
        return AMQPTopology(exchanges: exchanges, queues: queues, bindings: bindings)
    }()
}
