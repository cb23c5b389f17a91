import Foundation
import Postgres
import RecoupCore

/// The append-only audit trail: every event applied or found stale, and (later) every decision
/// and suppression, with the rule that decided it.
public enum AuditLog {
    /// Appends one row in the caller's transaction. Queued: it goes out with the transaction's
    /// next statement or its COMMIT (`PostgresConnection.enqueue`).
    public static func append(
        kind: String, at occurredAt: Date, accountID: String?, invoiceID: String?, eventID: String?,
        rule: String?, detail: JSONValue, _ connection: PostgresConnection
    ) throws {
        try connection.enqueue("""
            INSERT INTO recoup.audit_log (occurred_at, account_id, invoice_id, event_id, kind, rule, detail)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
            """, [occurredAt, accountID, invoiceID, eventID, kind, rule, detail.serialized])
    }
}

/// Array literals for array parameters (`$n::text[]`, `$n::bigint[]`).
enum PostgresArrayLiteral {
    static func integers(_ values: [Int64]) -> String {
        "{" + values.map(String.init).joined(separator: ",") + "}"
    }

    /// Quotes every element.
    static func text(_ values: [String]) -> String {
        "{" + values.map { value in
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}"
    }
}
