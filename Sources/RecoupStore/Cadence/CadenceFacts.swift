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
        // The account's scalar facts and its payment history in one round trip: this runs for
        // every event that plans a journey.
        let results = try connection.queries([
            (accountFactsSQL, [accountID, now.addingTimeInterval(-Self.churnSignalDays * 86_400)]),
            ("""
            SELECT to_char(due_date, 'YYYY-MM-DD'), status, last_paid_at FROM recoup.invoices
             WHERE account_id = $1 AND invoice_id <> coalesce($2, '') AND due_date IS NOT NULL
            """, [accountID, invoiceID]),
        ])
        let row = results[0].first!
        input.arrMinor = try row.decodeOptional(Int64.self, at: 0)
        input.currency = try row.decodeOptional(String.self, at: 1).flatMap(Currency.init(code:))
        input.tierOverride = try row.decodeOptional(String.self, at: 2).flatMap(ValueTier.init(rawValue:))
        input.tags = Self.jsonArray(try row.decode(String.self, at: 3)).compactMap(\.stringValue)
        input.lastPaymentFailure = try row.decodeOptional(Date.self, at: 4).map { LocalDate($0, in: timeZone) }
        input.cardExpiry = try row.decodeOptional(Int.self, at: 5).map { (year: $0 / 100, month: $0 % 100) }
        input.hasOpenDispute = try row.decode(Bool.self, at: 6)
        input.hasOpenHighPriorityTicket = try row.decodeOptional(Bool.self, at: 7) ?? false
        input.hasChurnRiskSignal = try row.decode(Bool.self, at: 8)
        input.history = try results[1].compactMap { row in
            guard let due = LocalDate(try row.decode(String.self, at: 0)) else { return nil }
            let status = try row.decodeOptional(String.self, at: 1)
            let paidAt = try row.decodeOptional(Date.self, at: 2)
            return InvoiceHistoryItem(dueDate: due, paidOn: status == "paid" ? paidAt.map { LocalDate($0, in: timeZone) } : nil,
                                      writtenOff: status == "uncollectible")
        }
        return input
    }

    /// The account's scalar segmentation facts ($1 the account, $2 since when a churn-risk signal
    /// counts), public to the tests that EXPLAIN it: every subquery reads an index by account.
    static let accountFactsSQL = """
        SELECT a.arr_minor, a.currency, a.tier_override, coalesce(to_jsonb(a.tags), '[]')::text,
               (SELECT attempted_at FROM recoup.payment_failures WHERE account_id = $1 ORDER BY attempted_at DESC LIMIT 1),
               (SELECT method_exp_year * 100 + method_exp_month FROM recoup.payment_failures
                 WHERE account_id = $1 AND method_type = 'card' AND method_exp_year IS NOT NULL AND method_exp_month IS NOT NULL
                 ORDER BY attempted_at DESC LIMIT 1),
               EXISTS (SELECT 1 FROM recoup.disputes WHERE account_id = $1 AND status = 'open'),
               -- the newest ticket signal says whether a ticket is open; a high-priority open one is a risk
               (SELECT kind = 'support_ticket_opened' AND priority IS NOT DISTINCT FROM 'high' FROM recoup.crm_signals
                 WHERE account_id = $1 AND kind IN ('support_ticket_opened', 'support_ticket_closed')
                 ORDER BY occurred_at DESC, recorded_at DESC LIMIT 1),
               EXISTS (SELECT 1 FROM recoup.crm_signals WHERE account_id = $1 AND kind = 'churn_risk' AND occurred_at > $2)
          FROM (SELECT $1::text AS account_id) wanted LEFT JOIN recoup.accounts a USING (account_id)
        """

    /// The elements of a JSON array the database built (empty if it is not one).
    private static func jsonArray(_ text: String) -> [JSONValue] {
        (try? JSONParser.parse(Array(text.utf8)))?.arrayValue ?? []
    }

    /// A churn-risk signal counts this long.
    static let churnSignalDays: Double = 90

    /// What can pause an invoice: its open disputes and holds, promises, open tasks and
    /// escalations, replies not yet routed. The strategic rule's own account-team escalation is
    /// left out: that rule says itself how long it holds messages.
    static func pauseFacts(invoiceID: String, timeZone: TimeZone, _ connection: PostgresConnection) throws -> PauseFacts {
        try pauseFacts(invoiceIDs: [invoiceID], timeZone: { _ in timeZone }, connection)[invoiceID] ?? PauseFacts()
    }

    /// `pauseFacts` for several invoices in one statement; hand-off dates are read in the time
    /// zone `timeZone` gives for each invoice.
    static func pauseFacts(invoiceIDs: [String], timeZone: (String) -> TimeZone,
                           _ connection: PostgresConnection) throws -> [String: PauseFacts] {
        guard !invoiceIDs.isEmpty else { return [:] }
        let rows = try connection.query("""
            SELECT i.invoice_id,
                   EXISTS (SELECT 1 FROM recoup.disputes WHERE invoice_id = i.invoice_id AND status = 'open'),
                   EXISTS (SELECT 1 FROM recoup.invoice_holds WHERE invoice_id = i.invoice_id AND released_at IS NULL),
                   (SELECT coalesce(json_agg(to_char(promised_date, 'YYYY-MM-DD')), '[]')::text FROM recoup.promises
                     WHERE invoice_id = i.invoice_id),
                   (SELECT count(*) FROM recoup.replies WHERE invoice_id = i.invoice_id AND routed_at IS NULL),
                   (SELECT coalesce(json_agg(extract(epoch FROM created_at)), '[]')::text FROM (
                        SELECT created_at FROM recoup.escalations WHERE invoice_id = i.invoice_id AND status = 'open' AND rule <> $2
                        UNION ALL
                        SELECT created_at FROM recoup.tasks WHERE invoice_id = i.invoice_id AND status = 'open') handed_off)
              FROM unnest($1::text[]) AS i(invoice_id)
            """, [PostgresArrayLiteral.text(invoiceIDs), JourneyPlanner.accountTeamFirstRule])
        var facts: [String: PauseFacts] = [:]
        for row in rows {
            let invoiceID = try row.decode(String.self, at: 0)
            let zone = timeZone(invoiceID)
            var pause = PauseFacts()
            pause.openDispute = try row.decode(Bool.self, at: 1)
            pause.onHold = try row.decode(Bool.self, at: 2)
            pause.promisedDates = Self.jsonArray(try row.decode(String.self, at: 3)).compactMap { $0.stringValue.flatMap(LocalDate.init) }
            pause.unroutedReplies = try row.decode(Int.self, at: 4)
            pause.openHandOffsSince = Self.jsonArray(try row.decode(String.self, at: 5)).compactMap { value in
                // epochs come back with a fraction
                value.doubleValue.map { LocalDate(Date(timeIntervalSince1970: $0), in: zone) }
            }
            facts[invoiceID] = pause
        }
        return facts
    }

    /// Reads the installments of the invoice's latest payment plan (`decodeInstallments`: empty
    /// without one), as a statement to send with others in one round trip.
    static func installmentsStatement(invoiceID: String) -> (sql: String, parameters: [any PostgresBindable]) {
        ("SELECT installments::text FROM recoup.payment_plans WHERE invoice_id = $1 ORDER BY recorded_at DESC, event_id DESC LIMIT 1",
         [invoiceID])
    }

    static func decodeInstallments(_ result: PostgresResult) -> [(dueDate: LocalDate, amountMinor: Int64)] {
        guard let text = try? result.first?.decode(String.self, at: 0),
              case .array(let items)? = try? JSONParser.parse(Array(text.utf8)) else { return [] }
        return items.compactMap { item in
            guard let due = item["due_date"]?.stringValue.flatMap(LocalDate.init) else { return nil }
            return (dueDate: due, amountMinor: item["amount_minor"]?.int64Value ?? 0)
        }
    }
}
