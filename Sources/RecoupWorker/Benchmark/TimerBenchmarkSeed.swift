import Foundation
import Postgres
import RecoupCore
import RecoupStore

/// Seeding the timer benchmark's population: a few accounts and invoices recorded through the
/// real recorder (so their journeys, stage timers and audit rows are the ones Recoup plans),
/// then copied set-based with new ids up to the asked counts.
extension TimerBenchmark {
    /// One recorded account with one open invoice: what every copy of it repeats.
    struct Template: Sendable {
        var account: String
        var invoice: String
        /// The `invoice.created` that planned the journey (the timers' `caused_by`).
        var event: String
        /// Its pending stage timers, and how many of them are due at the firing time.
        var timers: Int
        var due: Int
    }

    /// The recorded templates, and the time their first stage has come for every one of them.
    struct Templates: Sendable {
        var items: [Template]
        var fireAt: Date
    }

    /// When the templates are recorded: the morning their renewal invoices are issued, before
    /// any stage of their journeys.
    static let planningTime = Date(timeIntervalSince1970: 1_796_104_800) // 2026-12-01T06:00:00Z

    /// How much later the not-due copies' invoices fall due: four weeks, so their stages keep
    /// their weekdays (the SMS quiet days) and none of them is due at the firing time.
    static let futureShiftDays = 28

    /// Records `count` accounts with one renewal invoice each through the real recorder (tiers,
    /// time zones and locales mixed as in `BenchmarkMix`), and finds the moment the first stage
    /// of every one of them is due and no second stage is.
    static func recordTemplates(count: Int, runID: String, recorder: EventRecorder,
                                _ pool: PostgresPool) async throws -> Templates {
        let events = try BenchmarkMix(invoices: count, accounts: count, runID: runID).events
            .filter { $0.type == "account.updated" || $0.type == "invoice.created" }
            .map { try EventParser.parse($0.body).get() }
        try await pool.transaction { try StoreClock.set(planningTime, $0) }
        for event in events {
            _ = try await pool.transaction { connection in
                try recorder.record(event, queue: RecoupTopology.invoices.name, connection: connection)
            }
        }
        let invoices = events.filter { $0.envelope.type == "invoice.created" }
        return try await pool.withConnection { connection in
            // The database held no pending timer before: every pending one is a template's.
            var stages: [String: [Date]] = [:]
            for row in try connection.query("""
                SELECT invoice_id, due_at FROM recoup.timers
                 WHERE fired_at IS NULL AND cancelled_at IS NULL AND invoice_id IS NOT NULL ORDER BY due_at
                """) {
                stages[try row.decode(String.self, at: 0), default: []].append(try row.decode(Date.self, at: 1))
            }
            let firsts = try invoices.map { event in
                guard let first = stages[event.invoiceID ?? ""]?.first else {
                    throw SeedError("invoice \(event.invoiceID ?? "?") was recorded but planned no stage timer")
                }
                return first
            }
            let fireAt = firsts.max()!
            let items = try invoices.map { event in
                let dates = stages[event.invoiceID!]!
                let due = dates.filter { $0 <= fireAt }.count
                guard due == 1 else {
                    throw SeedError("invoice \(event.invoiceID!) has \(due) stages due at \(Timestamps.format(fireAt)); "
                                    + "the benchmark needs exactly one per invoice (has the journey policy changed?)")
                }
                return Template(account: event.accountID, invoice: event.invoiceID!, event: event.envelope.id,
                                timers: dates.count, due: due)
            }
            return Templates(items: items, fireAt: fireAt)
        }
    }

    /// How the population is made of copies of the templates.
    struct Layout: Sendable, Equatable {
        /// Accounts with an invoice whose first stage is due (the templates among them).
        var dueInvoices: Int
        /// Next month's invoices of the same accounts: every stage in the future.
        var futureInvoices: Int
        /// Stage timers of the future invoices (the last one may get only its first stages).
        var futureTimers: Int
        var pending: Int

        /// `due` accounts with one due invoice each (one due stage apiece), and as many future
        /// invoices as make `pending` timers in all.
        init(pending: Int, due: Int, templates: [Template]) throws {
            let dueTimers = (0..<due).reduce(0) { $0 + templates[$1 % templates.count].timers }
            guard pending >= dueTimers else {
                throw SeedError("--pending \(pending) is too few: \(due) due invoices already have \(dueTimers) stage timers "
                                + "(their later stages are pending too)")
            }
            var future = 0, timers = 0
            while timers < pending - dueTimers {
                timers += templates[(future % due) % templates.count].timers
                future += 1
            }
            dueInvoices = due
            futureInvoices = future
            futureTimers = pending - dueTimers
            self.pending = pending
        }
    }

