import Foundation
import Synchronization
import Logging
import Testing
import TestSupport
@testable import AMQP

/// Against the real local RabbitMQ 3.10, each test in a vhost of its own.
///
/// The limit catches a hang, not slowness: alone each test takes seconds, but at the start of a
/// full run on two cores they wait their turn for the CPU, and they took 57 to 147 s there.
@Suite("AMQP against the local broker", .timeLimit(.minutes(5)))
struct AMQPBrokerTests {
    static let logger = Logger(label: "test.amqp")

    static let topology = AMQPTopology(
        exchanges: [.init(name: "work", type: "topic", durable: true), .init(name: "dead", type: "topic", durable: true)],
        queues: [
            .init(name: "jobs", durable: true, arguments: [
                "x-queue-type": .string("quorum"), "x-dead-letter-exchange": .string("dead"),
                "x-dead-letter-routing-key": .string("jobs"), "x-delivery-limit": .int(5),
            ]),
            .init(name: "jobs.dlq", durable: true, arguments: ["x-queue-type": .string("quorum")]),
        ],
        bindings: [.init(queue: "jobs", exchange: "work", routingKey: "job.#"), .init(queue: "jobs.dlq", exchange: "dead", routingKey: "jobs")])

    static func withVhost(heartbeat: Int = 10, _ body: (AMQPConfiguration, String) async throws -> Void) async throws {
        let vhost = try await TestEnvironment.makeVhost(prefix: "amqp")
        var configuration = AMQPConfiguration(url: try AMQPURL.parse(TestEnvironment.amqpURL(vhost: vhost)), connectionName: "test-\(vhost)")
        configuration.heartbeatSeconds = heartbeat
        do {
            try await body(configuration, vhost)
        } catch {
            try? await TestEnvironment.deleteVhost(vhost)
            throw error
        }
        try await TestEnvironment.deleteVhost(vhost)
    }

    static func message(_ index: Int) -> AMQPOutboundMessage {
        let properties = AMQPProperties(
            contentType: "application/json", messageID: "m\(index)", type: "job.created", persistent: true,
            headers: ["index": .int(Int64(index)), "note": .string("ünïcode")])
        return AMQPOutboundMessage(exchange: "work", routingKey: "job.\(index % 3)", body: Array("{\"i\":\(index)}".utf8), properties: properties)
    }

    static func index(_ delivery: AMQPDelivery) -> Int? {
        Int(String(decoding: delivery.body, as: UTF8.self).dropFirst(5).dropLast())
    }

    /// Polls `condition` until it holds or `timeout` passes.
    static func eventually(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("timed out waiting for \(what)")
    }

    @Test("1,000 messages published with confirms are consumed whole, in order, with their properties")
    func publishAndConsume() async throws {
        try await Self.withVhost { configuration, _ in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            let consumer = AMQPConsumer(configuration: configuration, queue: "jobs", prefetch: 50, topology: Self.topology, logger: Self.logger)
            try await publisher.publish((0..<1_000).map(Self.message))

            var seen: [Int] = []
            for await delivery in consumer.deliveries {
                let index = try #require(Self.index(delivery))
                #expect(delivery.properties.messageID == "m\(index)")
                #expect(delivery.properties.contentType == "application/json")
                #expect(delivery.properties.type == "job.created")
                #expect(delivery.properties.headers["index"] == .int(Int64(index)))
                #expect(delivery.properties.headers["note"] == .string("ünïcode"))
                #expect(delivery.properties.persistent)
                #expect(!delivery.redelivered)
                #expect(delivery.routingKey == "job.\(index % 3)")
                #expect(delivery.exchange == "work")
                consumer.ack(delivery)
                seen.append(index)
                if seen.count == 1_000 { break }
            }
            #expect(seen == Array(0..<1_000))
            await consumer.close()
            let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
            #expect(try await admin.messageCount(queue: "jobs") == 0, "close() flushed every ack")
            await admin.close()
            await publisher.close()
        }
    }

