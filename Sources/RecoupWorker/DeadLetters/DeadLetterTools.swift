import AMQP
import Foundation
import Logging
import Postgres
import RecoupCore
import RecoupStore

/// What `recoupctl dlq` does to the `.dlq` queues: browse them without taking anything away,
/// replay a selection to where it first went, purge a selection. Replays and purges are audited
/// in `recoup.audit_log`, one row per message.
///
/// Nothing is lost if the command dies at any point: a message leaves its `.dlq` (ack) only
/// after its replay was confirmed by the broker and its audit row committed, and messages it
/// looked at but did not take return to the queue when its connection closes. Dying between
/// the confirm and the ack leaves the message in the `.dlq` as well as replayed; replaying it
/// again is absorbed by the inbox, which dedupes on the event id. A command that finishes hands
/// back what it did not take and waits until it is ready again, so the next command finds it.
public struct DeadLetterTools: Sendable {
    let configuration: RecoupConfiguration
    let logger: Logger
    /// Replays and purges take (and audit) this many messages at a time.
    var batchSize = 100
    /// How long to keep the connection open after the last ack. A quorum queue settles acks
    /// asynchronously: closing the channel right after them returned a quarter to two thirds of
    /// the acked messages to the `.dlq` in our measurements (RabbitMQ 3.10; one `multiple` ack
    /// fared no better than single ones, nor did a round trip first), none after 250 ms.
    var settleDelay: Duration = .seconds(1)
    /// How long to wait for handed-back messages to be ready again before exiting regardless
    /// (they are back by then or come back on their own; nothing is lost either way).
    var handBackTimeout: Duration = .seconds(10)

