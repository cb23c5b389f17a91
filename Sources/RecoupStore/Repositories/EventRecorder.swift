import Foundation
import Postgres
import RecoupCore

/// Records one validated inbound event inside the caller's transaction: the inbox row (the
/// idempotency key), the state change under CONTRACT.md's version rules, and one audit row.
///
/// Rows are locked (`FOR UPDATE`) before they are merged, so several daemons may record events
/// of the same account or invoice concurrently and still converge.
public struct EventRecorder: Sendable {
    public let clock: StoreClock
    /// What payment events set in motion (retry plans, notices, escalations); nil records the
    /// events only, for tests of the state rules alone.
    private let reactions: ReactionsHolder?

    public init(clock: StoreClock, payments: PaymentReactions? = nil) {
        self.clock = clock
        self.reactions = payments.map { ReactionsHolder(Reactions(payments: $0)) }
    }

    /// Reactions read from `holder` for every event, so a reloaded policy applies from the next one.
    public init(clock: StoreClock, holder: ReactionsHolder) {
        self.clock = clock
        self.reactions = holder
    }

    public func record(_ event: ParsedEvent, queue: String, connection: PostgresConnection) throws -> Recorded {
        let current = reactions?.current
        let payments = current?.payments
        let now = try clock.now(connection)
        let inserted = try connection.query("""
            INSERT INTO recoup.inbox (event_id, event_type, queue, outcome, processed_at)
            VALUES ($1, $2, $3, 'pending', $4)
            ON CONFLICT (event_id) DO NOTHING
            RETURNING 1
            """, [event.envelope.id, event.envelope.type, queue, now])
        guard inserted.count == 1 else { return Recorded(outcome: .duplicate) }
        // Every transaction that may write outbox rows locks the account first: one account's
        // messages are then committed (and published) in order, and locks are always taken
        // account before invoice.
        try AccountRepository.lock(event.accountID, now: now, connection)

        let change = try apply(event.event, eventID: event.envelope.id, payments: payments, now: now, connection)
        var detail = change.detail
        detail["type"] = .string(event.envelope.type)
        detail["source"] = .string(event.envelope.source)
        if case .stale(let reason) = change.outcome { detail["reason"] = .string(reason) }
        try AuditLog.append(
            kind: "event.\(change.outcome.label)", at: now, accountID: event.accountID,
            invoiceID: event.invoiceID, eventID: event.envelope.id, rule: change.rule,
            detail: .object(detail), connection)
        try connection.enqueue("UPDATE recoup.inbox SET outcome = $2 WHERE event_id = $1",
                               [event.envelope.id, change.outcome.label])
        guard change.outcome == .applied || change.outcome == .partiallyApplied else { return Recorded(outcome: change.outcome) }
        let status = try Self.statusAfter(event.event, connection)
        let closed = Self.closing(event.event, status: status)
        var effects: [RecordEffect] = []
        if let payments {
            effects += try react(to: event.event, closing: closed, payments: payments, eventID: event.envelope.id, now: now, connection)
        }
        if let replies = current?.replies {
            effects += try answer(event.event, change: change, replies: replies, eventID: event.envelope.id, now: now, connection)
        }
        if let journeys = current?.journeys {
            effects += try steer(event.event, closing: closed, status: status, journeys: journeys, eventID: event.envelope.id,
                                 now: now, connection)
        }
        return Recorded(outcome: change.outcome, effects: effects)
    }

    /// The account's open invoices with a journey ($1 the account), through
    /// `invoice_journeys_account_idx`; public to the test that EXPLAINs it.
    static let openJourneysSQL = """
        SELECT j.invoice_id FROM recoup.invoice_journeys j JOIN recoup.invoices i USING (invoice_id)
         WHERE j.account_id = $1 AND i.status = 'open' ORDER BY j.invoice_id
        """

