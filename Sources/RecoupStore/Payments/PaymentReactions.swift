import Foundation
import Postgres
import RecoupCore

/// What Recoup does about payments, inside the transaction that records the event or fires the
/// timer: plan a failure and persist the plan (retry timer, notice, escalation, hold, audit);
/// cancel retries an invoice no longer needs; carry out retries and notices when due.
public struct PaymentReactions: Sendable {
    public let planner: RetryPlanner
    public let templates: TemplateLibrary
    /// Caps and quiet hours every customer message is held to.
    public let contact: ContactPolicy

    /// Timer kind of a delayed payment-failure notice (after a backup method had its chance).
    static let noticeTimerKind = "payment.notice"

    public init(rules: PaymentRules, templates: TemplateLibrary, contact: ContactPolicy = ContactPolicy()) {
        planner = RetryPlanner(rules: rules)
        self.templates = templates
        self.contact = contact
    }

    var rules: PaymentRules { planner.rules }

    /// How far back the attempt history is read: longer than any rule's window.
    static let historyWindow: TimeInterval = 400 * 86_400

    // MARK: payment.failed

    func failed(_ failure: PaymentFailed, eventID: String, now: Date, _ connection: PostgresConnection) throws -> [RecordEffect] {
        let account = try AccountFacts.lock(failure.accountID, now: now, connection)
        let invoice = try InvoiceFacts.lock(failure.invoiceID, accountID: failure.accountID, now: now, connection)
        let superseded = try PaymentRetryLedger.settleScheduled(
            invoiceID: failure.invoiceID, as: "superseded", reason: "a newer failure was planned", now: now, connection)
        try PaymentRetryLedger.answerRequested(invoiceID: failure.invoiceID, reason: "declined", now: now, connection)

        let method = failure.method
        let backups = failure.backupMethods.compactMap(PaymentMethodRef.init)
        let since = min(now, failure.attemptedAt).addingTimeInterval(-Self.historyWindow)
        let history = try PaymentRetryLedger.history(
            methodIDs: [method.id] + backups.map(\.id), invoiceID: failure.invoiceID, since: since,
            excludingEvent: eventID, connection)
        let plan = planner.plan(RetryPlanningInput(
            invoiceID: failure.invoiceID, method: method, code: failure.decline.code, scheme: failure.decline.scheme,
            adviceCode: failure.decline.networkAdviceCode, attemptedAt: failure.attemptedAt, history: history,
            backups: backups, invoice: invoice.standing, now: now, timeZone: account.timeZone))

        var effects: [RecordEffect] = [.declineClassified(category: plan.category.rawValue, known: plan.classification.isKnown)]
        var detail: [String: JSONValue] = [
            "category": .string(plan.category.rawValue),
            "known_code": .bool(plan.classification.isKnown),
            "decline_code": .string(String(failure.decline.code.prefix(64))),
            "action": .string(plan.actionLabel),
            "rules": .array(plan.rules.map(JSONValue.string)),
            "notes": .array(plan.notes.map(JSONValue.string)),
            "method_id": .string(method.id),
            "superseded_retries": .array(superseded.map(JSONValue.string)),
        ]
        if let advice = plan.classification.adviceCode { detail["advice_code"] = .string(advice) }
        if let retry = plan.retry {
            detail["retry_at"] = .string(retry.at.formatted(.iso8601))
            detail["retry_method_id"] = .string(retry.method.id)
        }
        try AuditLog.append(kind: "payment.planned", at: now, accountID: failure.accountID, invoiceID: failure.invoiceID,
                            eventID: eventID, rule: plan.rules.last, detail: .object(detail), connection)

        switch plan.action {
        case .retry(let at, let retryMethod, let isBackup):
            let priorFailures = history.filter { $0.invoiceID == failure.invoiceID && !$0.isRetry }.count
            try PaymentRetryLedger.schedule(PaymentRetryLedger.Retry(
                retryID: StableID.make("rty", eventID), invoiceID: failure.invoiceID, accountID: failure.accountID,
                method: retryMethod, isBackup: isBackup, attempt: (failure.attempt ?? priorFailures + 1) + 1,
                category: plan.category, rules: plan.rules, dueAt: at, causedBy: eventID), now: now, connection)
            effects.append(.retryScheduled(category: plan.category.rawValue))
        case .stopAndEscalate(let pause):
            effects += try escalate(plan: plan, pause: pause, account: account, invoice: invoice, eventID: eventID, now: now, connection)
        case .askCustomer, .none:
            break
        }

        switch plan.notice {
        case .now?:
            let retryAt = plan.retry.flatMap { $0.isBackup ? nil : $0.at }
            effects += try sendNotice(account: account, invoice: invoice, reasonKey: plan.classification.reasonKey,
                                      retryAt: retryAt, causedBy: eventID, now: now, connection)
        case .at(let time)?:
            try scheduleNotice(at: time, dedupeKey: "\(Self.noticeTimerKind):\(eventID)", accountID: failure.accountID,
                               invoiceID: failure.invoiceID, causedBy: eventID, reasonKey: plan.classification.reasonKey,
                               retryAt: nil, now: now, connection)
        case nil:
            break
        }
        return effects
    }

