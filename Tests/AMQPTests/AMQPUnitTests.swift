import CRabbitMQ
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
        ("amqp://u@host/v", AMQPURL(host: "host", port: 5672, user: "u", password: "guest", vhost: "v")),
        ("amqp://u:@host/v", AMQPURL(host: "host", port: 5672, user: "u", password: "", vhost: "v")),
        ("amqp://[::1]:5673/v", AMQPURL(host: "::1", port: 5673, vhost: "v")),
        ("amqp://host/v?heartbeat=30", AMQPURL(host: "host", port: 5672, vhost: "v")),
        ("amqps://host:443", AMQPURL(host: "host", port: 443, tls: true)),
    ])
    func valid(text: String, expected: AMQPURL) throws {
        #expect(try AMQPURL.parse(text) == expected)
    }

    @Test("invalid URLs are refused with a reason", arguments: [
        "", "host:5672", "http://host/", "amqp://", "amqp://host:99999/", "amqp://host:0/", "amqp://host/a/b",
        "amqp://host:port/", "amqp://u:p@/v", "amqp://host/%zz", "amqp://u:p%4@host/v", "amqp://host/v%",
    ])
    func invalid(text: String) {
        #expect {
            try AMQPURL.parse(text)
        } throws: { error in
            guard case .invalidURL(let reason)? = error as? AMQPError else { return false }
            return !reason.isEmpty
        }
    }

    @Test("the description hides the password but says where the broker is")
    func description() throws {
        let url = try AMQPURL.parse("amqp://svc:hunter2@host/v")
        #expect(!url.description.contains("hunter2"))
        #expect(url.description == "amqp://svc:***@host:5672/v")
        #expect(!String(describing: AMQPConfiguration(url: url, connectionName: "x")).contains("hunter2"))
        #expect(!String(reflecting: url).contains("hunter2"))
        #expect(try AMQPURL.parse("amqp://[::1]/a%2Fb").description == "amqp://guest:***@[::1]:5672/a%2Fb")
    }

    @Test("configuration defaults match the design")
    func defaults() throws {
        let configuration = AMQPConfiguration(url: try AMQPURL.parse("amqp://host"), connectionName: "c")
        #expect(configuration.heartbeatSeconds == 10)
        #expect(configuration.verifyPeer)
        #expect(configuration.reconnectBackoff == .init(minimum: .milliseconds(100), maximum: .seconds(10)))
        #expect(configuration.caCertificatePath == nil)
    }
}

@Suite("Publisher confirm tracking")
struct ConfirmTrackerTests {
    @Test("single acks settle a batch once all its messages are confirmed")
    func singles() {
        var tracker = ConfirmTracker()
        tracker.begin(batch: 1, count: 2)
        #expect(tracker.published(batch: 1) == 1)
        #expect(tracker.published(batch: 1) == 2)
        tracker.begin(batch: 2, count: 1)
        #expect(tracker.published(batch: 2) == 3)
        #expect(tracker.ack(1, multiple: false).isEmpty)
        #expect(tracker.ack(3, multiple: false) == [.init(batch: 2, failure: nil)])
        #expect(tracker.ack(2, multiple: false) == [.init(batch: 1, failure: nil)])
        #expect(tracker.isEmpty)
    }

    @Test("multiple acks settle every outstanding number up to the tag, even after gaps")
    func multiple() {
        var tracker = ConfirmTracker()
        for (batch, count) in [(1, 2), (2, 1), (3, 2)] as [(UInt64, Int)] {
            tracker.begin(batch: batch, count: count)
            for _ in 0..<count { tracker.published(batch: batch) }
        }
        #expect(tracker.ack(2, multiple: false) == [])
        #expect(tracker.ack(4, multiple: true) == [.init(batch: 1, failure: nil), .init(batch: 2, failure: nil)])
        #expect(tracker.pendingBatches == [3])
        #expect(tracker.outstandingCount == 1)
        #expect(tracker.ack(5, multiple: true) == [.init(batch: 3, failure: nil)])
        #expect(tracker.isEmpty)
    }