    /// The status an invoice event left its invoice in, read once after it was applied; nil for
    /// other events.
    static func statusAfter(_ event: InboundEvent, _ connection: PostgresConnection) throws -> InvoiceRecord.Status? {
        switch event {
        case .invoicePaid, .invoiceVoided, .invoiceCreated, .invoiceUpdated:
            guard let invoiceID = event.invoiceID else { return nil }
            return try InvoiceRepository.currentStatus(invoiceID, connection)
        default:
            return nil
        }
    }

    /// Whether an invoice event left its invoice paid or voided: the reason to give, or nil. A
    /// stale `invoice.paid` on an invoice a newer version reopened closes nothing.
    static func closing(_ event: InboundEvent, status: InvoiceRecord.Status?) -> String? {
        switch (event, status) {
        case (.invoicePaid, .paid?): return "invoice paid"
        case (.invoiceVoided, .void?): return "invoice voided"
        case (.invoiceCreated, let status?), (.invoiceUpdated, let status?):
            return status == .paid || status == .void ? "invoice \(status.rawValue)" : nil
        default: return nil
        }
    }

    /// Decisions that follow from an event once it changed state: a failure is planned; a
    /// payment, a paid or a voided invoice cancels the retries it makes pointless.
    private func react(to event: InboundEvent, closing closed: String?, payments: PaymentReactions, eventID: String, now: Date,
                       _ connection: PostgresConnection) throws -> [RecordEffect] {
        if let closed, let invoiceID = event.invoiceID {
            return try payments.settled(invoiceID: invoiceID, accountID: event.accountID, reason: closed, eventID: eventID, now: now,
                                        connection)
        }
        switch event {
        case .paymentFailed(let failure):
            return try payments.failed(failure, eventID: eventID, now: now, connection)
        case .paymentSucceeded(let payment):
            return try payments.settled(invoiceID: payment.invoiceID, accountID: payment.accountID, reason: "payment succeeded",
                                        eventID: eventID, now: now, connection)
        default:
            return []
        }
    }

    /// What an event means for the invoice's journey: an open invoice (or a new due date, a
    /// payment plan, a resolved dispute, a payment failure) is planned; a settled or disputed one
    /// stops; a short payment is acknowledged.
    private func steer(_ event: InboundEvent, closing closed: String?, status: InvoiceRecord.Status?, journeys: JourneyReactions,
                       eventID: String, now: Date, _ connection: PostgresConnection) throws -> [RecordEffect] {
        if let closed, let invoiceID = event.invoiceID {
            return try journeys.stop(invoiceID: invoiceID, accountID: event.accountID, reason: closed, rule: "journey.verify_before_send",
                                     causedBy: eventID, now: now, connection)
        }
        switch event {
        case .invoiceCreated(let snapshot), .invoiceUpdated(let snapshot):
            switch status {
            case .open?:
                return try journeys.plan(invoiceID: snapshot.invoiceID, accountID: snapshot.accountID, causedBy: eventID, force: false,
                                         now: now, connection)
            case let status?:
                return try journeys.stop(invoiceID: snapshot.invoiceID, accountID: snapshot.accountID, reason: "invoice \(status.rawValue)",
                                         rule: "journey.verify_before_send", causedBy: eventID, now: now, connection)
            case nil:
                return []
            }
        case .paymentSucceeded(let payment):
            return try journeys.acknowledgePartialPayment(invoiceID: payment.invoiceID, accountID: payment.accountID,
                                                          paymentEventID: eventID, now: now, connection)
        case .disputeOpened(let dispute):
            return try journeys.stop(invoiceID: dispute.invoiceID, accountID: dispute.accountID, reason: "dispute opened",
                                     rule: "pause.dispute", causedBy: eventID, now: now, connection)
        case .disputeResolved(let dispute):
            return try journeys.plan(invoiceID: dispute.invoiceID, accountID: dispute.accountID, causedBy: eventID, force: true,
                                     now: now, connection)
        case .accountUpdated(let account):
            // Tier, time zone or tags may have changed: the account's open journeys are planned again.
            let planned = try connection.query(Self.openJourneysSQL, [account.accountID]).map { try $0.decode(String.self, at: 0) }
            return try planned.flatMap { invoiceID in
                try journeys.plan(invoiceID: invoiceID, accountID: account.accountID, causedBy: eventID, force: true, now: now, connection)
            }
        case .paymentFailed(let failure):
            // A payment-method problem changes the segment (a known issue, a risk flag): the
            // stages ahead are planned again; those already carried out stay done.
            return try journeys.plan(invoiceID: failure.invoiceID, accountID: failure.accountID, causedBy: eventID, force: true,
                                     now: now, connection)
        case .planAgreed(let plan):
            return try journeys.plan(invoiceID: plan.invoiceID, accountID: plan.accountID, causedBy: eventID, force: false,
                                     now: now, connection)
        default:
            return []
        }
    }

