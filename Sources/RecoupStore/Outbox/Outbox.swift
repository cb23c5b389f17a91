import Foundation
import Postgres
import RecoupCore

/// The transactional outbox: messages are written in the same transaction as the decision that
/// caused them and published by the relay after commit, so a crash can neither lose a message
/// nor publish one whose decision rolled back.
///
/// Per-account order: every writer holds the account's row lock (`EventRecorder`, timers), so
/// one account's rows are committed in `outbox_id` order, which is the order the relay sends.
public enum Outbox {
    /// NOTIFY channel raised when rows are added: the relay wakes at once after the commit.
    public static let notifyChannel = "recoup_outbox"

    /// Adds `message` unless one with its id is already there (the same decision made twice).
    /// Queued: it goes out with the transaction's next statement or its COMMIT.
    public static func enqueue(_ message: OutboundMessage, at now: Date, _ connection: PostgresConnection) throws {
        // The insert and its NOTIFY in one statement; a duplicate notifies nobody.
        try connection.enqueue("""
            WITH inserted AS (
                INSERT INTO recoup.outbox (message_id, account_id, exchange, routing_key, body, message_type, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (message_id) DO NOTHING
                RETURNING 1
            )
            SELECT pg_notify($8, '') FROM inserted
            """, [message.messageID, message.accountID, message.exchange, message.routingKey, message.body, message.type, now,
                  notifyChannel])
    }

    /// An unpublished outbox row.
    public struct Pending: Sendable, Equatable {
        public var outboxID: Int64
        public var messageID: String
        public var exchange: String
        public var routingKey: String
        public var type: String
        public var body: [UInt8]
        public var createdAt: Date
    }

    /// The oldest unpublished rows, in the order they must be sent.
    public static func pending(limit: Int, _ connection: PostgresConnection) throws -> [Pending] {
        try connection.query("""
            SELECT outbox_id, message_id, exchange, routing_key, message_type, body, created_at
              FROM recoup.outbox WHERE published_at IS NULL ORDER BY outbox_id LIMIT $1
            """, [limit]).map { row in
            Pending(outboxID: try row.decode(Int64.self, at: 0), messageID: try row.decode(String.self, at: 1),
                    exchange: try row.decode(String.self, at: 2), routingKey: try row.decode(String.self, at: 3),
                    type: try row.decode(String.self, at: 4), body: try row.decode([UInt8].self, at: 5),
                    createdAt: try row.decode(Date.self, at: 6))
        }
    }

    /// Marks rows the broker confirmed.
    public static func markPublished(_ outboxIDs: [Int64], at now: Date, _ connection: PostgresConnection) throws {
        guard !outboxIDs.isEmpty else { return }
        try connection.execute("""
            UPDATE recoup.outbox SET published_at = $2 WHERE outbox_id = ANY($1::bigint[]) AND published_at IS NULL
            """, ["{" + outboxIDs.map(String.init).joined(separator: ",") + "}", now])
    }

    /// How many rows wait, and since when (the relay's lag).
    public static func backlog(_ connection: PostgresConnection) throws -> (count: Int, oldest: Date?) {
        let row = try connection.query("SELECT count(*), min(created_at) FROM recoup.outbox WHERE published_at IS NULL").first!
        return (try row.decode(Int.self, at: 0), try row.decodeOptional(Date.self, at: 1))
    }
}

/// Leases on singleton work: whoever holds an unexpired lease does the work; a holder that
/// dies lets it expire and another instance takes over. Times are the database's wall clock
/// (never the controlled clock): a lease is about processes, not about business time.
public enum Lease {
    /// Takes or renews `name` for `holder` for `seconds`; true when `holder` has it now.
    public static func acquire(_ name: String, holder: String, seconds: Int, _ connection: PostgresConnection) throws -> Bool {
        let rows = try connection.query("""
            INSERT INTO recoup.leases (name, holder, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
            ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                WHERE recoup.leases.holder = EXCLUDED.holder OR recoup.leases.expires_at < now()
            RETURNING holder
            """, [name, holder, Double(seconds)])
        return rows.count == 1
    }

    /// Gives `name` up if `holder` has it, so another instance can take over at once.
    public static func release(_ name: String, holder: String, _ connection: PostgresConnection) throws {
        try connection.execute("DELETE FROM recoup.leases WHERE name = $1 AND holder = $2", [name, holder])
    }
}
