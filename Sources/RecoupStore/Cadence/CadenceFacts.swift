import Foundation
import Postgres
import RecoupCore

/// What the cadence rules need from the database, gathered inside the deciding transaction:
/// the account's segmentation facts and an invoice's pause facts.
enum CadenceFacts {
    /// The account's ARR, tier, tags, payment history (its other invoices), last payment failure,
    /// the card on file's expiry (from its latest card failure), disputes and CRM signals.
    static func segmentationInput(accountID: String, excludingInvoice invoiceID: String?, now: Date, timeZone: TimeZone,
                                  _ connection: PostgresConnection) throws -> SegmentationInput {
        var input = SegmentationInput()
        if let row = try connection.query("""
            SELECT arr_minor, currency, tier_override FROM recoup.accounts WHERE account_id = $1
            """, [accountID]).first {
            input.arrMinor = try row.decodeOptional(Int64.self, at: 0)
            input.currency = try row.decodeOptional(String.self, at: 1).flatMap(Currency.init(code:))
            input.tierOverride = try row.decodeOptional(String.self, at: 2).flatMap(ValueTier.init(rawValue:))
        }
        input.tags = try connection.query("SELECT unnest(tags) FROM recoup.accounts WHERE account_id = $1", [accountID])
            .map { try $0.decode(String.self, at: 0) }
        input.history = try connection.query("""
            SELECT to_char(due_date, 'YYYY-MM-DD'), status, last_paid_at FROM recoup.invoices
             WHERE account_id = $1 AND invoice_id <> coalesce($2, '') AND due_date IS NOT NULL
            """, [accountID, invoiceID]).compactMap { row in
            guard let due = LocalDate(try row.decode(String.self, at: 0)) else { return nil }
            let status = try row.decodeOptional(String.self, at: 1)
            let paidAt = try row.decodeOptional(Date.self, at: 2)
            return InvoiceHistoryItem(dueDate: due, paidOn: status == "paid" ? paidAt.map { LocalDate($0, in: timeZone) } : nil,
                                      writtenOff: status == "uncollectible")
        }
        if let row = try connection.query("""
            SELECT attempted_at FROM recoup.payment_failures WHERE account_id = $1 ORDER BY attempted_at DESC LIMIT 1
            """, [accountID]).first {
            input.lastPaymentFailure = LocalDate(try row.decode(Date.self, at: 0), in: timeZone)
        }
        if let row = try connection.query("""
            SELECT method_exp_year, method_exp_month FROM recoup.payment_failures
             WHERE account_id = $1 AND method_type = 'card' AND method_exp_year IS NOT NULL AND method_exp_month IS NOT NULL
             ORDER BY attempted_at DESC LIMIT 1
            """, [accountID]).first {
            input.cardExpiry = (year: try row.decode(Int.self, at: 0), month: try row.decode(Int.self, at: 1))
        }
        input.hasOpenDispute = try connection.query(
            "SELECT 1 FROM recoup.disputes WHERE account_id = $1 AND status = 'open' LIMIT 1", [accountID]).count == 1
        // The newest ticket signal says whether a ticket is open; a high-priority open one is a risk.
        if let row = try connection.query("""
            SELECT kind, priority FROM recoup.crm_signals
             WHERE account_id = $1 AND kind IN ('support_ticket_opened', 'support_ticket_closed')
             ORDER BY occurred_at DESC, recorded_at DESC LIMIT 1
            """, [accountID]).first {
            input.hasOpenHighPriorityTicket = try row.decode(String.self, at: 0) == "support_ticket_opened"
                && (try row.decodeOptional(String.self, at: 1)) == "high"
        }
        input.hasChurnRiskSignal = try connection.query("""
            SELECT 1 FROM recoup.crm_signals WHERE account_id = $1 AND kind = 'churn_risk' AND occurred_at > $2 LIMIT 1
            """, [accountID, now.addingTimeInterval(-Self.churnSignalDays * 86_400)]).count == 1
        return input
    }

    /// A churn-risk signal counts this long.
    static let churnSignalDays: Double = 90

    /// What can pause an invoice: its open disputes and holds, promises, open tasks and
    /// escalations, replies not yet routed. The strategic rule's own account-team escalation is
    /// left out: that rule says itself how long it holds messages.
    static func pauseFacts(invoiceID: String, timeZone: TimeZone, _ connection: PostgresConnection) throws -> PauseFacts {
        var facts = PauseFacts()
        facts.openDispute = try connection.query(
            "SELECT 1 FROM recoup.disputes WHERE invoice_id = $1 AND status = 'open' LIMIT 1", [invoiceID]).count == 1
        facts.onHold = try connection.query(
            "SELECT 1 FROM recoup.invoice_holds WHERE invoice_id = $1 AND released_at IS NULL LIMIT 1", [invoiceID]).count == 1
        facts.promisedDates = try connection.query("""
            SELECT to_char(promised_date, 'YYYY-MM-DD') FROM recoup.promises WHERE invoice_id = $1
            """, [invoiceID]).compactMap { LocalDate(try $0.decode(String.self, at: 0)) }
        facts.unroutedReplies = try connection.query(
            "SELECT count(*) FROM recoup.replies WHERE invoice_id = $1 AND routed_at IS NULL", [invoiceID]).first?.decode(Int.self, at: 0) ?? 0
        facts.openHandOffsSince = try connection.query("""
            SELECT created_at FROM recoup.escalations
             WHERE invoice_id = $1 AND status = 'open' AND rule <> $2
            UNION ALL
            SELECT created_at FROM recoup.tasks WHERE invoice_id = $1 AND status = 'open'
            """, [invoiceID, JourneyPlanner.accountTeamFirstRule]).map { LocalDate(try $0.decode(Date.self, at: 0), in: timeZone) }
        return facts
    }

    /// The installments of the invoice's latest payment plan (empty without one).
    static func installments(invoiceID: String, _ connection: PostgresConnection) throws -> [(dueDate: LocalDate, amountMinor: Int64)] {
        guard let text = try connection.query("""
            SELECT installments::text FROM recoup.payment_plans WHERE invoice_id = $1 ORDER BY recorded_at DESC, event_id DESC LIMIT 1
            """, [invoiceID]).first?.decode(String.self, at: 0),
            case .array(let items)? = try? JSONParser.parse(Array(text.utf8)) else { return [] }
        return items.compactMap { item in
            guard let due = item["due_date"]?.stringValue.flatMap(LocalDate.init) else { return nil }
            return (dueDate: due, amountMinor: item["amount_minor"]?.int64Value ?? 0)
        }
    }
}