    /// Replies are classified and routed; repeated short payments are escalated; an outcome the
    /// platform or a collector records ends the hold a disputing reply put on the invoice, and its
    /// journey is planned again.
    private func answer(_ event: InboundEvent, change: Change, replies: ReplyReactions, eventID: String, now: Date,
                        _ connection: PostgresConnection) throws -> [RecordEffect] {
        // Which invoice an outcome was recorded for, and whether its journey must be planned again here
        // (a dispute's own journey rules plan after it).
        let outcome: (invoiceID: String, accountID: String, replan: Bool)
        switch event {
        case .replyReceived(let reply):
            return try replies.route(reply, eventID: eventID, now: now, connection)
        case .paymentSucceeded(let payment):
            return try HandOffs.watchShortPays(payment, policy: replies.escalation, eventID: eventID, now: now, connection)
        case .invoiceUpdated(let snapshot) where change.detail["applied"]?.arrayValue?.contains(.string("snapshot")) == true:
            outcome = (snapshot.invoiceID, snapshot.accountID, true)
        case .disputeOpened(let dispute):
            outcome = (dispute.invoiceID, dispute.accountID, false)
        case .disputeResolved(let dispute):
            outcome = (dispute.invoiceID, dispute.accountID, false)
        case .promiseRecorded(let promise):
            outcome = (promise.invoiceID, promise.accountID, true)
        case .planAgreed(let plan):
            outcome = (plan.invoiceID, plan.accountID, true)
        default:
            return []
        }
        return try replies.release(invoiceID: outcome.invoiceID, accountID: outcome.accountID, causedBy: eventID,
                                   replan: outcome.replan, now: now, connection)
    }

    /// The result of merging one event into the state, and what the audit row says about it.
    struct Change {
        var outcome: RecordOutcome
        var rule: String?
        var detail: [String: JSONValue] = [:]
    }

