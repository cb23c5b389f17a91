import AMQP
import Foundation
import Logging
import Postgres
import RecoupStore
import ServiceLifecycle

/// Publishes the outbox: oldest rows first, in chunks, each chunk confirmed by the broker
/// before its rows are marked published. One instance relays at a time (it holds the
/// `outbox-relay` lease), so one account's messages leave in the order they were committed.
///
/// A broker outage leaves rows unpublished; they go out, in order, once it is back. A chunk cut
/// off by a lost connection is sent again: consumers dedupe on `message_id`. On graceful
/// shutdown the relay makes one last pass, then gives up its lease.
final class OutboxRelayService: Service {
    static let leaseName = "outbox-relay"

    let pool: PostgresPool
    let publisher: AMQPPublisher
    let listenerConfiguration: PostgresConfiguration
    let counters: Counters
    let logger: Logger
    let holder: String
    let batchSize = 500
    let chunkSize = 100
    let leaseSeconds = 30
    let pollInterval: Duration = .seconds(1)

    init(pool: PostgresPool, publisher: AMQPPublisher, listenerConfiguration: PostgresConfiguration, counters: Counters, logger: Logger) {
        self.pool = pool
        self.publisher = publisher
        self.listenerConfiguration = listenerConfiguration
        self.counters = counters
        var logger = logger
        logger[metadataKey: "service"] = "outbox-relay"
        self.logger = logger
        holder = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
    }

    func run() async throws {
        let loop = WakeableLoop(listenerConfiguration: listenerConfiguration, channels: [Outbox.notifyChannel], logger: logger)
        await loop.run(describe: EventProcessor.summary(of:)) { [self] in
            // With the broker away, keep the rows where they are and look again soon.
            guard publisher.isConnected else { return .milliseconds(250) }
            switch try await relayOnce() {
            case .notLeader: return .seconds(Double(leaseSeconds) / 3)
            case .published(_, let full): return full ? .zero : pollInterval
            }
        }
        // One last pass for what the other services committed while shutting down.
        if publisher.isConnected { _ = try? await relayOnce() }
        let holder = self.holder
        _ = try? await pool.withConnection { try Lease.release(Self.leaseName, holder: holder, $0) }
        logger.info("outbox relay stopped")
    }

    enum Pass {
        case notLeader
        /// `full`: the batch was full, so more may be waiting.
        case published(Int, full: Bool)
    }

    /// Takes (or renews) the lease and publishes one batch of the oldest unpublished rows.
    func relayOnce() async throws -> Pass {
        let holder = self.holder, leaseSeconds = self.leaseSeconds, batchSize = self.batchSize
        let batch: [Outbox.Pending]? = try await pool.transaction { connection in
            guard try Lease.acquire(Self.leaseName, holder: holder, seconds: leaseSeconds, connection) else { return nil }
            return try Outbox.pending(limit: batchSize, connection)
        }
        guard let batch else { return .notLeader }
        var published = 0
        var start = 0
        while start < batch.count {
            let chunk = Array(batch[start..<min(start + chunkSize, batch.count)])
            try await publisher.publish(chunk.map(Self.message))
            let ids = chunk.map(\.outboxID)
            try await pool.withConnection { try Outbox.markPublished(ids, at: Date(), $0) }
            published += chunk.count
            for row in chunk { counters.increment(.outboxPublished, ["type": row.type]) }
            start += chunkSize
        }
        if published > 0 { logger.debug("outbox published", metadata: ["count": "\(published)"]) }
        return .published(published, full: batch.count == batchSize)
    }

    static func message(_ row: Outbox.Pending) -> AMQPOutboundMessage {
        AMQPOutboundMessage(
            exchange: row.exchange, routingKey: row.routingKey, body: row.body,
            properties: AMQPProperties(contentType: "application/cloudevents+json", messageID: row.messageID,
                                       type: row.type, appID: "recoupd", timestamp: row.createdAt, persistent: true))
    }
}
