import Foundation
import Synchronization
import Logging
import Testing
import TestSupport
import AMQP

/// A scratch broker really goes down and comes back with its durable data, while the shared
/// local broker the other tests use stays up.
@Suite("Scratch broker: a private node to stop and start again", .timeLimit(.minutes(5)))
struct ScratchBrokerTests {
    static let logger = Logger(label: "test.scratch-broker")

    static let topology = AMQPTopology(queues: [
        .init(name: "outage", durable: true, arguments: ["x-queue-type": .string("quorum")]),
    ])

    /// Runs `body` with a new scratch broker and destroys it afterwards, also when `body` throws.
    static func withScratchBroker(name: String, _ body: (ScratchBroker) async throws -> Void) async throws {
        let broker = try await ScratchBroker.start(name: name)
        do {
            try await body(broker)
        } catch {
            await broker.destroy()
            throw error
        }
        await broker.destroy()
        #expect(!FileManager.default.fileExists(atPath: broker.directory.path), "destroy() deleted the data")
    }

    static func configuration(_ url: String, name: String) throws -> AMQPConfiguration {
        var configuration = AMQPConfiguration(url: try AMQPURL.parse(url), connectionName: name)
        configuration.connectTimeout = .seconds(3)
        configuration.publishTimeout = .seconds(10)
        return configuration
    }

    /// Opens a fresh connection to the shared broker and counts a queue of `vhost` through it.
    static func sharedReachable(vhost: String) async -> Bool {
        guard let configuration = try? configuration(TestEnvironment.amqpURL(vhost: vhost), name: "scratch-probe") else { return false }
        let admin = AMQPAdmin(configuration: configuration, logger: logger)
        let ok = (try? await admin.messageCount(queue: "probe")) == 0
        await admin.close()
        return ok
    }

    @Test("stopped, it refuses connections; started again, its quorum queue still holds the persistent message; the shared broker stays up")
    func stopAndStartAgain() async throws {
        // Watch the shared broker the whole time, with a fresh connection every probe.
        let vhost = try await TestEnvironment.makeVhost(prefix: "scratch")
        let sharedAdmin = AMQPAdmin(configuration: try Self.configuration(TestEnvironment.amqpURL(vhost: vhost), name: "scratch-setup"),
                                    logger: Self.logger)
        try await sharedAdmin.declare(AMQPTopology(queues: [.init(name: "probe", durable: false)]))
        await sharedAdmin.close()
        let probes = Mutex((ok: 0, failed: 0))
        let prober = Task {
            while !Task.isCancelled {
                let ok = await Self.sharedReachable(vhost: vhost)
                probes.withLock { if ok { $0.ok += 1 } else { $0.failed += 1 } }
                try? await Task.sleep(for: .milliseconds(300))
            }
        }

        do {
            try await Self.withScratchBroker(name: "outage") { broker in
                #expect(broker.amqpURL == "amqp://recoup:recoup@127.0.0.1:\(broker.port)/recoup")
                #expect(broker.port != TestEnvironment.amqpPort)
                let configuration = try Self.configuration(broker.amqpURL, name: "scratch-test")

                let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
                try await admin.declare(Self.topology)
                let publisher = AMQPPublisher(configuration: configuration, topology: Self.topology, logger: Self.logger)
                let message = AMQPOutboundMessage(
                    exchange: "", routingKey: "outage", body: Array("survive me".utf8),
                    properties: AMQPProperties(messageID: "survivor", persistent: true))
                try await publisher.publish([message])              // confirmed: on disk
                #expect(try await admin.messageCount(queue: "outage") == 1)
                await publisher.close()
                await admin.close()

                try await broker.stop()
                let down = AMQPAdmin(configuration: configuration, logger: Self.logger)
                await #expect {
                    try await down.messageCount(queue: "outage")
                } throws: { error in
                    guard case .connectionFailed? = error as? AMQPError else { return false }
                    return true
                }
                await down.close()
                #expect(await Self.sharedReachable(vhost: vhost), "the shared broker is up while the scratch one is down")

                try await broker.startAgain()
                let back = AMQPAdmin(configuration: configuration, logger: Self.logger)
                // The quorum queue's Raft member elects itself again shortly after the boot.
                try await AMQPBrokerTests.eventually("the queue recovered", timeout: .seconds(60)) {
                    (try? await back.messageCount(queue: "outage")) == 1
                }
                let survivor = try #require(try await back.get(queue: "outage"))
                #expect(survivor.properties.messageID == "survivor")
                #expect(survivor.properties.persistent)
                #expect(survivor.body == Array("survive me".utf8))
                try await back.ack(survivor)
                #expect(try await back.messageCount(queue: "outage") == 0)
                await back.close()
            }
        } catch {
            prober.cancel()
            try? await TestEnvironment.deleteVhost(vhost)
            throw error
        }

        prober.cancel()
        await prober.value
        let seen = probes.withLock { $0 }
        #expect(seen.failed == 0, "the shared broker was unreachable \(seen.failed) of \(seen.ok + seen.failed) times")
        #expect(seen.ok > 0)
        #expect(await Self.sharedReachable(vhost: vhost))
        try await TestEnvironment.deleteVhost(vhost)
    }
}