    private func apply(_ event: InboundEvent, eventID: String, payments: PaymentReactions?, now: Date,
                       _ connection: PostgresConnection) throws -> Change {
        switch event {
        case .accountUpdated(let account):
            return try AccountRepository.apply(account, now: now, connection)
        case .invoiceCreated(let snapshot), .invoiceUpdated(let snapshot):
            return try InvoiceRepository.apply(
                invoiceID: snapshot.invoiceID, accountID: snapshot.accountID,
                change: .snapshot(InvoiceRepository.snapshot(of: snapshot), status: InvoiceRepository.status(of: snapshot),
                                  version: snapshot.version),
                now: now, connection)
        case .invoicePaid(let paid):
            return try InvoiceRepository.apply(
                invoiceID: paid.invoiceID, accountID: paid.accountID,
                change: .paid(at: paid.paidAt, version: paid.version), now: now, connection)
        case .invoiceVoided(let voided):
            return try InvoiceRepository.apply(
                invoiceID: voided.invoiceID, accountID: voided.accountID,
                change: .voided(version: voided.version), now: now, connection)
        case .paymentSucceeded(let payment):
            return try InvoiceRepository.recordPayment(payment, eventID: eventID, now: now, connection)
        case .paymentFailed(let failure):
            let classification = payments?.rules.taxonomy.classify(
                code: failure.decline.code, scheme: failure.decline.scheme, methodType: failure.method.type,
                adviceCode: failure.decline.networkAdviceCode)
            return try ActivityRepository.recordPaymentFailure(failure, classification: classification, eventID: eventID,
                                                               now: now, connection)
        case .disputeOpened(let dispute):
            return try ActivityRepository.recordDispute(
                disputeID: dispute.disputeID, invoiceID: dispute.invoiceID, accountID: dispute.accountID,
                status: .open, reason: dispute.reason, outcome: nil, now: now, connection)
        case .disputeResolved(let dispute):
            return try ActivityRepository.recordDispute(
                disputeID: dispute.disputeID, invoiceID: dispute.invoiceID, accountID: dispute.accountID,
                status: .resolved, reason: dispute.reason, outcome: dispute.outcome?.rawValue, now: now, connection)
        case .crmSignal(let signal):
            return try ActivityRepository.recordSignal(signal, eventID: eventID, now: now, connection)
        case .promiseRecorded(let promise):
            return try ActivityRepository.recordPromise(promise, eventID: eventID, now: now, connection)
        case .planAgreed(let plan):
            return try ActivityRepository.recordPlan(plan, eventID: eventID, now: now, connection)
        case .replyReceived(let reply):
            return try ActivityRepository.recordReply(reply, eventID: eventID, now: now, connection)
        }
    }
}