    // MARK: payment.succeeded, invoice.paid, invoice.voided

    /// The invoice was paid or voided: its scheduled retries and pending notices are cancelled.
    func settled(invoiceID: String, accountID: String, reason: String, eventID: String, now: Date,
                 _ connection: PostgresConnection) throws -> [RecordEffect] {
        let cancelled = try PaymentRetryLedger.settleScheduled(invoiceID: invoiceID, as: "cancelled", reason: reason, now: now, connection)
        try PaymentRetryLedger.answerRequested(invoiceID: invoiceID, reason: reason, now: now, connection)
        let notices = try TimerStore.cancel(kind: Self.noticeTimerKind, invoiceID: invoiceID, now: now, connection)
        guard !cancelled.isEmpty || !notices.isEmpty else { return [] }
        try AuditLog.append(kind: "payment.retries_cancelled", at: now, accountID: accountID, invoiceID: invoiceID, eventID: eventID,
                            rule: "retry.cancel_on_settlement",
                            detail: .object(["reason": .string(reason), "retries": .array(cancelled.map(JSONValue.string)),
                                             "notices": .int(Int64(notices.count))]), connection)
        return [.retriesCancelled(count: cancelled.count)]
    }

    // MARK: timers

    /// A scheduled retry is due: re-check, in this transaction, that the invoice is still
    /// unpaid, undisputed, not voided and not on hold, and that the caps still allow it; then
    /// publish `payment.retry.requested`.
    func fireRetry(_ timer: DueTimer, now: Date, _ connection: PostgresConnection) throws -> [RecordEffect] {
        let (retryID, account, invoice) = try lockSubject(of: timer, payloadKey: "retry_id", now: now, connection)
        let accountID = account.accountID, invoiceID = invoice.invoiceID
        guard let stored = try PaymentRetryLedger.lockForFiring(retryID, connection), stored.status == "scheduled" else {
            return []
        }
        let retry = stored.retry
        var detail: [String: JSONValue] = [
            "retry_id": .string(retryID), "method_id": .string(retry.method.id), "attempt": .int(Int64(retry.attempt)),
            "category": .string(retry.category.rawValue), "rules": .array(retry.rules.map(JSONValue.string)),
            "due_at": .string(retry.dueAt.formatted(.iso8601)),
        ]
        if case .notCollectible(let reason) = invoice.standing {
            try PaymentRetryLedger.settle(retryID, as: "skipped", reason: reason, now: now, connection)
            detail["reason"] = .string(reason)
            try AuditLog.append(kind: "payment.retry.skipped", at: now, accountID: accountID, invoiceID: invoiceID,
                                eventID: retry.causedBy, rule: "retry.recheck", detail: .object(detail), connection)
            return [.retrySkipped(reason: reason)]
        }
        let history = try PaymentRetryLedger.history(
            methodIDs: [retry.method.id], invoiceID: invoiceID, since: now.addingTimeInterval(-Self.historyWindow),
            excludingRetry: retryID, connection)
        let firstFailure = history.filter { $0.invoiceID == invoiceID && !$0.isRetry }.map(\.at).min() ?? now
        switch planner.recheck(method: retry.method, at: now, history: history,
                               notAfter: firstFailure.addingTimeInterval(rules.policy.horizon)) {
        case .go:
            break
        case .postpone(let until, let rule):
            try connection.execute("UPDATE recoup.payment_retries SET due_at = $2 WHERE retry_id = $1", [retryID, until])
            try TimerStore.schedule(kind: PaymentRetryLedger.timerKind, dedupeKey: "\(PaymentRetryLedger.timerKind):\(retryID):\(until.timeIntervalSince1970)",
                                    dueAt: until, accountID: accountID, invoiceID: invoiceID,
                                    payload: .object(["retry_id": .string(retryID)]), now: now, connection)
            detail["postponed_to"] = .string(until.formatted(.iso8601))
            try AuditLog.append(kind: "payment.retry.postponed", at: now, accountID: accountID, invoiceID: invoiceID,
                                eventID: retry.causedBy, rule: rule, detail: .object(detail), connection)
            return [.retryDeferred(rule: rule)]
        case .blocked(let rule):
            try PaymentRetryLedger.settle(retryID, as: "skipped", reason: "blocked by \(rule)", now: now, connection)
            detail["reason"] = .string("blocked by \(rule)")
            try AuditLog.append(kind: "payment.retry.skipped", at: now, accountID: accountID, invoiceID: invoiceID,
                                eventID: retry.causedBy, rule: rule, detail: .object(detail), connection)
            return [.retrySkipped(reason: "blocked")]
        }
        let reason = "\(retry.category.rawValue) (\(retry.rules.joined(separator: ", ")))"
        try Outbox.enqueue(.paymentRetryRequested(retryID: retryID, invoiceID: invoiceID, accountID: accountID,
                                                  methodID: retry.method.id, attempt: retry.attempt, reason: reason, at: now),
                           at: now, connection)
        try PaymentRetryLedger.settle(retryID, as: "requested", reason: "published when due", now: now, connection)
        try AuditLog.append(kind: "payment.retry.requested", at: now, accountID: accountID, invoiceID: invoiceID,
                            eventID: retry.causedBy, rule: retry.rules.last, detail: .object(detail), connection)
        return [.retryRequested(category: retry.category.rawValue)]
    }

