import Foundation
import Postgres
import RecoupCore

/// The retry ledger (`recoup.payment_retries`) and the attempt history the planner counts
/// network limits on.
enum PaymentRetryLedger {
    /// Timer kind of a scheduled retry.
    static let timerKind = "payment.retry"

    struct Retry {
        var retryID: String
        var invoiceID: String
        var accountID: String
        var method: PaymentMethodRef
        var isBackup: Bool
        var attempt: Int
        var category: DeclineCategory
        var rules: [String]
        var dueAt: Date
        var causedBy: String
    }

    static func schedule(_ retry: Retry, now: Date, _ connection: PostgresConnection) throws {
        let inserted = try connection.execute("""
            INSERT INTO recoup.payment_retries (
                retry_id, invoice_id, account_id, method_id, method_type, method_network, method_exp_month, method_exp_year,
                is_backup, attempt, category, rules, due_at, status, caused_by, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text[], $13, 'scheduled', $14, $15)
            ON CONFLICT (retry_id) DO NOTHING
            """, [retry.retryID, retry.invoiceID, retry.accountID, retry.method.id, retry.method.type.rawValue,
                  retry.method.network, retry.method.expMonth, retry.method.expYear, retry.isBackup, retry.attempt,
                  retry.category.rawValue, PostgresArrayLiteral.text(retry.rules), retry.dueAt, retry.causedBy, now])
        guard inserted == 1 else { return }
        try TimerStore.schedule(kind: timerKind, dedupeKey: "\(timerKind):\(retry.retryID)", dueAt: retry.dueAt,
                                accountID: retry.accountID, invoiceID: retry.invoiceID,
                                payload: .object(["retry_id": .string(retry.retryID)]), now: now, connection)
    }

    /// Settles the invoice's still-scheduled retries as `status` (superseded, cancelled) and
    /// cancels their timers; returns their ids.
    static func settleScheduled(invoiceID: String, as status: String, reason: String, now: Date,
                                _ connection: PostgresConnection) throws -> [String] {
        let ids = try connection.query("""
            UPDATE recoup.payment_retries SET status = $2, settled_at = $3, settled_reason = $4
             WHERE invoice_id = $1 AND status = 'scheduled'
            RETURNING retry_id
            """, [invoiceID, status, now, reason]).map { try $0.decode(String.self, at: 0) }
        for id in ids { try TimerStore.cancel(dedupeKey: "\(timerKind):\(id)", now: now, connection) }
        return ids.sorted()
    }

    /// The platform answered the invoice's requested retries (a new failure or a payment).
    static func answerRequested(invoiceID: String, reason: String, now: Date, _ connection: PostgresConnection) throws {
        try connection.enqueue("""
            UPDATE recoup.payment_retries SET status = 'answered', settled_at = $2, settled_reason = $3
             WHERE invoice_id = $1 AND status = 'requested'
            """, [invoiceID, now, reason])
    }

    /// Earlier attempts on `methodIDs` (any invoice) and on `invoiceID` (any method) since
    /// `since`, excluding the failure recorded by `excludingEvent` and the retry `excludingRetry`
    /// (the one being planned or carried out).
    static func history(methodIDs: [String], invoiceID: String, since: Date, excludingEvent eventID: String = "",
                        excludingRetry retryID: String = "", _ connection: PostgresConnection) throws -> [PaymentAttempt] {
        let methods = PostgresArrayLiteral.text(methodIDs)
        // Failures and retries in one round trip.
        let results = try connection.queries([
            ("""
            SELECT method_id, method_type, method_network, method_exp_month, method_exp_year, invoice_id, attempted_at,
                   decline_code, decline_scheme, network_advice_code
              FROM recoup.payment_failures
             WHERE (method_id = ANY($1::text[]) OR invoice_id = $2) AND attempted_at >= $3 AND event_id <> $4
            """, [methods, invoiceID, since, eventID]),
            ("""
            SELECT method_id, method_type, method_network, method_exp_month, method_exp_year, invoice_id, due_at, status
              FROM recoup.payment_retries
             WHERE (method_id = ANY($1::text[]) OR invoice_id = $2) AND due_at >= $3 AND retry_id <> $4
               AND status IN ('scheduled', 'requested', 'answered')
            """, [methods, invoiceID, since, retryID]),
        ])
        var attempts = try results[0].map { row in
            PaymentAttempt(
                method: try method(row, from: 0), invoiceID: try row.decode(String.self, at: 5), at: try row.decode(Date.self, at: 6),
                kind: .declined(code: try row.decode(String.self, at: 7),
                                scheme: try row.decodeOptional(String.self, at: 8).flatMap(DeclineScheme.init(rawValue:)),
                                adviceCode: try row.decodeOptional(String.self, at: 9)))
        }
        attempts += try results[1].map { row in
            let kind: PaymentAttempt.Kind = switch try row.decode(String.self, at: 7) {
            case "scheduled": .retryScheduled
            case "requested": .retryRequested
            default: .retryAnswered
            }
            return PaymentAttempt(method: try method(row, from: 0), invoiceID: try row.decode(String.self, at: 5),
                                  at: try row.decode(Date.self, at: 6), kind: kind)
        }
        return attempts.sorted { ($0.at, $0.invoiceID) < ($1.at, $1.invoiceID) }
    }

    private static func method(_ row: PostgresRow, from index: Int) throws -> PaymentMethodRef {
        PaymentMethodRef(
            id: try row.decode(String.self, at: index),
            type: PaymentMethodType(rawValue: try row.decode(String.self, at: index + 1)) ?? .card,
            network: try row.decodeOptional(String.self, at: index + 2),
            expMonth: try row.decodeOptional(Int.self, at: index + 3), expYear: try row.decodeOptional(Int.self, at: index + 4))
    }

    /// A retry row, locked, for its timer.
    struct Stored {
        var retry: Retry
        var status: String
    }

    static func lockForFiring(_ retryID: String, _ connection: PostgresConnection) throws -> Stored? {
        guard let row = try connection.query("""
            SELECT retry_id, invoice_id, account_id, method_id, method_type, method_network, method_exp_month, method_exp_year,
                   is_backup, attempt, category, array_to_string(rules, ' '), due_at, caused_by, status
              FROM recoup.payment_retries WHERE retry_id = $1 FOR UPDATE
            """, [retryID]).first else { return nil }
        let retry = Retry(
            retryID: try row.decode(String.self, at: 0), invoiceID: try row.decode(String.self, at: 1),
            accountID: try row.decode(String.self, at: 2), method: try method(row, from: 3),
            isBackup: try row.decode(Bool.self, at: 8), attempt: try row.decode(Int.self, at: 9),
            category: DeclineCategory(rawValue: try row.decode(String.self, at: 10)) ?? .unknown,
            rules: try row.decode(String.self, at: 11).split(separator: " ").map(String.init),
            dueAt: try row.decode(Date.self, at: 12), causedBy: try row.decode(String.self, at: 13))
        return Stored(retry: retry, status: try row.decode(String.self, at: 14))
    }

    static func settle(_ retryID: String, as status: String, reason: String, now: Date, _ connection: PostgresConnection) throws {
        try connection.execute("""
            UPDATE recoup.payment_retries SET status = $2, settled_at = $3, settled_reason = $4 WHERE retry_id = $1
            """, [retryID, status, now, reason])
    }
}