/// Accounts: replaced whole by a newer `version`.
enum AccountRepository {
    /// Creates the placeholder row an event may need before its `account.updated` arrives.
    static func ensure(_ accountID: String, now: Date, _ connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO recoup.accounts (account_id, created_at, updated_at) VALUES ($1, $2, $2)
            ON CONFLICT (account_id) DO NOTHING
            """, [accountID, now])
    }

    /// Creates the placeholder if needed and locks the account row until the transaction ends.
    /// Every event's transaction starts here, so the recorder's later steps may take the account
    /// row as existing.
    static func lock(_ accountID: String, now: Date, _ connection: PostgresConnection) throws {
        try RowLock.lockCreating({
            try connection.query("SELECT 1 FROM recoup.accounts WHERE account_id = $1 FOR UPDATE", [accountID]).first
        }, create: { try ensure(accountID, now: now, connection) })
    }

    static func apply(_ account: AccountUpdated, now: Date, _ connection: PostgresConnection) throws -> EventRecorder.Change {
        // `record` has locked (so created) the account row.
        let stored = try connection.query(
            "SELECT version FROM recoup.accounts WHERE account_id = $1 FOR UPDATE", [account.accountID])
            .first?.decodeOptional(Int64.self, at: 0)
        let detail: [String: JSONValue] = ["version": .int(account.version), "stored_version": stored.map(JSONValue.int) ?? .null]
        guard VersionRule.applies(account.version, over: stored) else {
            return .init(outcome: .stale(reason: "version \(account.version) is not newer than stored \(stored ?? 0)"),
                         rule: "contract.version", detail: detail)
        }
        try connection.enqueue("""
            UPDATE recoup.accounts SET
                version = $2, name = $3, first_name = $4, email = $5, phone = $6, timezone = $7, locale = $8,
                currency = $9, arr_minor = $10, tier_override = $11, owners = $12::jsonb,
                -- a customer's own opt-out (recoup.consent_revocations) outlasts the platform's flags
                consent_email = $13 AND NOT EXISTS (SELECT 1 FROM recoup.consent_revocations r WHERE r.account_id = $1 AND r.channel = 'email'),
                consent_sms = $14 AND NOT EXISTS (SELECT 1 FROM recoup.consent_revocations r WHERE r.account_id = $1 AND r.channel = 'sms'),
                consent_in_app = $15 AND NOT EXISTS (SELECT 1 FROM recoup.consent_revocations r WHERE r.account_id = $1 AND r.channel = 'in_app'),
                preferred_channel = $16,
                tags = $17::text[], updated_at = $18
            WHERE account_id = $1
            """, [
                account.accountID, account.version, account.name, account.contact?.firstName, account.contact?.email,
                account.contact?.phone, account.timezone, account.locale, account.currency?.code, account.arrMinor,
                account.tier?.rawValue, JSONValue.object([
                    "account_manager": account.owners?.accountManager.map(JSONValue.string) ?? .null,
                    "csm": account.owners?.csm.map(JSONValue.string) ?? .null,
                    "collector": account.owners?.collector.map(JSONValue.string) ?? .null,
                ]).serialized,
                account.consents.email, account.consents.sms, account.consents.inApp, account.preferredChannel,
                PostgresArrayLiteral.text(account.tags ?? []), now,
            ])
        return .init(outcome: .applied, rule: "contract.version", detail: detail)
    }
}

/// Invoices: snapshot and status converge separately (see `InvoiceRecord`).
enum InvoiceRepository {
    static func snapshot(of event: InvoiceSnapshot) -> InvoiceRecord.Snapshot {
        InvoiceRecord.Snapshot(
            number: event.number, currency: event.currency.code, amountDueMinor: event.amountDueMinor,
            amountPaidMinor: event.amountPaidMinor, issuedAt: event.issuedAt, dueDate: event.dueDate.description,
            paymentURL: event.paymentURL)
    }

    static func status(of event: InvoiceSnapshot) -> InvoiceRecord.Status {
        InvoiceRecord.Status(rawValue: event.status.rawValue) ?? .open
    }

    /// Ensures the invoice row exists, then locks and loads it. The account row exists already:
    /// `record` locked it first.
    static func load(invoiceID: String, accountID: String, now: Date, _ connection: PostgresConnection) throws -> InvoiceRecord {
        let row = try RowLock.lockCreating({
            try connection.query("""
                SELECT account_id, snapshot_version, number, currency, amount_due_minor, amount_paid_minor, issued_at,
                       to_char(due_date, 'YYYY-MM-DD'), payment_url, status, status_version, last_paid_at, last_paid_version
                  FROM recoup.invoices WHERE invoice_id = $1 FOR UPDATE
                """, [invoiceID]).first
        }, create: { try ensure(invoiceID: invoiceID, accountID: accountID, now: now, connection) })
        var record = InvoiceRecord(invoiceID: invoiceID, accountID: try row.decode(String.self, at: 0))
        record.snapshotVersion = try row.decodeOptional(Int64.self, at: 1)
        if record.snapshotVersion != nil {
            record.snapshot = InvoiceRecord.Snapshot(
                number: try row.decode(String.self, at: 2), currency: try row.decode(String.self, at: 3),
                amountDueMinor: try row.decode(Int64.self, at: 4), amountPaidMinor: try row.decode(Int64.self, at: 5),
                issuedAt: try row.decodeOptional(Date.self, at: 6), dueDate: try row.decode(String.self, at: 7),
                paymentURL: try row.decodeOptional(String.self, at: 8))
        }
        record.status = try row.decodeOptional(String.self, at: 9).flatMap(InvoiceRecord.Status.init(rawValue:))
        record.statusVersion = try row.decodeOptional(Int64.self, at: 10)
        record.lastPaidAt = try row.decodeOptional(Date.self, at: 11)
        record.lastPaidVersion = try row.decodeOptional(Int64.self, at: 12)
        return record
    }

    static func save(_ record: InvoiceRecord, now: Date, _ connection: PostgresConnection) throws {
        let snapshot = record.snapshot
        try connection.enqueue("""
            UPDATE recoup.invoices SET
                snapshot_version = $2, number = $3, currency = $4, amount_due_minor = $5,
                amount_paid_minor = coalesce($6, 0), issued_at = $7, due_date = $8::date, payment_url = $9,
                status = $10, status_version = $11, paid_at = $12, last_paid_at = $13, last_paid_version = $14,
                updated_at = $15
            WHERE invoice_id = $1
            """, [
                record.invoiceID, record.snapshotVersion, snapshot?.number, snapshot?.currency, snapshot?.amountDueMinor,
                snapshot?.amountPaidMinor, snapshot?.issuedAt, snapshot?.dueDate, snapshot?.paymentURL,
                record.status?.rawValue, record.statusVersion, record.paidAt, record.lastPaidAt, record.lastPaidVersion, now,
            ])
    }

    static func apply(invoiceID: String, accountID: String, change: InvoiceRecord.Change, now: Date,
                      _ connection: PostgresConnection) throws -> EventRecorder.Change {
        var record = try load(invoiceID: invoiceID, accountID: accountID, now: now, connection)
        let before = (snapshot: record.snapshotVersion, status: record.statusVersion)
        let applied = record.apply(change)
        var detail: [String: JSONValue] = [
            "version": .int(change.version),
            "stored_snapshot_version": before.snapshot.map(JSONValue.int) ?? .null,
            "stored_status_version": before.status.map(JSONValue.int) ?? .null,
            "applied": .array([(InvoiceRecord.Applied.snapshot, "snapshot"), (.status, "status"), (.paymentTime, "payment_time")]
                .filter { applied.contains($0.0) }.map { JSONValue.string($0.1) }),
        ]
        if let status = record.status { detail["status"] = .string(status.rawValue) }
        guard !applied.isEmpty else {
            return .init(outcome: .stale(reason: "version \(change.version) is not newer than stored"),
                         rule: "contract.version", detail: detail)
        }
        try save(record, now: now, connection)
        let outcome: RecordOutcome = applied == InvoiceRecord.Applied.all(for: change) ? .applied : .partiallyApplied
        return .init(outcome: outcome, rule: "contract.version", detail: detail)
    }

    /// Creates the placeholder row an event may need before its `invoice.created` arrives.
    static func ensure(invoiceID: String, accountID: String, now: Date, _ connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO recoup.invoices (invoice_id, account_id, created_at, updated_at) VALUES ($1, $2, $3, $3)
            ON CONFLICT (invoice_id) DO NOTHING
            """, [invoiceID, accountID, now])
    }

    /// The invoice's lifecycle status as stored now.
    static func currentStatus(_ invoiceID: String, _ connection: PostgresConnection) throws -> InvoiceRecord.Status? {
        try connection.query("SELECT status FROM recoup.invoices WHERE invoice_id = $1", [invoiceID]).first?
            .decodeOptional(String.self, at: 0).flatMap(InvoiceRecord.Status.init(rawValue:))
    }

    /// Payments add up by `payment_id`, whatever order they arrive in.
    static func recordPayment(_ payment: PaymentSucceeded, eventID: String, now: Date,
                              _ connection: PostgresConnection) throws -> EventRecorder.Change {
        _ = try load(invoiceID: payment.invoiceID, accountID: payment.accountID, now: now, connection)
        let inserted = try connection.execute("""
            INSERT INTO recoup.payments (payment_id, invoice_id, account_id, amount_minor, currency, succeeded_at, event_id, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (payment_id) DO NOTHING
            """, [payment.paymentID, payment.invoiceID, payment.accountID, payment.amountMinor, payment.currency.code,
                  payment.succeededAt, eventID, now])
        let detail: [String: JSONValue] = ["payment_id": .string(payment.paymentID), "amount_minor": .int(payment.amountMinor),
                                            "currency": .string(payment.currency.code)]
        guard inserted == 1 else {
            return .init(outcome: .stale(reason: "payment \(payment.paymentID) already recorded"), rule: "contract.idempotency", detail: detail)
        }
        try connection.enqueue("""
            UPDATE recoup.invoices SET payments_received_minor = payments_received_minor + $2, updated_at = $3
            WHERE invoice_id = $1
            """, [payment.invoiceID, payment.amountMinor, now])
        return .init(outcome: .applied, detail: detail)
    }
}
