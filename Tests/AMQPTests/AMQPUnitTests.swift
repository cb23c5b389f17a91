import Foundation
import Testing
@testable import AMQP

@Suite("AMQP URL")
struct AMQPURLTests {
    @Test("valid URLs", arguments: [
        ("amqp://u:p@host:5673/vh", AMQPURL(host: "host", port: 5673, user: "u", password: "p", vhost: "vh")),
        ("amqp://host", AMQPURL(host: "host", port: 5672)),
        ("amqp://host/", AMQPURL(host: "host", port: 5672, vhost: "/")),
        ("amqp://host/%2F", AMQPURL(host: "host", port: 5672, vhost: "/")),
        ("amqps://u:p%40ss@broker.example/prod%2Feu", AMQPURL(host: "broker.example", port: 5671, user: "u", password: "p@ss", vhost: "prod/eu", tls: true)),
        ("AMQP://u:p@127.0.0.1:56729/recoup", AMQPURL(host: "127.0.0.1", port: 56729, user: "u", password: "p", vhost: "recoup")),
    ])
    func valid(text: String, expected: AMQPURL) throws {
        #expect(try AMQPURL.parse(text) == expected)
    }

    @Test("invalid URLs are refused", arguments: ["", "host:5672", "http://host/", "amqp://", "amqp://host:99999/", "amqp://host/a/b"])
    func invalid(text: String) {
        #expect(throws: AMQPURL.Invalid.self) { try AMQPURL.parse(text) }
    }

    @Test("the description hides the password")
    func description() throws {
        let url = try AMQPURL.parse("amqp://svc:hunter2@host/v")
        #expect(!url.description.contains("hunter2"))
        #expect(url.description == "amqp://svc:***@host:5672/v")
        #expect(!String(describing: AMQPConfiguration(url: url, connectionName: "x")).contains("hunter2"))
        #expect(!String(reflecting: url).contains("hunter2"))
    }
}

@Suite("Publisher confirm tracking")
struct ConfirmTrackerTests {
    @Test("single acks settle one batch when all its messages are confirmed")
    func singles() {
        var tracker = ConfirmTracker()
        #expect(tracker.published(batch: 1) == 1)
        #expect(tracker.published(batch: 1) == 2)
        #expect(tracker.published(batch: 2) == 3)
        #expect(tracker.ack(1, multiple: false).isEmpty)
        #expect(tracker.ack(3, multiple: false) == [.init(batch: 2, ok: true)])
        #expect(tracker.ack(2, multiple: false) == [.init(batch: 1, ok: true)])
        #expect(tracker.isEmpty)
    }

    @Test("multiple acks settle every outstanding number up to the tag")
    func multiple() {
        var tracker = ConfirmTracker()
        for batch in [1, 1, 2, 3, 3] as [UInt64] { tracker.published(batch: batch) }
        #expect(tracker.ack(4, multiple: true) == [.init(batch: 1, ok: true), .init(batch: 2, ok: true)])
        #expect(tracker.pendingBatches == [3])
        #expect(tracker.ack(5, multiple: true) == [.init(batch: 3, ok: true)])
    }

    @Test("a nack fails the whole batch; a return before the ack fails it too")
    func failures() {
        var tracker = ConfirmTracker()
        for batch in [1, 1, 2] as [UInt64] { tracker.published(batch: batch) }
        #expect(tracker.nack(1, multiple: false).isEmpty)
        #expect(tracker.ack(2, multiple: false) == [.init(batch: 1, ok: false)])
        tracker.returned(sequence: tracker.oldestOutstanding!)
        #expect(tracker.ack(3, multiple: false) == [.init(batch: 2, ok: false)])
    }

    @Test("unknown or repeated tags are ignored; reset hands back what was waiting")
    func resetAndUnknown() {
        var tracker = ConfirmTracker()
        tracker.published(batch: 7)
        #expect(tracker.ack(99, multiple: false).isEmpty)
        #expect(tracker.reset() == [7])
        #expect(tracker.isEmpty)
        #expect(tracker.published(batch: 8) == 1, "numbering restarts on a new channel")
    }
}

@Suite("Reconnect backoff")
struct BackoffTests {
    @Test("delays grow, stay within [half, all] of the capped exponential, and reset")
    func bounds() {
        var backoff = Backoff(policy: .init(minimum: .milliseconds(100), maximum: .seconds(2)))
        var random = SystemRandomNumberGenerator()
        for attempt in 0..<12 {
            let expected = min(Duration.milliseconds(100) * (1 << attempt), .seconds(2))
            let delay = backoff.next(using: &random)
            #expect(delay >= expected / 2 && delay <= expected, "attempt \(attempt): \(delay)")
        }
        backoff.reset()
        #expect(backoff.next(using: &random) <= .milliseconds(100))
    }
}

@Suite("Field tables")
struct FieldTableTests {
    @Test("values survive the trip through rabbitmq-c's table structures")
    func roundTrip() {
        let values: [String: AMQPFieldValue] = [
            "s": .string("héllo"), "i": .int(-42), "b": .bool(true), "d": .double(2.5),
            "t": .timestamp(Date(timeIntervalSince1970: 1_700_000_000)), "x": .bytes([0, 1, 255]),
            "a": .array([.string("a"), .int(1), .table(["n": .void])]),
            "nested": .table(["deeper": .table(["k": .string("v")])]), "dec": .decimal(scale: 2, value: 12345),
            "empty": .array([]),
        ]
        let arena = Arena()
        defer { arena.free() }
        #expect(FieldTable.decode(arena.table(values)) == values)
    }

    @Test("properties survive the trip too")
    func properties() {
        var properties = AMQPProperties()
        properties.contentType = "application/cloudevents+json"
        properties.messageID = "evt_1"
        properties.type = "invoice.created"
        properties.persistent = true
        properties.timestamp = Date(timeIntervalSince1970: 1_800_000_000)
        properties.headers = ["x-recoup-error": .string("data.number: required")]
        let arena = Arena()
        defer { arena.free() }
        #expect(AMQPSession.properties(arena.properties(properties)) == properties)
    }
}
