import Foundation

/// Decides what to do about one payment failure: retry the method at a time the networks allow,
/// try a backup method now, ask the customer to update, or stop and escalate — with the rule
/// ids that decided it. Pure: the same input always yields the same plan.
///
/// Order of reasoning:
/// 1. classify the code (taxonomy; a stricter Mastercard advice code wins);
/// 2. an invoice that is paid, voided, disputed or on hold gets nothing;
/// 3. scheme rules that end automation (NACHA unauthorized returns, SEPA refusals) escalate;
/// 4. a category whose policy tries backups `immediately` tries one first;
/// 5. the failing method is retried on the category's schedule unless a decline blocks it
///    (do_not_retry, Visa category 1, MAC 03/21; update_required or MAC 01 until the details
///    change), moved to a near payday, past any advised wait, and past every attempt cap;
/// 6. otherwise a backup method (when the policy allows) is tried now, and the customer is
///    asked after a grace period if it does not settle the invoice;
/// 7. otherwise the customer is asked to update the method.
public struct RetryPlanner: Sendable {
    public let rules: PaymentRules

    public init(rules: PaymentRules) {
        self.rules = rules
    }

    public func plan(_ input: RetryPlanningInput) -> RetryPlan {
        let taxonomy = rules.taxonomy
        let classification = taxonomy.classify(code: input.code, scheme: input.scheme, methodType: input.method.type,
                                                adviceCode: input.adviceCode)
        let category = classification.category
        var trail = Trail()
        trail.classified(classification)

        func decide(_ action: RetryPlan.Action, _ notice: RetryPlan.Notice?) -> RetryPlan {
            RetryPlan(action: action, notice: notice, classification: classification, rules: trail.rules, notes: trail.notes)
        }

        if case .notCollectible(let reason) = input.invoice {
            trail.add("retry.invoice_not_collectible", "the invoice is \(reason): nothing is retried")
            return decide(.none(reason: reason), nil)
        }

        let failureRules = rules.rules(for: input.method, at: input.attemptedAt)
        for rule in failureRules where rule.isTriggered(by: classification) {
            switch rule.limit {
            case .stopAndEscalate:
                trail.add(rule.id, "\(rule.scope) rule: this return ends automated retries; a person takes over")
                return decide(.stopAndEscalate(pauseInvoice: false), nil)
            case .pauseAndEscalate:
                trail.add(rule.id, "\(rule.scope) rule: this return pauses dunning on the invoice (like a dispute); a person takes over")
                return decide(.stopAndEscalate(pauseInvoice: true), nil)
            default:
                continue
            }
        }

        let current = PaymentAttempt(method: input.method, invoiceID: input.invoiceID, at: input.attemptedAt,
                                     kind: .declined(code: input.code, scheme: input.scheme, adviceCode: input.adviceCode))
        let ledger = Ledger(attempts: input.history + [current], rules: rules)
        let policy = rules.policy
        let categoryRule = policy.rule(for: category)
        let failureNumber = input.history.filter { attempt in
            attempt.invoiceID == input.invoiceID && ledger.classification(of: attempt)?.category == category
        }.count + 1
        let retriesSoFar = input.history.filter { $0.invoiceID == input.invoiceID && $0.isRetry }.count
        let firstFailure = ledger.attempts
            .filter { $0.invoiceID == input.invoiceID && !$0.isRetry }
            .map(\.at).min() ?? input.attemptedAt
        let horizon = firstFailure + policy.horizon

        if categoryRule.backup == .immediately,
           let (action, notice) = tryBackup(input, category: category, ledger: ledger, retriesSoFar: retriesSoFar,
                                            horizon: horizon, trail: &trail) {
            return decide(action, notice)
        }

        if let at = retrySameMethod(input, classification: classification, categoryRule: categoryRule, ledger: ledger,
                                    failureNumber: failureNumber, retriesSoFar: retriesSoFar, horizon: horizon,
                                    failureRules: failureRules, trail: &trail) {
            let notify = categoryRule.notifyFromFailure.map { failureNumber >= $0 } ?? false
            if notify {
                trail.add("policy.notify.\(category.rawValue)", "failure \(failureNumber) of this kind: the customer is told, with the retry date")
            }
            return decide(.retry(at: at, method: input.method, isBackup: false), notify ? .now : nil)
        }

        if categoryRule.backup == .whenExhausted,
           let (action, notice) = tryBackup(input, category: category, ledger: ledger, retriesSoFar: retriesSoFar,
                                            horizon: horizon, trail: &trail) {
            return decide(action, notice)
        }

        trail.add("policy.ask_customer", "no retry can fix this now: the customer is asked to update the payment method")
        return decide(.askCustomer, .now)
    }

