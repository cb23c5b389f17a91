import AMQP
import Foundation
import RecoupCore
@testable import RecoupWorker
import Testing

/// How `recoupctl dlq` reads a dead letter, selects it, and builds its replay: pure, no broker.
@Suite("dead-letter records and selections")
struct DeadLetterRecordTests {
    static let deadLetteredAt = Date(timeIntervalSince1970: 1_796_000_000)

    /// A dead letter exactly as recoupd writes it.
    static func record(id: String = "evt_1", routingKey: String = "invoice.created", errorClass: DeadLetterClass = .schema,
                       extraHeaders: [String: AMQPFieldValue] = [:]) -> DeadLetterRecord {
        var properties = AMQPProperties(contentType: "application/cloudevents+json", messageID: id)
        properties.headers = extraHeaders
        let original = AMQPDelivery(body: Array(#"{"data":{"account_id":"acc_7"}}"#.utf8), exchange: "billing.events",
                                    routingKey: routingKey, deliveryTag: 9, redelivered: true, properties: properties,
                                    consumerGeneration: 1)
        let message = DeadLetter.message(for: original, from: RecoupTopology.invoices, errorClass: errorClass,
                                         reason: "data.number: required field missing", at: deadLetteredAt)
        return DeadLetterRecord(queue: "recoup.invoices.dlq", delivery: AMQPDelivery(
            body: message.body, exchange: message.exchange, routingKey: message.routingKey, deliveryTag: 1, redelivered: false,
            properties: message.properties, consumerGeneration: 1))
    }

    @Test("a dead letter written by recoupd reads back with its class, reason, origin, age and deliveries")
    func readsRecoupHeaders() {
        let record = Self.record(extraHeaders: ["x-delivery-count": .int(3)])
        #expect(record.messageID == "evt_1")
        #expect(record.errorClass == "schema")
        #expect(record.reason == "data.number: required field missing")
        #expect(record.originalExchange == "billing.events")
        #expect(record.originalRoutingKey == "invoice.created")
        #expect(record.originalQueue == "recoup.invoices")
        #expect(record.eventType == "invoice.created")
        #expect(record.deliveryCount == 4, "x-delivery-count 3 means this was the fourth delivery")
        #expect(record.age(at: Self.deadLetteredAt.addingTimeInterval(90)) == 90)
        #expect(record.accountID == "acc_7")
        #expect(record.replays == 0)
    }

    @Test("a message the broker dead-lettered (delivery limit) is read from x-death")
    func readsBrokerHeaders() {
        let death: AMQPFieldValue = .table([
            "count": .int(20), "exchange": .string("billing.events"), "queue": .string("recoup.replies"),
            "reason": .string("delivery_limit"), "routing-keys": .array([.string("reply.received")]),
            "time": .timestamp(Self.deadLetteredAt),
        ])
        var properties = AMQPProperties(messageID: "evt_b")
        properties.headers = ["x-death": .array([death]), "x-first-death-reason": .string("delivery_limit"),
                              "x-first-death-exchange": .string("billing.events"), "x-first-death-queue": .string("recoup.replies")]
        let record = DeadLetterRecord(queue: "recoup.replies.dlq", delivery: AMQPDelivery(
            body: [], exchange: "recoup.dlx", routingKey: "recoup.replies", deliveryTag: 1, redelivered: false,
            properties: properties, consumerGeneration: 1))
        #expect(record.errorClass == "broker:delivery_limit")
        #expect(record.reason.contains("delivery_limit"))
        #expect(record.originalRoutingKey == "reply.received")
        #expect(record.originalQueue == "recoup.replies")
        #expect(record.deliveryCount == 20)
        #expect(record.deadLetteredAt == Self.deadLetteredAt)
    }

    @Test("a replay keeps body and message id, drops the reasons and delivery counters, and counts itself")
    func replayMessage() {
        let record = Self.record(extraHeaders: ["x-delivery-count": .int(4), "x-death": .array([]), "tenant": .string("eu")])
        let now = Self.deadLetteredAt.addingTimeInterval(3_600)
        let replay = record.replayMessage(at: now, direct: false)
        #expect(replay.exchange == "billing.events" && replay.routingKey == "invoice.created")
        #expect(replay.body == record.delivery.body)
        #expect(replay.properties.messageID == "evt_1")
        #expect(replay.properties.persistent)
        let headers = replay.properties.headers
        #expect(headers["tenant"] == .string("eu"), "the publisher's own headers travel on")
        for dropped in DeadLetterRecord.headersDroppedOnReplay { #expect(headers[dropped] == nil, "\(dropped)") }
        #expect(headers[DeadLetter.replaysHeader] == .int(1))

        let direct = record.replayMessage(at: now, direct: true)
        #expect(direct.exchange == "" && direct.routingKey == "recoup.invoices")

        // Dead-lettered again after that replay, and replayed again: the count goes on.
        let again = DeadLetterRecord(queue: record.queue, delivery: AMQPDelivery(
            body: replay.body, exchange: "recoup.dlx", routingKey: "recoup.invoices", deliveryTag: 2, redelivered: false,
            properties: replay.properties, consumerGeneration: 1))
        #expect(again.replays == 1)
        #expect(again.replayMessage(at: now, direct: false).properties.headers[DeadLetter.replaysHeader] == .int(2))
    }

    @Test("queues are named in full, without .dlq, or short; anything else is refused", arguments: [
        ("recoup.invoices.dlq", "recoup.invoices.dlq"), ("recoup.invoices", "recoup.invoices.dlq"), ("invoices", "recoup.invoices.dlq"),
        ("payment-failures", "recoup.payment-failures.dlq"), ("replies", "recoup.replies.dlq"), ("billing.events", nil), ("", nil),
    ] as [(String, String?)])
    func queueNames(_ name: String, expected: String?) {
        #expect((try? DeadLetterSelection.queue(named: name)) == expected)
    }

    /// One row of the selection table: the conditions set, and whether the record matches.
    struct Condition: Sendable, CustomTestStringConvertible {
        var id: String? = nil, errorClass: String? = nil, type: String? = nil, olderThan: TimeInterval? = nil
        let matches: Bool
        var testDescription: String { "id \(id ?? "-") class \(errorClass ?? "-") type \(type ?? "-") older \(olderThan.map { "\($0)" } ?? "-")" }
    }

    @Test("a selection matches on every condition it has", arguments: [
        Condition(id: "evt_1", matches: true), Condition(id: "evt_2", matches: false),
        Condition(errorClass: "schema", matches: true), Condition(errorClass: "malformed", matches: false),
        Condition(type: "invoice.created", matches: true), Condition(type: "invoice.*", matches: true),
        Condition(type: "payment.*", matches: false), Condition(type: "invoice", matches: false),
        Condition(olderThan: 60, matches: true), Condition(olderThan: 7_200, matches: false),
        Condition(errorClass: "schema", type: "payment.failed", matches: false),
    ])
    func selection(_ condition: Condition) {
        var selection = DeadLetterSelection()
        selection.messageIDs = Set([condition.id].compactMap { $0 })
        selection.errorClass = condition.errorClass
        selection.eventType = condition.type
        selection.olderThan = condition.olderThan
        #expect(selection.isFiltered)
        #expect(selection.matches(Self.record(), at: Self.deadLetteredAt.addingTimeInterval(3_600)) == condition.matches)
    }

    @Test("without an age a message is never 'older than'; without conditions a selection is not narrowed")
    func unknownAge() {
        let record = DeadLetterRecord(queue: "recoup.invoices.dlq", delivery: AMQPDelivery(
            body: [], exchange: "recoup.dlx", routingKey: "recoup.invoices", deliveryTag: 1, redelivered: false,
            properties: AMQPProperties(), consumerGeneration: 1))
        var selection = DeadLetterSelection()
        #expect(!selection.isFiltered)
        #expect(selection.matches(record, at: Date()))
        selection.olderThan = 1
        #expect(!selection.matches(record, at: Date()))
    }
}
