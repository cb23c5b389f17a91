import Foundation
import Postgres
import RecoupCore

/// The messages sent to each account (`recoup.contact_log`), written in the transaction that
/// queues them, read by the contact guards in the next one.
enum ContactLog {
    /// The messages the contact guards count at `now`: the touch window, plus a day for the
    /// per-day cap in any time zone.
    static func counted(accountID: String, now: Date, policy: ContactPolicy, _ connection: PostgresConnection) throws -> [SentMessage] {
        try counted(accountIDs: [accountID], now: now, policy: policy, connection)[accountID] ?? []
    }

    /// `counted` for several accounts in one statement, by account (accounts with none are absent).
    static func counted(accountIDs: [String], now: Date, policy: ContactPolicy,
                        _ connection: PostgresConnection) throws -> [String: [SentMessage]] {
        guard !accountIDs.isEmpty else { return [:] }
        let statement = countedStatement(accountIDs: accountIDs, now: now, policy: policy)
        return try decodeCounted(connection.query(statement.sql, statement.parameters))
    }

    /// The statement `counted` runs, for sending it with others in one round trip
    /// (`decodeCounted` reads its result).
    static func countedStatement(accountIDs: [String], now: Date, policy: ContactPolicy) -> (sql: String, parameters: [any PostgresBindable]) {
        ("""
         SELECT account_id, channel, sent_at, touch_id FROM recoup.contact_log
          WHERE account_id = ANY($1::text[]) AND sent_at > $2 ORDER BY sent_at
         """, [PostgresArrayLiteral.text(accountIDs), now.addingTimeInterval(-policy.touchWindow - 86_400)])
    }

    /// The messages of a `countedStatement` result, by account, oldest first.
    static func decodeCounted(_ result: PostgresResult) throws -> [String: [SentMessage]] {
        var sent: [String: [SentMessage]] = [:]
        for row in result {
            guard let channel = Channel(rawValue: try row.decode(String.self, at: 1)) else { continue }
            sent[try row.decode(String.self, at: 0), default: []].append(
                SentMessage(channel: channel, at: try row.decode(Date.self, at: 2), touchID: try row.decode(String.self, at: 3)))
        }
        return sent
    }

    static func record(accountID: String, channel: String, touchID: String, messageID: String, at now: Date,
                       _ connection: PostgresConnection) throws {
        try connection.enqueue("""
            INSERT INTO recoup.contact_log (account_id, channel, touch_id, message_id, sent_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (message_id) DO NOTHING
            """, [accountID, channel, touchID, messageID, now])
    }
}