    /// The time to retry the failing method, or nil (with the reason in the trail).
    private func retrySameMethod(
        _ input: RetryPlanningInput, classification: DeclineClassification, categoryRule: RetryPolicy.CategoryRule,
        ledger: Ledger, failureNumber: Int, retriesSoFar: Int, horizon: Date, failureRules: [NetworkRule],
        trail: inout Trail
    ) -> Date? {
        let category = classification.category
        let policy = rules.policy
        if let block = ledger.block(for: input.method) {
            trail.add(block.rule, block.note)
            return nil
        }
        guard failureNumber <= categoryRule.retryAfter.count else {
            trail.add(RetryPolicy.ruleID(category),
                      categoryRule.retryAfter.isEmpty
                        ? "\(category.rawValue) is not retried on the same method"
                        : "the \(category.rawValue) schedule is used up (\(categoryRule.retryAfter.count) retries)")
            return nil
        }
        guard retriesSoFar < policy.maxRetriesPerInvoice else {
            trail.add("policy.retry.max_per_invoice", "the invoice had \(retriesSoFar) retries, the most the policy allows")
            return nil
        }
        let offset = categoryRule.retryAfter[failureNumber - 1]
        var at = max(input.attemptedAt + offset, input.now)
        trail.add(RetryPolicy.ruleID(category),
                  "retry \(failureNumber) of \(categoryRule.retryAfter.count) for \(category.rawValue): \(ClockText.format(offset)) after the failed attempt")
        var notAfter = horizon

        for rule in failureRules {
            guard let wait = rule.waitSeconds(after: classification) else { continue }
            trail.add(rule.id, "the network advises waiting at least \(ClockText.format(wait)) after this decline")
            at = max(at, input.attemptedAt + wait)
        }
        if categoryRule.alignToPaydays,
           let aligned = Paydays.align(at, paydays: policy.paydays, window: policy.paydayWindow, timeZone: input.timeZone) {
            trail.add("policy.retry.paydays", "moved forward to the payday \(Timestamps.format(aligned))")
            at = aligned
        }
        switch ledger.representments(invoiceID: input.invoiceID, method: input.method) {
        case .exhausted(let rule, let note):
            trail.add(rule, note)
            return nil
        case .limited(let rule, let deadline, let note):
            trail.add(rule, note)
            notAfter = min(notAfter, deadline)
        case .unlimited:
            break
        }
        switch ledger.earliestAllowed(from: at, method: input.method, notAfter: notAfter) {
        case .allowed(let time, let applied):
            for (rule, note) in applied { trail.add(rule, note) }
            trail.note("retry at \(Timestamps.format(time)) on the same method")
            return time
        case .refused(let rule, let note):
            trail.add(rule, note)
            return nil
        }
    }