    /// Copies the templates, in one transaction, into `layout`: accounts `<prefix>_acc_<k>`
    /// with invoices `<prefix>_in_<k>` (k from the template count on; the templates are the
    /// first ones), and future invoices `<prefix>_in_next_<f>` of account `f % due`, with their
    /// journeys, stage timers and audit rows (chained by the audit trigger, as written).
    static func copy(_ templates: Templates, layout: Layout, prefix: String, _ pool: PostgresPool) async throws {
        let items = templates.items
        try await pool.transaction { connection in
            try connection.executeScript("""
                CREATE TEMP TABLE bench_templates (t integer PRIMARY KEY, account text NOT NULL, invoice text NOT NULL,
                                                   event text NOT NULL) ON COMMIT DROP;
                CREATE TEMP TABLE bench_copies (ordinal integer PRIMARY KEY, template_account text NOT NULL,
                    template_invoice text NOT NULL, template_event text NOT NULL, account text NOT NULL,
                    invoice text NOT NULL, event text NOT NULL, shift integer NOT NULL) ON COMMIT DROP
                """)
            for (index, item) in items.enumerated() {
                try connection.execute("INSERT INTO bench_templates VALUES ($1, $2, $3, $4)",
                                       [index, item.account, item.invoice, item.event])
            }
            // Due copies k (templates are k < T), then future invoices f of account f % due.
            try connection.execute("""
                INSERT INTO bench_copies
                SELECT k, t.account, t.invoice, t.event, $1 || '_acc_' || k, $1 || '_in_' || k, $1 || '_evt_inv_' || k, 0
                  FROM generate_series($2::integer, $3::integer - 1) k JOIN bench_templates t ON t.t = k % $2::integer
                UNION ALL
                SELECT $3::integer + f, t.account, t.invoice, t.event, $1 || '_acc_' || (f % $3::integer),
                       $1 || '_in_next_' || f, $1 || '_evt_inv_next_' || f, $5::integer
                  FROM generate_series(0, $4::integer - 1) f JOIN bench_templates t ON t.t = (f % $3::integer) % $2::integer
                """, [prefix, items.count, layout.dueInvoices, layout.futureInvoices, futureShiftDays])
            try connection.execute("ANALYZE bench_copies")

            // The due copies own new accounts; the future invoices belong to them.
            try copyRows("accounts", [
                "account_id": "c.account", "name": "'Customer ' || c.ordinal",
                "email": "'ap+' || c.ordinal || '@customer.example'",
            ], from: "JOIN recoup.accounts s ON s.account_id = c.template_account WHERE c.shift = 0", connection)
            try copyRows("invoices", [
                "invoice_id": "c.invoice", "account_id": "c.account", "number": "'R-' || c.ordinal",
                "payment_url": "'https://pay.example/' || c.invoice", "due_date": "s.due_date + c.shift",
            ], from: "JOIN recoup.invoices s ON s.invoice_id = c.template_invoice", connection)
            try copyRows("invoice_journeys", [
                "invoice_id": "c.invoice", "account_id": "c.account", "due_date": "s.due_date + c.shift", "caused_by": "c.event",
            ], from: "JOIN recoup.invoice_journeys s ON s.invoice_id = c.template_invoice", connection)
            // Dedupe keys name the invoice and the planning event between colons.
            let timerColumns = [
                "dedupe_key": """
                    replace(replace(s.dedupe_key, ':' || c.template_invoice || ':', ':' || c.invoice || ':'),
                            ':' || c.template_event || ':', ':' || c.event || ':')
                    """,
                "due_at": "s.due_at + make_interval(days => c.shift)", "account_id": "c.account", "invoice_id": "c.invoice",
                "payload": """
                    CASE WHEN s.payload->>'caused_by' = c.template_event
                         THEN jsonb_set(s.payload, '{caused_by}', to_jsonb(c.event)) ELSE s.payload END
                    """,
            ]
            let timerSource = """
                JOIN recoup.timers s ON s.invoice_id = c.template_invoice AND s.fired_at IS NULL AND s.cancelled_at IS NULL
                """
            try copyRows("timers", timerColumns, from: "\(timerSource) WHERE c.shift = 0", connection)
            try copyRows("timers", timerColumns, from: "\(timerSource) WHERE c.shift > 0 ORDER BY c.ordinal, s.due_at LIMIT \(layout.futureTimers)",
                         connection)
            // The templates' audit rows, so every copy has the history (and chain) recording gave it.
            let auditColumns = [
                "account_id": "c.account", "invoice_id": "CASE WHEN s.invoice_id IS NULL THEN NULL ELSE c.invoice END",
                "event_id": "CASE WHEN s.event_id = c.template_event THEN c.event ELSE s.event_id || ':' || c.ordinal END",
            ]
            try copyRows("audit_log", auditColumns, from: """
                JOIN recoup.audit_log s ON s.account_id = c.template_account AND s.invoice_id IS NULL WHERE c.shift = 0
                ORDER BY c.ordinal, s.audit_id
                """, connection)
            try copyRows("audit_log", auditColumns, from: """
                JOIN recoup.audit_log s ON s.invoice_id = c.template_invoice ORDER BY c.ordinal, s.audit_id
                """, connection)
        }
    }

    /// `INSERT INTO recoup.<table>` the rows `FROM bench_copies c <source>` selects: every
    /// column the table has (read from the catalog, so columns added later are copied too)
    /// taken from the template row `s`, except those `overrides` computes. Serial ids and
    /// generated columns are left to their defaults.
    private static func copyRows(_ table: String, _ overrides: [String: String], from source: String,
                                 _ connection: PostgresConnection) throws {
        let columns = try connection.query("""
            SELECT column_name FROM information_schema.columns
             WHERE table_schema = 'recoup' AND table_name = $1 AND is_generated = 'NEVER'
               AND coalesce(column_default, '') NOT LIKE 'nextval(%'
             ORDER BY ordinal_position
            """, [table]).map { try $0.decode(String.self, at: 0) }
        guard !columns.isEmpty else { throw SeedError("recoup.\(table) has no columns to copy") }
        let names = try columns.map { try connection.quoteIdentifier($0) }
        let values = zip(columns, names).map { column, name in overrides[column] ?? "s.\(name)" }
        try connection.execute("""
            INSERT INTO recoup.\(try connection.quoteIdentifier(table)) (\(names.joined(separator: ", ")))
            SELECT \(values.joined(separator: ", ")) FROM bench_copies c \(source)
            """)
    }

    /// The population cannot be made as asked.
    struct SeedError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