    @Test("a batch is not complete before all its messages were published")
    func partialBatch() {
        var tracker = ConfirmTracker()
        tracker.begin(batch: 1, count: 3)
        tracker.published(batch: 1)
        tracker.published(batch: 1)
        #expect(tracker.ack(2, multiple: true).isEmpty, "one message is still to be sent")
        tracker.published(batch: 1)
        #expect(tracker.ack(3, multiple: false) == [.init(batch: 1, failure: nil)])
    }

    @Test("a nack fails its whole batch; a multiple nack fails every batch in range")
    func nacks() {
        var tracker = ConfirmTracker()
        for (batch, count) in [(1, 2), (2, 1), (3, 1)] as [(UInt64, Int)] {
            tracker.begin(batch: batch, count: count)
            for _ in 0..<count { tracker.published(batch: batch) }
        }
        #expect(tracker.nack(1, multiple: false).isEmpty)
        #expect(tracker.ack(2, multiple: false) == [.init(batch: 1, failure: .publishNacked)])
        #expect(tracker.nack(4, multiple: true) == [.init(batch: 2, failure: .publishNacked), .init(batch: 3, failure: .publishNacked)])
    }

    @Test("a return fails the batch of the matching message even when earlier ones are unconfirmed")
    func returnsOutOfOrder() {
        var tracker = ConfirmTracker()
        let key = ConfirmTracker.ReturnKey(exchange: "work", routingKey: "nobody", messageID: "m2")
        tracker.begin(batch: 1, count: 1)
        tracker.published(batch: 1)                               // 1: routable, slow to confirm
        tracker.begin(batch: 2, count: 1)
        tracker.published(batch: 2, returnKey: key)               // 2: unroutable, mandatory
        tracker.returned(key, code: 312, text: "NO_ROUTE")
        #expect(tracker.ack(2, multiple: false) == [.init(batch: 2, failure: .returned(code: 312, text: "NO_ROUTE"))])
        #expect(tracker.ack(1, multiple: false) == [.init(batch: 1, failure: nil)])
    }

    @Test("returns with the same key are matched oldest first; an unknown return blames the next ack")
    func returnsSameKey() {
        var tracker = ConfirmTracker()
        let key = ConfirmTracker.ReturnKey(exchange: "x", routingKey: "r", messageID: nil)
        for batch in [1, 2] as [UInt64] {
            tracker.begin(batch: batch, count: 1)
            tracker.published(batch: batch, returnKey: key)
        }
        tracker.returned(key, code: 312, text: "NO_ROUTE")
        #expect(tracker.ack(2, multiple: true) == [
            .init(batch: 1, failure: .returned(code: 312, text: "NO_ROUTE")), .init(batch: 2, failure: nil),
        ])
        tracker.begin(batch: 3, count: 1)
        tracker.published(batch: 3)
        tracker.returned(.init(exchange: "?", routingKey: "?", messageID: nil), code: 313, text: "NO_CONSUMERS")
        #expect(tracker.ack(3, multiple: false) == [.init(batch: 3, failure: .returned(code: 313, text: "NO_CONSUMERS"))])
    }

    @Test("unknown or repeated tags are ignored; reset hands back what was waiting and renumbers")
    func resetAndUnknown() {
        var tracker = ConfirmTracker()
        tracker.begin(batch: 7, count: 1)
        tracker.published(batch: 7)
        #expect(tracker.ack(99, multiple: false).isEmpty)
        #expect(tracker.ack(0, multiple: true).isEmpty)
        #expect(tracker.reset() == [7])
        #expect(tracker.isEmpty)
        tracker.begin(batch: 8, count: 1)
        #expect(tracker.published(batch: 8) == 1, "numbering restarts on a new channel")
        #expect(tracker.ack(1, multiple: false) == [.init(batch: 8, failure: nil)])
        #expect(tracker.ack(1, multiple: false).isEmpty)
    }
}