    /// A backup method had its grace period: if the invoice is still unpaid, ask the customer.
    func fireNotice(_ timer: DueTimer, now: Date, _ connection: PostgresConnection) throws -> [RecordEffect] {
        let (causedBy, account, invoice) = try lockSubject(of: timer, payloadKey: "caused_by", now: now, connection)
        let reasonKey = timer.payload["reason_key"]?.stringValue ?? DeclineTaxonomy.fallbackReasonKey
        let retryAt = timer.payload["retry_at"]?.stringValue.flatMap(Timestamp.parse)
        return try sendNotice(account: account, invoice: invoice, reasonKey: reasonKey, retryAt: retryAt.flatMap { $0 > now ? $0 : nil },
                              causedBy: causedBy, now: now, connection)
    }

    private func scheduleNotice(at time: Date, dedupeKey: String, accountID: String, invoiceID: String, causedBy: String,
                                reasonKey: String, retryAt: Date?, now: Date, _ connection: PostgresConnection) throws {
        var payload: [String: JSONValue] = ["caused_by": .string(causedBy), "reason_key": .string(reasonKey)]
        if let retryAt { payload["retry_at"] = .string(Timestamps.format(retryAt)) }
        try TimerStore.schedule(kind: Self.noticeTimerKind, dedupeKey: dedupeKey, dueAt: time, accountID: accountID,
                                invoiceID: invoiceID, payload: .object(payload), now: now, connection)
    }

    /// The payload value a timer kind needs, and its account and invoice, locked in that order.
    private func lockSubject(of timer: DueTimer, payloadKey: String, now: Date,
                             _ connection: PostgresConnection) throws -> (String, AccountFacts, InvoiceFacts) {
        guard let value = timer.payload[payloadKey]?.stringValue, let accountID = timer.accountID,
              let invoiceID = timer.invoiceID else {
            throw TimerPayloadError(timerID: timer.timerID, kind: timer.kind)
        }
        let account = try AccountFacts.lock(accountID, now: now, connection)
        return (value, account, try InvoiceFacts.lock(invoiceID, accountID: accountID, now: now, connection))
    }

    // MARK: notices and escalations