    /// Trying the first usable backup method now (and asking the customer after the grace
    /// period), or nil when no backup can be tried.
    private func tryBackup(
        _ input: RetryPlanningInput, category: DeclineCategory, ledger: Ledger, retriesSoFar: Int, horizon: Date,
        trail: inout Trail
    ) -> (RetryPlan.Action, RetryPlan.Notice)? {
        let policy = rules.policy
        guard !input.backups.isEmpty else { return nil }
        guard retriesSoFar < policy.maxRetriesPerInvoice else {
            trail.add("policy.retry.max_per_invoice", "the invoice had \(retriesSoFar) retries: no backup is tried")
            return nil
        }
        for (position, backup) in input.backups.enumerated() where backup.id != input.method.id {
            if let block = ledger.block(for: backup) {
                trail.note("backup \(position + 1) skipped: \(block.note) (\(block.rule))")
                continue
            }
            if ledger.hasDeclined(backup, invoiceID: input.invoiceID) {
                trail.note("backup \(position + 1) skipped: it already declined this invoice")
                continue
            }
            // A backup is worth trying only soon: if the caps push it past the grace period,
            // the customer is asked instead.
            let latest = min(horizon, input.now + policy.backupGrace)
            switch ledger.earliestAllowed(from: input.now, method: backup, notAfter: latest) {
            case .allowed(let time, let applied):
                for (rule, note) in applied { trail.add(rule, note) }
                trail.add("policy.backup.\(category.rawValue)",
                          "backup method \(position + 1) on file is tried at \(Timestamps.format(time)); the customer is asked after \(ClockText.format(policy.backupGrace)) if the invoice is still unpaid")
                return (.retry(at: time, method: backup, isBackup: true), .at(time + policy.backupGrace))
            case .refused(let rule, let note):
                trail.note("backup \(position + 1) skipped: \(note) (\(rule))")
            }
        }
        return nil
    }
}

/// The rule ids and explanation lines of one plan, in the order they were applied.
struct Trail {
    var rules: [String] = []
    var notes: [String] = []

    mutating func add(_ rule: String, _ note: String) {
        if !rules.contains(rule) { rules.append(rule) }
        notes.append(note)
    }

    mutating func note(_ note: String) { notes.append(note) }

    mutating func classified(_ classification: DeclineClassification) {
        if let entry = classification.entry {
            add("taxonomy.\(entry.vocabulary.rawValue).\(entry.code)",
                "\(entry.vocabulary.rawValue) code \(entry.code) is \(entry.category.rawValue)")
        } else {
            add("taxonomy.unknown", "code \(String(classification.code.prefix(40)).debugDescription) is not in the taxonomy: planned as unknown")
        }
        if let advice = classification.advice {
            add("taxonomy.mastercard_advice.\(advice.code)",
                "Mastercard advice \(advice.code) is \(advice.category.rawValue)\(advice.category > (classification.entry?.category ?? .unknown) ? ", which decides" : "")")
        }
    }
}

/// RFC 3339 text in UTC with whole seconds, as plan notes, audit details and payloads write times.
public enum Timestamps {
    public static func format(_ date: Date) -> String {
        let day = LocalDate.utc(of: date)
        let rest = Int((date.timeIntervalSince1970).rounded(.down)) - day.daysSinceEpoch * 86_400
        return "\(day)T\(Digits.padded(rest / 3600, 2)):\(Digits.padded(rest % 3600 / 60, 2)):\(Digits.padded(rest % 60, 2))Z"
    }
}

extension RetryPlanner {
    /// The verdict on a scheduled retry when its time comes, against the history as it is now
    /// (the platform may have made attempts of its own since the plan).
    public enum Recheck: Sendable, Hashable {
        case go
        /// A cap would be exceeded now; the earliest time it allows.
        case postpone(until: Date, rule: String)
        /// A decline since the plan blocks the method for good (or until its details change).
        case blocked(rule: String)
    }

    /// Re-applies the method blocks and attempt caps to a retry of `method` at `now`, without
    /// letting it slip past `notAfter`.
    public func recheck(method: PaymentMethodRef, at now: Date, history: [PaymentAttempt], notAfter: Date) -> Recheck {
        let ledger = Ledger(attempts: history, rules: rules)
        if let block = ledger.block(for: method) { return .blocked(rule: block.rule) }
        switch ledger.earliestAllowed(from: now, method: method, notAfter: notAfter) {
        case .allowed(let time, let applied):
            return time <= now ? .go : .postpone(until: time, rule: applied.last?.0 ?? "policy.retry.caps")
        case .refused(let rule, _):
            return .blocked(rule: rule)
        }
    }
}