@Suite("Publish pipeline")
struct PublishPipelineTests {
    static func messages(_ count: Int, mandatory: Bool = false) -> [AMQPOutboundMessage] {
        (0..<count).map { AMQPOutboundMessage(exchange: "e", routingKey: "k\($0)", body: [UInt8($0 % 256)], mandatory: mandatory) }
    }

    @Test("messages go out in slices, in order, across batches; confirms complete each batch")
    func slices() {
        var pipeline = PublishPipeline()
        let deadline = ContinuousClock.now + .seconds(30)
        pipeline.enqueue(id: 1, messages: Self.messages(5), deadline: deadline)
        pipeline.enqueue(id: 2, messages: Self.messages(3), deadline: deadline)
        #expect(pipeline.take(limit: 4).map(\.routingKey) == ["k0", "k1", "k2", "k3"])
        #expect(pipeline.take(limit: 4).map(\.routingKey) == ["k4", "k0", "k1", "k2"])
        #expect(!pipeline.hasUnsent)
        #expect(pipeline.take(limit: 4).isEmpty)
        #expect(pipeline.ack(5, multiple: true) == [.init(batch: 1, failure: nil)])
        #expect(!pipeline.isIdle, "batch 2 awaits its confirms")
        #expect(pipeline.ack(8, multiple: true) == [.init(batch: 2, failure: nil)])
        #expect(pipeline.isIdle)
    }

    @Test("losing the channel fails started batches and keeps the others for the next channel")
    func channelLost() {
        var pipeline = PublishPipeline()
        let deadline = ContinuousClock.now + .seconds(30)
        pipeline.enqueue(id: 1, messages: Self.messages(2), deadline: deadline)
        pipeline.enqueue(id: 2, messages: Self.messages(3), deadline: deadline)
        pipeline.enqueue(id: 3, messages: Self.messages(1), deadline: deadline)
        #expect(pipeline.take(limit: 3).count == 3)                  // batch 1 whole, batch 2 started
        #expect(pipeline.channelLost() == [1, 2])
        #expect(pipeline.hasUnsent)
        #expect(pipeline.take(limit: 10).map(\.routingKey) == ["k0"], "batch 3 goes out on the new channel")
        #expect(pipeline.ack(1, multiple: false) == [.init(batch: 3, failure: nil)], "numbered from 1 again")
    }

    @Test("batches that never started expire at their deadline; started ones do not")
    func expiry() {
        var pipeline = PublishPipeline()
        let now = ContinuousClock.now
        pipeline.enqueue(id: 1, messages: Self.messages(2), deadline: now + .seconds(1))
        pipeline.enqueue(id: 2, messages: Self.messages(1), deadline: now + .seconds(1))
        pipeline.enqueue(id: 3, messages: Self.messages(1), deadline: now + .seconds(10))
        _ = pipeline.take(limit: 1)
        #expect(pipeline.expire(now: now).isEmpty)
        #expect(pipeline.expire(now: now + .seconds(2)) == [2])
        #expect(pipeline.removeAll() == [1, 3])
        #expect(pipeline.isIdle)
    }

    @Test("mandatory messages are matched to returns by exchange, routing key and message id")
    func returns() {
        var pipeline = PublishPipeline()
        var message = AMQPOutboundMessage(exchange: "e", routingKey: "lost", body: [], mandatory: true)
        message.properties.messageID = "m1"
        pipeline.enqueue(id: 1, messages: Self.messages(1), deadline: .now + .seconds(5))
        pipeline.enqueue(id: 2, messages: [message], deadline: .now + .seconds(5))
        #expect(pipeline.take(limit: 10).count == 2)
        pipeline.returned(.init(exchange: "e", routingKey: "lost", messageID: "m1"), code: 312, text: "NO_ROUTE")
        #expect(pipeline.ack(2, multiple: true) == [
            .init(batch: 1, failure: nil), .init(batch: 2, failure: .returned(code: 312, text: "NO_ROUTE")),
        ])
    }
}