    /// Queues the payment-failure notice, unless the invoice no longer needs it, the customer
    /// heard about it recently, or it cannot be sent; every outcome is audited.
    func sendNotice(account: AccountFacts, invoice: InvoiceFacts, reasonKey: String, retryAt: Date?, causedBy: String,
                    now: Date, _ connection: PostgresConnection) throws -> [RecordEffect] {
        func suppressed(_ reason: String, rule: String) throws -> [RecordEffect] {
            try AuditLog.append(kind: "notice.suppressed", at: now, accountID: account.accountID, invoiceID: invoice.invoiceID,
                                eventID: causedBy, rule: rule,
                                detail: .object(["stage": .string(PaymentFailureNotice.stage), "reason": .string(reason)]), connection)
            return [.noticeSuppressed(reason: reason)]
        }
        if case .notCollectible(let reason) = invoice.standing {
            return try suppressed("invoice \(reason)", rule: "notice.verify_before_send")
        }
        // Whether the customer heard about it recently, and what the contact guards count: one round trip.
        let results = try connection.queries([
            ("""
            SELECT 1 FROM recoup.audit_log
             WHERE account_id = $1 AND invoice_id = $2 AND kind = 'notice.queued' AND detail->>'stage' = $3 AND occurred_at > $4
             LIMIT 1
            """, [account.accountID, invoice.invoiceID, PaymentFailureNotice.stage,
                  now.addingTimeInterval(-rules.policy.noticeMinInterval)]),
            ContactLog.countedStatement(accountIDs: [account.accountID], now: now, policy: contact),
        ])
        if !results[0].isEmpty { return try suppressed("notified_recently", rule: "policy.notice.min_interval") }

        // Caps and quiet hours defer the notice (never drop it); a missing consent is the composer's call.
        let sent = try ContactLog.decodeCounted(results[1])[account.accountID] ?? []
        let guarded = ContactGuards.decide(channels: [.email], at: now, sent: sent, consents: account.consents,
                                           timeZone: account.timeZone, policy: contact)
        if !guarded.channels.isEmpty, guarded.at > now {
            try scheduleNotice(at: guarded.at, dedupeKey: "\(Self.noticeTimerKind):\(causedBy):\(Int(guarded.at.timeIntervalSince1970))",
                               accountID: account.accountID, invoiceID: invoice.invoiceID, causedBy: causedBy, reasonKey: reasonKey,
                               retryAt: retryAt, now: now, connection)
            try AuditLog.append(kind: "notice.deferred", at: now, accountID: account.accountID, invoiceID: invoice.invoiceID,
                                eventID: causedBy, rule: guarded.deferredBy.first, detail: .object([
                                    "stage": .string(PaymentFailureNotice.stage), "until": .string(Timestamps.format(guarded.at)),
                                    "rules": .array(guarded.deferredBy.map(JSONValue.string)),
                                ]), connection)
            return [.noticeDeferred(rule: guarded.deferredBy.first ?? "contact")]
        }

        let reason = rules.taxonomy.reason(forKey: reasonKey)
        let messageID = StableID.make("msg", causedBy, PaymentFailureNotice.stage)
        switch PaymentFailureNotice.compose(to: account.recipient, emailConsent: account.emailConsent, invoice: invoice.messageInvoice, reason: reason,
                                            retryAt: retryAt, templates: templates, messageID: messageID, causedBy: causedBy) {
        case .failure(let suppression):
            return try suppressed(suppression.label, rule: "notice.\(suppression.label)")
        case .success(let message):
            try Outbox.enqueue(.messageRequested(message, at: now), at: now, connection)
            try ContactLog.record(accountID: account.accountID, channel: message.channel, touchID: messageID, messageID: messageID,
                                  at: now, connection)
            try AuditLog.append(kind: "notice.queued", at: now, accountID: account.accountID, invoiceID: invoice.invoiceID,
                                eventID: causedBy, rule: "policy.notify.payment_failed", detail: .object([
                                    "message_id": .string(messageID), "stage": .string(message.stage),
                                    "channel": .string(message.channel), "tone": .string(message.tone),
                                    "template": .string(message.template), "locale": .string(message.locale),
                                    "reason_key": .string(reasonKey),
                                ]), connection)
            return [.messageQueued(channel: message.channel, stage: message.stage)]
        }
    }

    /// Raises `escalation.raised` to the policy's owner (once per invoice and owner while open);
    /// with `pause` the invoice is put on hold first.
    func escalate(plan: RetryPlan, pause: Bool, account: AccountFacts, invoice: InvoiceFacts, eventID: String, now: Date,
                  _ connection: PostgresConnection) throws -> [RecordEffect] {
        let rule = plan.rules.last ?? "payment.escalate"
        if pause {
            try connection.execute("""
                INSERT INTO recoup.invoice_holds (invoice_id, account_id, reason, rule, caused_by, created_at)
                VALUES ($1, $2, $3, $4, $5, $6)
                """, [invoice.invoiceID, account.accountID, "payment refused or refund claimed", rule, eventID, now])
            try AuditLog.append(kind: "invoice.hold", at: now, accountID: account.accountID, invoiceID: invoice.invoiceID,
                                eventID: eventID, rule: rule, detail: .object(["reason": .string("payment refused or refund claimed")]),
                                connection)
        }
        let action = pause
            ? "The customer refused the debit or claimed a refund: treat it like a dispute and talk to the customer before any further collection."
            : "The bank returned the debit as unauthorized: confirm the customer's authorization (or get a new one) before any further attempt."
        return try HandOffs.escalate(owner: rules.policy.escalationOwner, rule: rule, recommendedAction: action, account: account,
                                     invoice: invoice, causedBy: eventID, now: now, extraDetail: ["pause": .bool(pause)], connection)
    }
}

/// A timer whose payload lacks what its kind needs (written by an older or broken build).
struct TimerPayloadError: Error, CustomStringConvertible {
    let timerID: Int64
    let kind: String
    var description: String { "timer \(timerID) (\(kind)) has an incomplete payload" }
}
