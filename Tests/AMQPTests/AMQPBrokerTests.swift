import Foundation
import Logging
import Testing
import TestSupport
@testable import AMQP

/// Against the real local RabbitMQ 3.10, each test in a vhost of its own.
@Suite("AMQP against the local broker")
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

    static func withVhost(_ body: (AMQPConfiguration, String) async throws -> Void) async throws {
        let vhost = try TestEnvironment.makeVhost(prefix: "amqp")
        let configuration = AMQPConfiguration(url: try AMQPURL.parse(TestEnvironment.amqpURL(vhost: vhost)), connectionName: "test-\(vhost)")
        do {
            try await body(configuration, vhost)
        } catch {
            try? TestEnvironment.deleteVhost(vhost)
            throw error
        }
        try TestEnvironment.deleteVhost(vhost)
    }

    static func message(_ index: Int) -> AMQPOutboundMessage {
        var properties = AMQPProperties()
        properties.messageID = "m\(index)"
        properties.contentType = "application/json"
        properties.persistent = true
        properties.headers = ["index": .int(Int64(index)), "note": .string("ünïcode")]
        return AMQPOutboundMessage(exchange: "work", routingKey: "job.\(index % 3)", body: Array("{\"i\":\(index)}".utf8), properties: properties)
    }

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
                let index = Int(String(decoding: delivery.body, as: UTF8.self).dropFirst(5).dropLast())!
                #expect(delivery.properties.messageID == "m\(index)")
                #expect(delivery.properties.headers["index"] == .int(Int64(index)))
                #expect(delivery.properties.headers["note"] == .string("ünïcode"))
                #expect(delivery.properties.persistent)
                #expect(delivery.routingKey == "job.\(index % 3)")
                #expect(delivery.exchange == "work")
                consumer.ack(delivery)
                seen.append(index)
                if seen.count == 1_000 { break }
            }
            #expect(seen == Array(0..<1_000))
            await consumer.close()
            let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
            #expect(try await admin.messageCount(queue: "jobs") == 0)
            await admin.close()
            await publisher.close()
        }
    }

    @Test("nack without requeue dead-letters through the queue's DLX")
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
            guard case .array(let deaths)? = dead.properties.headers["x-death"], case .table(let death)? = deaths.first else {
                Issue.record("no x-death header"); return
            }
            #expect(death["reason"] == .string("rejected"))
            try await admin.ack(dead)
            #expect(try await admin.messageCount(queue: "jobs.dlq") == 0)
            await admin.close(); await consumer.close(); await publisher.close()
        }
    }

    @Test("a consumer whose connection is closed by the broker reconnects and keeps receiving")
    func reconnect() async throws {
        try await Self.withVhost { configuration, vhost in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            let consumer = AMQPConsumer(configuration: configuration, queue: "jobs", prefetch: 10, topology: Self.topology, logger: Self.logger)
            #expect(await consumer.waitUntilConnected(timeout: .seconds(10)))
            try await publisher.publish([Self.message(1)])
            var iterator = consumer.deliveries.makeAsyncIterator()
            let first = try #require(await iterator.next())
            consumer.ack(first)

            try TestEnvironment.rabbitmqctl(["close_all_connections", "-p", vhost, "test"])
            // The publisher's connection was closed too; its next publish reconnects.
            var published = false
            for _ in 0..<50 where !published {
                do { try await publisher.publish([Self.message(2)]); published = true } catch { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(published)
            let second = try #require(await iterator.next())
            #expect(second.properties.messageID == "m2")
            #expect(second.consumerGeneration > first.consumerGeneration)
            consumer.ack(second)
            await consumer.close(); await publisher.close()
        }
    }

    @Test("stopConsuming ends the sequence; unacked deliveries go back to the queue on close")
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
            await consumer.close()
            let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
            try await Self.eventually("requeued messages") { try await admin.messageCount(queue: "jobs") == 17 }
            #expect(try await admin.purge(queue: "jobs") == 17)
            #expect(try await admin.messageCount(queue: "jobs") == 0)
            await admin.close(); await publisher.close()
        }
    }

    @Test("publishing to a missing exchange fails, and the publisher recovers for the next publish")
    func missingExchange() async throws {
        try await Self.withVhost { configuration, _ in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            var bad = Self.message(1)
            bad.exchange = "no-such-exchange"
            await #expect(throws: AMQPError.self) { try await publisher.publish([bad]) }
            try await publisher.publish([Self.message(2)])
            let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
            #expect(try await admin.messageCount(queue: "jobs") == 1)
            await #expect(throws: AMQPError.self) { try await admin.messageCount(queue: "no-such-queue") }
            #expect(try await admin.messageCount(queue: "jobs") == 1, "admin recovers after a channel error")
            await admin.close(); await publisher.close()
        }
    }

    @Test("a mandatory message nobody is bound for is returned as an error")
    func mandatoryReturn() async throws {
        try await Self.withVhost { configuration, _ in
            let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
            var unroutable = Self.message(1)
            unroutable.routingKey = "nobody.listens"
            unroutable.mandatory = true
            await #expect(throws: AMQPError.self) { try await publisher.publish([unroutable]) }
            try await publisher.publish([Self.message(3)])
            await publisher.close()
        }
    }

    @Test("connecting to a port where no broker listens fails fast with a clear error")
    func noBroker() async throws {
        var configuration = AMQPConfiguration(url: try AMQPURL.parse("amqp://u:p@127.0.0.1:1/"), connectionName: "nobody")
        configuration.operationTimeout = .seconds(2)
        let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
        await #expect(throws: AMQPError.self) { try await admin.messageCount(queue: "x") }
        await admin.close()
    }
}