@Suite("Ack coalescing")
struct AckCoalescerTests {
    @Test("acks covering the oldest unsettled deliveries fold into one multiple ack")
    func prefix() {
        var coalescer = AckCoalescer()
        for tag in 1...6 as ClosedRange<UInt64> { coalescer.delivered(tag) }
        #expect(coalescer.plan(acks: [3, 1, 2, 5]) == [.ack(tag: 3, multiple: true), .ack(tag: 5, multiple: false)])
        #expect(coalescer.unsettledCount == 2)
        #expect(coalescer.plan(acks: [4]) == [.ack(tag: 4, multiple: false)])
        #expect(coalescer.plan(acks: [6]) == [.ack(tag: 6, multiple: false)])
        #expect(coalescer.unsettledCount == 0)
    }

    @Test("a multiple ack never covers a delivery that was not acked")
    func gaps() {
        var coalescer = AckCoalescer()
        for tag in 1...5 as ClosedRange<UInt64> { coalescer.delivered(tag) }
        #expect(coalescer.plan(acks: [2, 3, 4]) == [
            .ack(tag: 2, multiple: false), .ack(tag: 3, multiple: false), .ack(tag: 4, multiple: false),
        ], "1 is still being worked on")
        coalescer.settledElsewhere(1)                          // nacked
        coalescer.delivered(6)
        coalescer.delivered(7)
        #expect(coalescer.plan(acks: [6, 5]) == [.ack(tag: 6, multiple: true)])
        #expect(coalescer.unsettledCount == 1)
    }

    @Test("unknown tags pass through for the broker to judge; reset forgets the channel")
    func unknown() {
        var coalescer = AckCoalescer()
        coalescer.delivered(1)
        #expect(coalescer.plan(acks: [99]) == [.ack(tag: 99, multiple: false)])
        #expect(coalescer.plan(acks: []) == [])
        coalescer.reset()
        #expect(coalescer.unsettledCount == 0)
        #expect(coalescer.plan(acks: [1]) == [.ack(tag: 1, multiple: false)])
    }
}

@Suite("Reconnect backoff")
struct BackoffTests {
    @Test("delays grow, stay within [half, all] of the capped exponential, and reset")
    func bounds() {
        var backoff = Backoff(policy: .init(minimum: .milliseconds(100), maximum: .seconds(10)))
        var random = SystemRandomNumberGenerator()
        for attempt in 0..<40 {
            let expected = min(Duration.milliseconds(100) * (1 << min(attempt, 30)), .seconds(10))
            let delay = backoff.next(using: &random)
            #expect(delay >= expected / 2 && delay <= expected, "attempt \(attempt): \(delay)")
        }
        backoff.reset()
        #expect(backoff.next(using: &random) <= .milliseconds(100))
    }

    @Test("jitter spreads reconnects out")
    func jitter() {
        var backoff = Backoff(policy: .init(minimum: .seconds(8), maximum: .seconds(8)))
        let delays = Set((0..<50).map { _ in backoff.next() })
        #expect(delays.count > 10)
    }
}

@Suite("Field tables")
struct FieldTableTests {
    @Test("values survive the trip through rabbitmq-c's table structures")
    func roundTrip() {
        let values: [String: AMQPFieldValue] = [
            "s": .string("héllo"), "i": .int(-42), "big": .int(.max), "b": .bool(true), "f": .bool(false), "d": .double(2.5),
            "t": .timestamp(Date(timeIntervalSince1970: 1_700_000_000)), "x": .bytes([0, 1, 255]), "nothing": .bytes([]),
            "a": .array([.string("a"), .int(1), .table(["n": .void])]),
            "nested": .table(["deeper": .table(["k": .string("v")])]), "dec": .decimal(scale: 2, value: 12345),
            "empty": .array([]), "emptyTable": .table([:]), "emptyString": .string(""),
        ]
        let arena = Arena()
        defer { arena.free() }
        #expect(FieldTable.decode(arena.table(values)) == values)
    }

