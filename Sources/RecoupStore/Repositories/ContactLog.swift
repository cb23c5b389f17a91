import Foundation
import Postgres
import RecoupCore

/// The messages sent to each account (`recoup.contact_log`), written in the transaction that
/// queues them, read by the contact guards in the next one.
enum ContactLog {
    /// Messages sent to the account since `since`.
    static func sent(accountID: String, since: Date, _ connection: PostgresConnection) throws -> [SentMessage] {
        let statement = sentStatement(accountID: accountID, since: since)
        return try decodeSent(connection.query(statement.sql, statement.parameters))
    }

    /// The statement `sent` runs, for sending it with others in one round trip (`decodeSent` reads its result).
    static func sentStatement(accountID: String, since: Date) -> (sql: String, parameters: [any PostgresBindable]) {
        ("SELECT channel, sent_at, touch_id FROM recoup.contact_log WHERE account_id = $1 AND sent_at > $2 ORDER BY sent_at",
         [accountID, since])
    }

    static func decodeSent(_ result: PostgresResult) throws -> [SentMessage] {
        try result.compactMap { row in
            guard let channel = Channel(rawValue: try row.decode(String.self, at: 0)) else { return nil }
            return SentMessage(channel: channel, at: try row.decode(Date.self, at: 1), touchID: try row.decode(String.self, at: 2))
        }
    }

    /// The messages the contact guards count at `now`: the touch window, plus a day for the
    /// per-day cap in any time zone.
    static func counted(accountID: String, now: Date, policy: ContactPolicy, _ connection: PostgresConnection) throws -> [SentMessage] {
        try sent(accountID: accountID, since: countedSince(now: now, policy: policy), connection)
    }

    /// `counted` for several accounts in one statement, by account (accounts with none are absent).
    static func counted(accountIDs: [String], now: Date, policy: ContactPolicy,
                        _ connection: PostgresConnection) throws -> [String: [SentMessage]] {
        guard !accountIDs.isEmpty else { return [:] }
        var sent: [String: [SentMessage]] = [:]
        for row in try connection.query("""
            SELECT account_id, channel, sent_at, touch_id FROM recoup.contact_log
             WHERE account_id = ANY($1::text[]) AND sent_at > $2 ORDER BY sent_at
            """, [PostgresArrayLiteral.text(accountIDs), countedSince(now: now, policy: policy)]) {
            guard let channel = Channel(rawValue: try row.decode(String.self, at: 1)) else { continue }
            sent[try row.decode(String.self, at: 0), default: []].append(
                SentMessage(channel: channel, at: try row.decode(Date.self, at: 2), touchID: try row.decode(String.self, at: 3)))
        }
        return sent
    }

    static func countedSince(now: Date, policy: ContactPolicy) -> Date {
        now.addingTimeInterval(-policy.touchWindow - 86_400)
    }

    static func record(accountID: String, channel: String, touchID: String, messageID: String, at now: Date,
                       _ connection: PostgresConnection) throws {
        try connection.enqueue("""
            INSERT INTO recoup.contact_log (account_id, channel, touch_id, message_id, sent_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (message_id) DO NOTHING
            """, [accountID, channel, touchID, messageID, now])
    }
}
