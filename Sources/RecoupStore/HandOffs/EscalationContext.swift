import Foundation
import Postgres
import RecoupCore

/// The context a person needs to engage warm (CONTRACT.md, `escalation.raised`): aging,
/// balance, segment, and the account's recent touches, replies, disputes, signals and
/// payments. Reply texts stay out (ids, channels and times only).
enum EscalationContext {
    /// The account's latest customer messages ($1 the account): read through
    /// `outbox_account_idx`, not by walking the whole outbox back from its newest row.
    static let touchesSQL = """
        SELECT message_id, routing_key, created_at FROM recoup.outbox
         WHERE account_id = $1 AND message_type = 'message.requested' ORDER BY outbox_id DESC LIMIT 10
        """

    /// The account's latest disputes ($1 the account), through `disputes_account_idx`.
    static let disputesSQL = """
        SELECT dispute_id, invoice_id, status FROM recoup.disputes WHERE account_id = $1 ORDER BY updated_at DESC LIMIT 10
        """

    static func build(account: AccountFacts, invoice: InvoiceFacts, daysOverdue: Int?, tier: ValueTier,
                      _ connection: PostgresConnection) throws -> JSONObject {
        let touches = try connection.query(touchesSQL, [account.accountID]).map { row in
            JSONValue.object(["message_id": .string(try row.decode(String.self, at: 0)),
                              "routing_key": .string(try row.decode(String.self, at: 1)),
                              "at": .string(try row.decode(Date.self, at: 2).formatted(.iso8601))])
        }
        let replies = try connection.query("""
            SELECT reply_id, channel, received_at FROM recoup.replies WHERE account_id = $1 ORDER BY received_at DESC LIMIT 10
            """, [account.accountID]).map { row in
            JSONValue.object(["reply_id": .string(try row.decode(String.self, at: 0)),
                              "channel": .string(try row.decode(String.self, at: 1)),
                              "received_at": .string(try row.decode(Date.self, at: 2).formatted(.iso8601))])
        }
        let disputes = try connection.query(disputesSQL, [account.accountID]).map { row in
            JSONValue.object(["dispute_id": .string(try row.decode(String.self, at: 0)),
                              "invoice_id": .string(try row.decode(String.self, at: 1)),
                              "status": .string(try row.decode(String.self, at: 2))])
        }
        let signals = try connection.query("""
            SELECT kind, priority, occurred_at FROM recoup.crm_signals WHERE account_id = $1 ORDER BY occurred_at DESC LIMIT 10
            """, [account.accountID]).map { row in
            JSONValue.object(["kind": .string(try row.decode(String.self, at: 0)),
                              "priority": (try row.decodeOptional(String.self, at: 1)).map(JSONValue.string) ?? .null,
                              "at": .string(try row.decode(Date.self, at: 2).formatted(.iso8601))])
        }
        var payments = try connection.query("""
            SELECT payment_id, amount_minor, currency, succeeded_at FROM recoup.payments WHERE invoice_id = $1
             ORDER BY succeeded_at DESC LIMIT 10
            """, [invoice.invoiceID]).map { row in
            JSONValue.object(["payment_id": .string(try row.decode(String.self, at: 0)), "status": .string("succeeded"),
                              "amount_minor": .int(try row.decode(Int64.self, at: 1)),
                              "currency": .string(try row.decode(String.self, at: 2)),
                              "at": .string(try row.decode(Date.self, at: 3).formatted(.iso8601))])
        }
        payments += try connection.query("""
            SELECT payment_id, amount_minor, currency, attempted_at, decline_code, category FROM recoup.payment_failures
             WHERE invoice_id = $1 ORDER BY attempted_at DESC LIMIT 10
            """, [invoice.invoiceID]).map { row in
            JSONValue.object(["payment_id": .string(try row.decode(String.self, at: 0)), "status": .string("failed"),
                              "amount_minor": .int(try row.decode(Int64.self, at: 1)),
                              "currency": .string(try row.decode(String.self, at: 2)),
                              "at": .string(try row.decode(Date.self, at: 3).formatted(.iso8601)),
                              "decline_code": .string(String(try row.decode(String.self, at: 4).prefix(64))),
                              "category": (try row.decodeOptional(String.self, at: 5)).map(JSONValue.string) ?? .null])
        }
        return [
            "days_overdue": daysOverdue.map { JSONValue.int(Int64($0)) } ?? .null,
            "open_balance_minor": invoice.openBalance.map { JSONValue.int($0.minorUnits) } ?? .null,
            "currency": invoice.currency.map { JSONValue.string($0.code) } ?? .null,
            "segment": .string(tier.rawValue),
            "touches": .array(touches),
            "replies": .array(replies),
            "disputes": .array(disputes),
            "signals": .array(signals),
            "payments": .array(payments),
        ]
    }
}