    @Test("every integer and float width rabbitmq-c decodes is read", arguments: [
        ("b", AMQPFieldValue.int(-5)), ("B", .int(200)), ("s", .int(-300)), ("u", .int(60_000)), ("I", .int(-70_000)),
        ("i", .int(4_000_000_000)), ("l", .int(-5_000_000_000)), ("L", .int(Int64.max)), ("f", .double(1.5)),
        ("T", .timestamp(Date(timeIntervalSince1970: 1_600_000_000))), ("V", .void), ("?", .void),
    ] as [(String, AMQPFieldValue)])
    func kinds(kind: String, expected: AMQPFieldValue) {
        var field = amqp_field_value_t()
        field.kind = kind.utf8.first!
        switch kind {
        case "b": field.value.i8 = -5
        case "B": field.value.u8 = 200
        case "s": field.value.i16 = -300
        case "u": field.value.u16 = 60_000
        case "I": field.value.i32 = -70_000
        case "i": field.value.u32 = 4_000_000_000
        case "l": field.value.i64 = -5_000_000_000
        case "L": field.value.u64 = .max
        case "f": field.value.f32 = 1.5
        case "T": field.value.u64 = 1_600_000_000
        default: break
        }
        #expect(FieldTable.decode(field) == expected)
    }

    @Test("properties survive the trip too, and unset ones stay unset")
    func properties() {
        let properties = AMQPProperties(
            contentType: "application/cloudevents+json", messageID: "evt_1", correlationID: "c", type: "invoice.created",
            appID: "billing", timestamp: Date(timeIntervalSince1970: 1_800_000_000), persistent: true,
            headers: ["x-recoup-error": .string("data.number: required"), "x-death": .array([.table(["count": .int(1)])])])
        let arena = Arena()
        defer { arena.free() }
        #expect(AMQPSession.properties(arena.properties(properties)) == properties)
        #expect(AMQPSession.properties(arena.properties(AMQPProperties())) == AMQPProperties())
    }

    @Test("client properties ask for blocked notifications and consumer cancel notifications")
    func clientProperties() {
        let properties = AMQPSession.clientProperties(name: "recoupd consumer")
        #expect(properties["connection_name"] == .string("recoupd consumer"))
        guard case .table(let capabilities)? = properties["capabilities"] else {
            Issue.record("no capabilities"); return
        }
        #expect(capabilities["connection.blocked"] == .bool(true))
        #expect(capabilities["consumer_cancel_notify"] == .bool(true))
    }
}

@Suite("Stall watchdog")
struct StallWatchdogTests {
    @Test("a call blocked on a socket past its limit is broken off; a quick one is left alone")
    func breaksStalls() {
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let watchdog = StallWatchdog(period: .milliseconds(20))
        let started = ContinuousClock.now
        let (count, stalled) = watchdog.guarding(descriptor: fds[0], limit: .milliseconds(200)) { () -> Int in
            var byte: UInt8 = 0
            return read(fds[0], &byte, 1)
        }
        #expect(stalled)
        #expect(count == 0, "read sees end of stream after shutdown")
        #expect(ContinuousClock.now - started < .seconds(5))

        var other: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &other) == 0)
        defer { close(other[0]); close(other[1]) }
        let (_, quick) = watchdog.guarding(descriptor: other[0], limit: .seconds(5)) { () -> Int in
            var byte: UInt8 = 1
            return write(other[0], &byte, 1)
        }
        #expect(!quick)
        var byte: UInt8 = 0
        #expect(read(other[1], &byte, 1) == 1, "the socket still works")
    }
}