    public init(configuration: RecoupConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Ready messages per `.dlq`.
    public func counts(_ queues: [String] = DeadLetterSelection.allQueues) async throws -> [(queue: String, count: Int)] {
        try await withAdmin { admin in
            var counts: [(String, Int)] = []
            for queue in queues { counts.append((queue, try await admin.messageCount(queue: queue))) }
            return counts
        }
    }

    /// Calls `visit` with every selected message, oldest first per queue, and leaves them all
    /// where they are, unchanged and ready again by the time it returns. Returns how many it visited.
    @discardableResult
    public func browse(_ selection: DeadLetterSelection, visit: (DeadLetterRecord) throws -> Void) async throws -> Int {
        try await withAdmin { admin in
            var visited = 0
            var held: [AMQPDelivery] = []
            var ready: [String: Int] = [:]
            let now = Date()
            queues: for queue in selection.queues {
                let count = try await admin.messageCount(queue: queue)
                ready[queue] = count
                for _ in 0..<count {
                    guard let delivery = try await admin.get(queue: queue) else { break }
                    held.append(delivery)
                    let record = DeadLetterRecord(queue: queue, delivery: delivery)
                    guard selection.matches(record, at: now) else { continue }
                    try visit(record)
                    visited += 1
                    if let limit = selection.limit, visited >= limit { break queues }
                }
            }
            try await handBack(held, untilReady: ready, admin: admin)
            return visited
        }
    }

    /// Sends each selected message back to its original exchange and routing key (or, `direct`,
    /// straight to its original queue), audits it as `dlq.replayed`, then removes it from the
    /// `.dlq`. `progress` hears of each one once it is gone from the `.dlq`.
    @discardableResult
    public func replay(_ selection: DeadLetterSelection, direct: Bool, operator name: String,
                       progress: (DeadLetterRecord) -> Void = { _ in }) async throws -> Int {
        let publisher = AMQPPublisher(configuration: try amqpConfiguration("recoupctl-replay"), topology: RecoupTopology.topology,
                                      logger: logger)
        return try await using(publisher, close: { await $0.close() }) { publisher in
            try await take(selection, audit: "dlq.replayed", operator: name, progress: progress) { batch in
                let now = Date()
                let messages = batch.map { $0.replayMessage(at: now, direct: direct) }
                try await publisher.publish(messages)
                return messages.map { message in
                    ["direct": .bool(direct), "to_exchange": .string(message.exchange), "to_routing_key": .string(message.routingKey)]
                }
            }
        }
    }

    /// Deletes each selected message from its `.dlq` after auditing it as `dlq.purged`.
    @discardableResult
    public func purge(_ selection: DeadLetterSelection, operator name: String,
                      progress: (DeadLetterRecord) -> Void = { _ in }) async throws -> Int {
        try await take(selection, audit: "dlq.purged", operator: name, progress: progress) { batch in
            batch.map { _ in [:] }
        }
    }

    /// The shared loop of replay and purge: take selected messages in batches, let `act` do its
    /// part (and say what to add to each audit row), commit the audit rows, then ack.
    private func take(
        _ selection: DeadLetterSelection, audit kind: String, operator name: String,
        progress: (DeadLetterRecord) -> Void,
        act: ([DeadLetterRecord]) async throws -> [[String: JSONValue]]
    ) async throws -> Int {
        try await withAdmin { admin in
            try await configuration.withCommandPool(applicationName: "recoupctl-dlq", logger: logger) { pool in
                var taken = 0
                var passedOver: [AMQPDelivery] = []
                var ready: [String: Int] = [:]
                let now = Date()
                queues: for queue in selection.queues {
                    // Only what was there at the start: a replay dead-lettered again comes back
                    // behind these and is left for the next run.
                    var remaining = try await admin.messageCount(queue: queue)
                    ready[queue] = remaining
                    while remaining > 0 {
                        var batch: [DeadLetterRecord] = []
                        while remaining > 0, batch.count < batchSize, taken + batch.count < (selection.limit ?? .max) {
                            remaining -= 1
                            guard let delivery = try await admin.get(queue: queue) else { remaining = 0; break }
                            let record = DeadLetterRecord(queue: queue, delivery: delivery)
                            if selection.matches(record, at: now) { batch.append(record) } else { passedOver.append(delivery) }
                        }
                        ready[queue, default: 0] -= batch.count
                        guard !batch.isEmpty else { continue }
                        let extras = try await act(batch)
                        try await recordAudit(kind, batch, extras: extras, operator: name, pool: pool)
                        for record in batch {
                            try await admin.ack(record.delivery)
                            progress(record)
                        }
                        taken += batch.count
                        if let limit = selection.limit, taken >= limit { break queues }
                    }
                }
                try await handBack(passedOver, untilReady: ready, admin: admin)
                if taken > 0 { try await Task.sleep(for: settleDelay) }
                return taken
            }
        }
    }

    /// Puts back the messages looked at and not taken, then waits until each queue has at least
    /// `ready` messages ready again. The broker returns a closing connection's messages in its
    /// own time (a quorum queue through its log), and a command run straight after this one, a
    /// replay after a list, must find them all.
    private func handBack(_ held: [AMQPDelivery], untilReady ready: [String: Int], admin: AMQPAdmin) async throws {
        for delivery in held { try await admin.nack(delivery, requeue: true) }
        let deadline = ContinuousClock.now + handBackTimeout
        for (queue, expected) in ready.sorted(by: { $0.key < $1.key }) {
            while try await admin.messageCount(queue: queue) < expected {
                guard ContinuousClock.now < deadline else {
                    // Someone else took messages meanwhile, or the broker is slow: not an error.
                    logger.notice("dead letters handed back are not all ready yet; exiting anyway",
                                  metadata: ["queue": .string(queue), "expected_ready": .stringConvertible(expected)])
                    return
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    private func recordAudit(_ kind: String, _ batch: [DeadLetterRecord], extras: [[String: JSONValue]], operator name: String,
                             pool: PostgresPool) async throws {
        let clock = configuration.storeClock
        // In LockOrder: the chain heads are taken in the order the daemon's batches take them.
        let rows: [(account: String?, event: String?, detail: JSONValue)] = LockOrder.sorted(Array(zip(batch, extras))) {
            $0.0.accountID
        }.map { record, extra in
            var detail: [String: JSONValue] = ["operator": .string(name)]
            for (key, value) in record.summaryFields(at: Date()) where key != "age_seconds" { detail[key] = value }
            for (key, value) in extra { detail[key] = value }
            return (record.accountID, record.messageID, .object(detail))
        }
        try await pool.transaction { connection in
            let now = try clock.now(connection)
            for row in rows {
                try AuditLog.append(kind: kind, at: now, accountID: row.account, invoiceID: nil, eventID: row.event, rule: nil,
                                    detail: row.detail, connection)
            }
        }
    }

    /// Runs `body` with a broker admin connection, closed on every way out.
    private func withAdmin<Result: Sendable>(_ body: (AMQPAdmin) async throws -> Result) async throws -> Result {
        let admin = AMQPAdmin(configuration: try amqpConfiguration("recoupctl-dlq"), logger: logger)
        return try await using(admin, close: { await $0.close() }, body)
    }

    private func amqpConfiguration(_ name: String) throws -> AMQPConfiguration {
        try configuration.amqpConfiguration(connectionName: name)
    }

    /// Who ran the command, for the audit rows: `--operator`, else the login behind sudo, else the user.
    public static func defaultOperator(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["SUDO_USER"] ?? environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
    }
}
