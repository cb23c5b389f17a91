import AMQP
import Foundation
import Logging
import Postgres
import RecoupCore
import RecoupStore

/// The two ceilings recoupd's throughput is judged against, measured on the same machine and
/// servers (issue 7): PostgreSQL running one event's transaction, committed one at a time, as
/// recoupd's recorder runs it; and rabbitmq-c relaying messages from one quorum queue to
/// another with publisher confirms, acking each source message after its confirm.
public enum CeilingBenchmarks {
    /// One measurement: how many operations in how long.
    public struct Result: Sendable {
        public let name: String
        public let operations: Int
        public let seconds: Double
        public var perSecond: Double { seconds > 0 ? Double(operations) / seconds : 0 }

        public var line: String {
            "\(name): \(operations) in \(String(format: "%.2f", seconds)) s = \(String(format: "%.0f", perSecond))/s"
        }
    }

    /// An `invoice.created` for a new invoice of one of `accounts` accounts: the commonest
    /// event of a billing burst, and one that plans a journey (state, audit, timers).
    static func invoiceCreated(_ index: Int, accounts: Int, runID: String) -> [UInt8] {
        BenchmarkMix.event("invoice.created", id: "bench_\(runID)_\(index)", time: "2026-12-01T09:00:00Z", data: [
            "invoice_id": .string("bench_\(runID)_in_\(index)"), "account_id": .string("bench_\(runID)_acc_\(index % accounts)"),
            "number": .string("B-\(index)"), "currency": "EUR", "amount_due_minor": .int(Int64(10_000 + index % 90_000)),
            "amount_paid_minor": 0, "issued_at": "2026-12-01T09:00:00Z", "due_date": "2026-12-31", "status": "open",
            "version": 1,
        ]).body
    }

    /// `events` invoice transactions through the real recorder on one connection, one commit
    /// each, with the policy in force. Writes real rows: run it against a bench database.
    public static func postgres(events: Int, configuration: RecoupConfiguration, policy: LoadedPolicy,
                                logger: Logger) async throws -> Result {
        try await configuration.withCommandPool(applicationName: "recoupctl-bench", logger: logger) { pool in
            let recorder = EventRecorder(clock: configuration.storeClock, holder: ReactionsHolder(policy.reactions))
            let runID = String(UUID().uuidString.prefix(8)).lowercased()
            let parsed = try (0..<events).map { index in
                try EventParser.parse(invoiceCreated(index, accounts: max(1, events / 4), runID: runID)).get()
            }
            let started = ContinuousClock.now
            for event in parsed {
                _ = try await pool.transaction { connection in
                    try recorder.record(event, queue: RecoupTopology.invoices.name, connection: connection)
                }
            }
            return Result(name: "PostgreSQL, one event's transaction at a time", operations: events,
                          seconds: (ContinuousClock.now - started).seconds)
        }
    }

    static let relaySource = "recoup.bench.relay-source"
    static let relayTarget = "recoup.bench.relay-target"

    /// `messages` relayed from one quorum queue to another as fast as rabbitmq-c goes: consume
    /// with the daemon's prefetch, publish each with a confirm (a prefetch's worth in flight),
    /// ack it once confirmed. The queues are made for the run and purged after it.
    public static func amqpRelay(messages: Int, configuration: RecoupConfiguration, logger: Logger) async throws -> Result {
        let amqp = try configuration.amqpConfiguration(connectionName: "recoupctl-bench")
        let topology = AMQPTopology(queues: [relaySource, relayTarget].map {
            AMQPTopology.Queue(name: $0, durable: true, arguments: ["x-queue-type": .string("quorum")])
        })
        let admin = AMQPAdmin(configuration: amqp, logger: logger)
        let publisher = AMQPPublisher(configuration: amqp, topology: topology, logger: logger)
        let consumer = AMQPConsumer(configuration: amqp, queue: relaySource, prefetch: UInt16(configuration.amqp.prefetch),
                                    topology: topology, logger: logger)
        func closeAll() async {
            _ = try? await admin.purge(queue: relaySource)
            _ = try? await admin.purge(queue: relayTarget)
            await consumer.close()
            await publisher.close()
            await admin.close()
        }
        do {
            try await admin.declare(topology)
            // Left over from an interrupted run? A quorum queue declared a moment ago can answer
            // a purge with 541 (its process not started yet): wait and try again.
            for queue in [relaySource, relayTarget] {
                var attempt = 1
                while true {
                    do {
                        _ = try await admin.purge(queue: queue)
                        break
                    } catch where attempt < 10 {
                        attempt += 1
                        try await Task.sleep(for: .milliseconds(300))
                    }
                }
            }
            let body = invoiceCreated(0, accounts: 1, runID: "relay")
            for start in stride(from: 0, to: messages, by: 500) {
                try await publisher.publish((start..<min(start + 500, messages)).map { index in
                    AMQPOutboundMessage(exchange: "", routingKey: relaySource, body: body,
                                        properties: AMQPProperties(messageID: "relay_\(index)", persistent: true))
                })
            }

            let started = ContinuousClock.now
            var relayed = 0
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Up to a prefetch's worth of publishes wait for their confirms at once.
                var inFlight = 0
                for await delivery in consumer.deliveries {
                    if inFlight >= configuration.amqp.prefetch {
                        try await group.next()
                        inFlight -= 1
                    }
                    group.addTask {
                        try await publisher.publish([AMQPOutboundMessage(exchange: "", routingKey: relayTarget, body: delivery.body,
                                                                         properties: delivery.properties)])
                        consumer.ack(delivery)
                    }
                    inFlight += 1
                    relayed += 1
                    if relayed == messages { break }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            await closeAll()
            return Result(name: "RabbitMQ relay, quorum to quorum with confirms", operations: relayed, seconds: elapsed.seconds)
        } catch {
            await closeAll()
            throw error
        }
    }
}
