import Foundation
import Postgres
import RecoupCore

/// The collector's worklist: open overdue invoices ranked by `PriorityScore`, each with the
/// reasons that put it there and who it belongs to. Read-only; personal data stays out.
public enum Worklist {
    public struct Item: Sendable {
        public var invoiceID, accountID: String
        public var number: String?
        public var tier: ValueTier
        public var daysOverdue: Int
        public var openBalance: Money?
        public var owner: String
        public var score: PriorityScore

        public var json: JSONValue {
            .object([
                "invoice_id": .string(invoiceID), "account_id": .string(accountID), "number": number.map(JSONValue.string) ?? .null,
                "segment": .string(tier.rawValue), "days_overdue": .int(Int64(daysOverdue)),
                "open_balance_minor": openBalance.map { .int($0.minorUnits) } ?? .null,
                "currency": openBalance.map { .string($0.currency.code) } ?? .null,
                "owner": .string(owner), "priority_score": JSONNumber((score.value * 10).rounded() / 10).map(JSONValue.number) ?? .null,
                "reasons": .array(score.reasons.map(JSONValue.string)),
            ])
        }
    }

    /// The `limit` most urgent open invoices that are overdue as of `now`, most urgent first.
    public static func top(_ limit: Int, now: Date, policy: EscalationPolicy,
                           _ connection: PostgresConnection) throws -> [Item] {
        let rows = try connection.query("""
            SELECT i.invoice_id, i.account_id FROM recoup.invoices i
             WHERE i.status = 'open' AND i.due_date IS NOT NULL AND i.due_date < ($1::timestamptz AT TIME ZONE 'UTC')::date + 1
            """, [now])
        var items: [Item] = []
        for row in rows {
            let invoiceID = try row.decode(String.self, at: 0), accountID = try row.decode(String.self, at: 1)
            let account = try AccountFacts.read(accountID, connection)
            guard let invoice = try InvoiceFacts.read(invoiceID, connection),
                  let days = invoice.daysOverdue(now: now, timeZone: account.timeZone), days > 0,
                  (invoice.openBalance?.minorUnits ?? 1) > 0 else { continue }
            let tier = account.valueTier
            let risks = try Self.risks(invoiceID: invoiceID, accountID: accountID, now: now, policy: policy, connection)
            let score = PriorityScore.of(daysOverdue: days, openBalance: invoice.openBalance, tier: tier, risks: risks,
                                         agingThresholdDays: policy.agingThreshold(for: tier))
            items.append(Item(invoiceID: invoiceID, accountID: accountID, number: invoice.number, tier: tier, daysOverdue: days,
                              openBalance: invoice.openBalance, owner: policy.owner(for: tier, daysOverdue: days), score: score))
        }
        items.sort { ($0.score.value, $1.invoiceID) > ($1.score.value, $0.invoiceID) }
        return Array(items.prefix(limit))
    }

    /// What makes an invoice riskier than its age and size say, in words for the worklist.
    static func risks(invoiceID: String, accountID: String, now: Date, policy: EscalationPolicy,
                      _ connection: PostgresConnection) throws -> [String] {
        let row = try connection.query("""
            SELECT
              EXISTS (SELECT 1 FROM recoup.payment_failures WHERE account_id = $2 AND attempted_at > $3 - interval '60 days'),
              EXISTS (SELECT 1 FROM recoup.disputes WHERE invoice_id = $1 AND status = 'open')
                OR EXISTS (SELECT 1 FROM recoup.invoice_holds WHERE invoice_id = $1 AND released_at IS NULL),
              EXISTS (SELECT 1 FROM recoup.audit_log WHERE invoice_id = $1 AND kind = 'promise.broken'),
              (SELECT count(*) FROM recoup.payments WHERE invoice_id = $1),
              EXISTS (SELECT 1 FROM recoup.replies WHERE account_id = $2 AND reply_class = 'frustration' AND received_at > $3 - interval '30 days'),
              EXISTS (SELECT 1 FROM recoup.crm_signals WHERE account_id = $2 AND kind = 'churn_risk' AND occurred_at > $4)
            """, [invoiceID, accountID, now, now.addingTimeInterval(-CadenceFacts.churnSignalDays * 86_400)]).first!
        var risks: [String] = []
        if try row.decode(Bool.self, at: 0) { risks.append("a payment failed in the last 60 days") }
        if try row.decode(Bool.self, at: 1) { risks.append("disputed or on hold") }
        if try row.decode(Bool.self, at: 2) { risks.append("a promise to pay was broken") }
        let shortPays = try row.decode(Int.self, at: 3)
        if shortPays >= policy.repeatedShortPays { risks.append("\(shortPays) short payments") }
        if try row.decode(Bool.self, at: 4) { risks.append("the customer replied in frustration") }
        if try row.decode(Bool.self, at: 5) { risks.append("a churn-risk signal") }
        return risks
    }
}

/// Everything Recoup recorded about one account, in order: each event, decision, suppression,
/// message, reply (its class, never its text) and escalation — the trail an auditor reads.
public enum Timeline {
    public static func entries(accountID: String, limit: Int = 10_000, _ connection: PostgresConnection) throws -> [JSONValue] {
        try connection.query("""
            SELECT occurred_at, kind, invoice_id, event_id, rule, detail::text FROM recoup.audit_log
             WHERE account_id = $1 ORDER BY occurred_at, audit_id LIMIT $2
            """, [accountID, limit]).map { row in
            let detail = try row.decode(String.self, at: 5)
            return .object([
                "at": .string(Timestamps.format(try row.decode(Date.self, at: 0))),
                "kind": .string(try row.decode(String.self, at: 1)),
                "invoice_id": try row.decodeOptional(String.self, at: 2).map(JSONValue.string) ?? .null,
                "event_id": try row.decodeOptional(String.self, at: 3).map(JSONValue.string) ?? .null,
                "rule": try row.decodeOptional(String.self, at: 4).map(JSONValue.string) ?? .null,
                "detail": (try? JSONParser.parse(Array(detail.utf8))) ?? .null,
            ])
        }
    }
}