    @Test("several publish calls in flight at once each get their own confirms")
    func concurrentPublishes() async throws {
        try await Self.withVhost { configuration, _ in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for batch in 0..<8 {
                    group.addTask { try await publisher.publish((batch * 25..<(batch + 1) * 25).map(Self.message)) }
                }
                try await group.waitForAll()
            }
            let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
            #expect(try await admin.messageCount(queue: "jobs") == 200)
            await admin.close(); await publisher.close()
        }
    }

    @Test("nack without requeue dead-letters through the queue's DLX, with x-death read as tables")
    func nackToDeadLetter() async throws {
        try await Self.withVhost { configuration, _ in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            let consumer = AMQPConsumer(configuration: configuration, queue: "jobs", prefetch: 10, topology: Self.topology, logger: Self.logger)
            try await publisher.publish([Self.message(7)])
            for await delivery in consumer.deliveries {
                consumer.nack(delivery, requeue: false)
                break
            }
            let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
            try await Self.eventually("the dead letter") { try await admin.messageCount(queue: "jobs.dlq") == 1 }
            let dead = try #require(try await admin.get(queue: "jobs.dlq"))
            #expect(dead.properties.messageID == "m7")
            #expect(dead.properties.headers["note"] == .string("ünïcode"))
            guard case .array(let deaths)? = dead.properties.headers["x-death"], case .table(let death)? = deaths.first else {
                Issue.record("no x-death header: \(dead.properties.headers)"); return
            }
            #expect(death["reason"] == .string("rejected"))
            #expect(death["queue"] == .string("jobs"))
            #expect(death["count"] == .int(1))
            if case .timestamp = death["time"] {} else { Issue.record("x-death time is not a timestamp: \(String(describing: death["time"]))") }
            try await admin.ack(dead)
            #expect(try await admin.messageCount(queue: "jobs.dlq") == 0)
            #expect(try await admin.messageCount(queue: "jobs") == 0)
            await admin.close(); await consumer.close(); await publisher.close()
        }
    }

    @Test("reject with requeue redelivers; the quorum queue counts deliveries")
    func rejectRequeue() async throws {
        try await Self.withVhost { configuration, _ in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            let consumer = AMQPConsumer(configuration: configuration, queue: "jobs", prefetch: 1, topology: Self.topology, logger: Self.logger)
            try await publisher.publish([Self.message(1)])
            let deliveries = DeliveryCollector(consumer.deliveries)
            let first = try #require(await deliveries.next())
            #expect(!first.redelivered)
            consumer.reject(first, requeue: true)
            let second = try #require(await deliveries.next())
            #expect(second.redelivered)
            #expect(second.properties.messageID == "m1")
            #expect(second.properties.headers["x-delivery-count"] == .int(1))
            consumer.ack(second)
            await consumer.close(); await publisher.close()
        }
    }

    @Test("a consumer whose connection is closed by the broker reconnects and keeps receiving")
    func reconnect() async throws {
        try await Self.withVhost { configuration, vhost in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            let consumer = AMQPConsumer(configuration: configuration, queue: "jobs", prefetch: 10, topology: Self.topology, logger: Self.logger)
            #expect(await consumer.waitUntilConnected(timeout: .seconds(10)))
            try await publisher.publish([Self.message(1), Self.message(2)])
            let deliveries = DeliveryCollector(consumer.deliveries)
            let first = try #require(await deliveries.next())
            consumer.ack(first)
            let unacked = try #require(await deliveries.next())

            try await TestEnvironment.rabbitmqctl(["close_all_connections", "-p", vhost, "test"])
            // The broker requeues the unacked delivery; a late ack for it is dropped, not sent
            // to the new channel (where the tag would mean something else or nothing).
            let redelivered = try #require(await deliveries.next())
            consumer.ack(unacked)
            #expect(redelivered.properties.messageID == unacked.properties.messageID)
            #expect(redelivered.redelivered)
            #expect(redelivered.consumerGeneration > unacked.consumerGeneration)
            consumer.ack(redelivered)

            // The publisher was disconnected too; its next publish waits for the reconnect.
            try await publisher.publish([Self.message(3)])
            let third = try #require(await deliveries.next())
            #expect(third.properties.messageID == "m3")
            consumer.ack(third)
            #expect(await consumer.waitUntilConnected(timeout: .seconds(10)))
            #expect(consumer.lastError == nil)
            await consumer.close(); await publisher.close()
            let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
            #expect(try await admin.messageCount(queue: "jobs") == 0)
            await admin.close()
        }
    }

    @Test("an ack the broker refuses closes only the channel; the consumer reopens it and carries on")
    func consumerChannelError() async throws {
        try await Self.withVhost { configuration, _ in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            let consumer = AMQPConsumer(configuration: configuration, queue: "jobs", prefetch: 10, topology: Self.topology, logger: Self.logger)
            try await publisher.publish([Self.message(1)])
            let deliveries = DeliveryCollector(consumer.deliveries)
            let first = try #require(await deliveries.next())
            var bogus = first
            bogus.deliveryTag = 9_999
            consumer.ack(bogus)                                      // 406 PRECONDITION_FAILED: unknown delivery tag
            let again = try #require(await deliveries.next())
            #expect(again.properties.messageID == "m1")
            #expect(again.redelivered)
            #expect(again.consumerGeneration > first.consumerGeneration)
            consumer.ack(again)
            await consumer.close()
            let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
            #expect(try await admin.messageCount(queue: "jobs") == 0)
            await admin.close(); await publisher.close()
        }
    }

    @Test("when the queue is deleted under it, the consumer is told, declares it again and resumes")
    func brokerCancel() async throws {
        try await Self.withVhost { configuration, vhost in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            let consumer = AMQPConsumer(configuration: configuration, queue: "jobs", prefetch: 10, topology: Self.topology, logger: Self.logger)
            #expect(await consumer.waitUntilConnected(timeout: .seconds(10)))
            try await TestEnvironment.rabbitmqctl(["delete_queue", "-p", vhost, "jobs"])
            let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
            try await Self.eventually("the queue declared again") { (try? await admin.messageCount(queue: "jobs")) != nil }
            // The queue seen above may still be the old one being torn down (a message routed
            // there is lost with it), so keep publishing until the resumed consumer gets one.
            let deliveries = DeliveryCollector(consumer.deliveries)
            var delivery: AMQPDelivery?
            var sent: Set<String> = []
            for index in 100..<160 where delivery == nil {
                try await publisher.publish([Self.message(index)])
                sent.insert("m\(index)")
                delivery = await deliveries.poll(timeout: .seconds(1))
            }
            let received = try #require(delivery, "the consumer never resumed after the queue was deleted")
            #expect(sent.contains(received.properties.messageID ?? ""))
            consumer.ack(received)
            await consumer.close(); await admin.close(); await publisher.close()
        }
    }

    @Test("stopConsuming ends the sequence; unacked deliveries go back to the queue")
    func stopConsuming() async throws {
        try await Self.withVhost { configuration, _ in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            let consumer = AMQPConsumer(configuration: configuration, queue: "jobs", prefetch: 5, topology: Self.topology, logger: Self.logger)
            try await publisher.publish((0..<20).map(Self.message))
            var received = 0
            for await delivery in consumer.deliveries {
                received += 1
                if received <= 3 { consumer.ack(delivery) }
                if received == 5 { await consumer.stopConsuming() }
            }
            #expect(received >= 5 && received <= 10, "prefetch bounds what was in flight: \(received)")
            let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
            // Acks still flow after the stop; stragglers were handed back at once.
            try await Self.eventually("ready messages after the stop") {
                try await admin.messageCount(queue: "jobs") == 20 - received
            }
            await consumer.close()
            try await Self.eventually("requeued messages after close") { try await admin.messageCount(queue: "jobs") == 17 }
            #expect(try await admin.purge(queue: "jobs") == 17)
            #expect(try await admin.messageCount(queue: "jobs") == 0)
            await admin.close(); await publisher.close()
        }
    }

    @Test("publishing to a missing exchange fails with the channel error; the next publish works")
    func missingExchange() async throws {
        try await Self.withVhost { configuration, _ in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            var bad = Self.message(1)
            bad.exchange = "no-such-exchange"
            await #expect {
                try await publisher.publish([bad])
            } throws: { error in
                guard case .channelClosed(let code, let text)? = error as? AMQPError else { return false }
                return code == 404 && text.contains("no-such-exchange")
            }
            try await publisher.publish([Self.message(2)])
            #expect(publisher.isConnected)
            let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
            #expect(try await admin.messageCount(queue: "jobs") == 1)
            await #expect {
                try await admin.messageCount(queue: "no-such-queue")
            } throws: { error in
                guard case .channelClosed(let code, _)? = error as? AMQPError else { return false }
                return code == 404
            }
            #expect(try await admin.messageCount(queue: "jobs") == 1, "the admin reopens its channel")
            await admin.close(); await publisher.close()
        }
    }

    @Test("an unroutable mandatory message fails its own publish, not a concurrent one")
    func mandatoryReturn() async throws {
        try await Self.withVhost { configuration, _ in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            var unroutable = Self.message(1)
            unroutable.routingKey = "nobody.listens"
            unroutable.mandatory = true
            async let good: Void = publisher.publish((10..<60).map { var m = Self.message($0); m.mandatory = true; return m })
            await #expect {
                try await publisher.publish([unroutable])
            } throws: { error in
                guard case .returned(let code, _)? = error as? AMQPError else { return false }
                return code == 312
            }
            try await good
            var plain = unroutable
            plain.mandatory = false
            try await publisher.publish([plain])                     // without mandatory, dropped quietly
            let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
            #expect(try await admin.messageCount(queue: "jobs") == 50)
            await admin.close(); await publisher.close()
        }
    }

    @Test("the broker sees our connection name and capabilities")
    func clientProperties() async throws {
        try await Self.withVhost { configuration, vhost in
            let consumer = AMQPConsumer(configuration: configuration, queue: "jobs", prefetch: 1, topology: Self.topology, logger: Self.logger)
            #expect(await consumer.waitUntilConnected(timeout: .seconds(10)))
            let listing = try await TestEnvironment.rabbitmqctl(["list_connections", "-p", vhost, "client_properties"])
            #expect(listing.contains("test-\(vhost)"))
            #expect(listing.contains("connection.blocked"))
            #expect(listing.contains("consumer_cancel_notify"))
            await consumer.close()
        }
    }

    @Test("with a 1 s heartbeat an idle consumer stays connected: heartbeats are serviced")
    func heartbeats() async throws {
        try await Self.withVhost(heartbeat: 1) { configuration, vhost in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            let consumer = AMQPConsumer(configuration: configuration, queue: "jobs", prefetch: 1, topology: Self.topology, logger: Self.logger)
            try await publisher.publish([Self.message(1)])
            let deliveries = DeliveryCollector(consumer.deliveries)
            let first = try #require(await deliveries.next())
            consumer.ack(first)
            let listing = try await TestEnvironment.rabbitmqctl(["list_connections", "-p", vhost, "timeout"])
            #expect(listing.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == "1" })
            // The broker drops a peer after about two missed heartbeats: idle for longer than that.
            try await Task.sleep(for: .seconds(3.5))
            try await publisher.publish([Self.message(2)])
            let second = try #require(await deliveries.next())
            #expect(second.consumerGeneration == first.consumerGeneration, "no reconnect happened")
            #expect(!second.redelivered)
            consumer.ack(second)
            await consumer.close(); await publisher.close()
        }
    }

    @Test("admin: get, ack, nack with requeue, purge, count; a stale delivery cannot be acked")
    func admin() async throws {
        try await Self.withVhost { configuration, vhost in
            let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
            try await admin.declare(Self.topology)
            #expect(try await admin.get(queue: "jobs") == nil)
            let publisher = AMQPPublisher(configuration: configuration, topology: AMQPTopology(), logger: Self.logger)
            try await publisher.publish((0..<3).map(Self.message))
            try await Self.eventually("3 ready") { try await admin.messageCount(queue: "jobs") == 3 }

            let first = try #require(try await admin.get(queue: "jobs"))
            #expect(first.properties.messageID == "m0")
            #expect(try await admin.messageCount(queue: "jobs") == 2, "taken, not acked: not ready")
            try await admin.nack(first, requeue: true)
            try await Self.eventually("requeued") { try await admin.messageCount(queue: "jobs") == 3 }
            let again = try #require(try await admin.get(queue: "jobs"))
            #expect(again.redelivered)
            try await admin.ack(again)

            let held = try #require(try await admin.get(queue: "jobs"))
            try await TestEnvironment.rabbitmqctl(["close_all_connections", "-p", vhost, "test"])
            try await Self.eventually("the broker requeued the held message") {
                (try? await admin.messageCount(queue: "jobs")) == 2
            }
            await #expect(throws: AMQPError.staleDelivery) { try await admin.ack(held) }
            #expect(try await admin.purge(queue: "jobs") == 2)
            #expect(try await admin.messageCount(queue: "jobs") == 0)
            await admin.close(); await publisher.close()
        }
    }

    @Test("connecting to a port where no broker listens fails fast with a clear error")
    func noBroker() async throws {
        var configuration = AMQPConfiguration(url: try AMQPURL.parse("amqp://u:p@127.0.0.1:1/"), connectionName: "nobody")
        configuration.connectTimeout = .seconds(2)
        let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
        await #expect {
            try await admin.messageCount(queue: "x")
        } throws: { error in
            guard case .connectionFailed(let reason)? = error as? AMQPError else { return false }
            return reason.contains("127.0.0.1:1")
        }
        await admin.close()
        await #expect(throws: AMQPError.closed) { try await admin.messageCount(queue: "x") }

        configuration.publishTimeout = .milliseconds(300)
        let publisher = AMQPPublisher(configuration: configuration, topology: AMQPTopology(), logger: Self.logger)
        await #expect(throws: AMQPError.self) { try await publisher.publish([Self.message(1)]) }
        #expect(!publisher.isConnected)
        await publisher.close()
    }

    @Test("amqps: an unreadable CA bundle, or a broker port that does not speak TLS, is a connection failure")
    func tlsFailures() async throws {
        var configuration = AMQPConfiguration(
            url: try AMQPURL.parse("amqps://recoup:recoup@127.0.0.1:\(TestEnvironment.amqpPort)/recoup"), connectionName: "tls")
        configuration.caCertificatePath = "/nonexistent/ca.pem"
        let missingCA = AMQPAdmin(configuration: configuration, logger: Self.logger)
        await #expect {
            try await missingCA.messageCount(queue: "x")
        } throws: { error in
            guard case .connectionFailed(let reason)? = error as? AMQPError else { return false }
            return reason.contains("/nonexistent/ca.pem")
        }
        await missingCA.close()

        configuration.caCertificatePath = nil                       // the system bundle
        let plaintextPort = AMQPAdmin(configuration: configuration, logger: Self.logger)
        await #expect {
            try await plaintextPort.messageCount(queue: "x")
        } throws: { error in
            guard case .connectionFailed? = error as? AMQPError else { return false }
            return true
        }
        await plaintextPort.close()
    }

    @Test("a wrong password is a connection failure, not a hang")
    func wrongPassword() async throws {
        try await Self.withVhost { configuration, _ in
            var wrong = configuration
            wrong.url.password = "wrong"
            let admin = AMQPAdmin(configuration: wrong, logger: Self.logger)
            await #expect {
                try await admin.messageCount(queue: "jobs")
            } throws: { error in
                guard case .connectionFailed(let reason)? = error as? AMQPError else { return false }
                return !reason.contains("wrong")
            }
            await admin.close()
        }
    }
}

/// Drains a consumer's deliveries in a task of its own, so tests can wait for the next one with
/// a deadline instead of blocking on the stream forever.
final class DeliveryCollector: Sendable {
    private let buffer = Mutex<[AMQPDelivery]>([])

    init(_ deliveries: AsyncStream<AMQPDelivery>) {
        Task { [self] in
            for await delivery in deliveries { self.buffer.withLock { $0.append(delivery) } }
        }
    }

    /// The next delivery, or nil if none came within `timeout` (not an issue by itself).
    func poll(timeout: Duration) async -> AMQPDelivery? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let delivery = buffer.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return delivery }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// The next delivery, or nil (recorded as an issue) if none came within `timeout`.
    func next(timeout: Duration = .seconds(20)) async -> AMQPDelivery? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let delivery = buffer.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return delivery }
            try? await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("no delivery within \(timeout)")
        return nil
    }
}
