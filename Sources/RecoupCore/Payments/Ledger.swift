import Foundation

/// Every attempt on the methods a plan involves (earlier declines, retries sent and scheduled,
/// and the failure being planned), read against the taxonomy and the rules: which methods are
/// blocked, and the earliest time another attempt stays within every cap.
struct Ledger {
    let attempts: [PaymentAttempt]
    let rules: PaymentRules

    func classification(of attempt: PaymentAttempt) -> DeclineClassification? {
        guard case .declined(let code, let scheme, let advice) = attempt.kind else { return nil }
        return rules.taxonomy.classify(code: code, scheme: scheme, methodType: attempt.method.type, adviceCode: advice)
    }

    /// Why `method` must not be attempted again, if it must not: a decline on it that can never
    /// succeed again, or one that needs new details while its details are still the same.
    func block(for method: PaymentMethodRef) -> (rule: String, note: String)? {
        for attempt in attempts where attempt.method.id == method.id {
            guard let classification = classification(of: attempt) else { continue }
            let sameDetails = attempt.method.fingerprint == method.fingerprint
            for rule in rules.rules(for: attempt.method, at: attempt.at) where rule.isTriggered(by: classification) {
                switch rule.limit {
                case .neverRetry:
                    return (rule.id, "\(rule.scope) rule: after this decline the method is never retried")
                case .requiresMethodChange where sameDetails:
                    return (rule.id, "\(rule.scope) rule: the method is retried only after its details change")
                default:
                    continue
                }
            }
            switch classification.category {
            case .doNotRetry:
                return ("taxonomy.category.do_not_retry", "a do_not_retry decline: this method is never retried")
            case .updateRequired where sameDetails:
                return ("taxonomy.category.update_required", "an update_required decline: retried only after the details change")
            default:
                continue
            }
        }
        return nil
    }

    /// The method declined this invoice before (in the history or just now).
    func hasDeclined(_ method: PaymentMethodRef, invoiceID: String) -> Bool {
        attempts.contains { $0.method.id == method.id && $0.invoiceID == invoiceID && !$0.isRetry }
    }

    /// Times of every attempt on the method (declines and retries, any invoice).
    func times(on method: PaymentMethodRef) -> [Date] {
        attempts.filter { $0.method.id == method.id && $0.countsAsAttempt }.map(\.at)
    }

    enum Representments {
        case unlimited
        /// Re-presentments are allowed until `deadline`.
        case limited(rule: String, deadline: Date, note: String)
        case exhausted(rule: String, note: String)
    }

    /// The re-presentment budget of a returned debit (NACHA R01/R09: two within 180 days).
    func representments(invoiceID: String, method: PaymentMethodRef) -> Representments {
        var result = Representments.unlimited
        let onPayment = attempts.filter { $0.invoiceID == invoiceID && $0.method.id == method.id }
        for attempt in onPayment {
            guard let classification = classification(of: attempt) else { continue }
            for rule in rules.rules(for: method, at: attempt.at) where rule.isTriggered(by: classification) {
                guard case .maxRepresentments(_, let count, let within) = rule.limit else { continue }
                let firstReturn = onPayment.filter { candidate in
                    self.classification(of: candidate).map(rule.isTriggered(by:)) ?? false
                }.map(\.at).min() ?? attempt.at
                let made = onPayment.filter { $0.isRetry && $0.at >= firstReturn }.count
                if made >= count {
                    return .exhausted(rule: rule.id, note: "\(rule.scope) rule: \(made) re-presentments already made, the most allowed (\(count))")
                }
                let deadline = firstReturn + within
                if case .limited(_, let earlier, _) = result, earlier <= deadline { continue }
                result = .limited(rule: rule.id, deadline: deadline,
                                  note: "\(rule.scope) rule: re-presentment \(made + 1) of \(count), no later than \(Timestamps.format(deadline))")
            }
        }
        return result
    }

    enum Allowance {
        /// The earliest time at or after the requested one that every cap allows, with the caps
        /// that moved it.
        case allowed(Date, applied: [(String, String)])
        case refused(rule: String, note: String)
    }

    /// The earliest time at or after `from`, and no later than `notAfter`, at which one more
    /// attempt on `method` keeps every applicable `maxAttempts` cap.
    func earliestAllowed(from: Date, method: PaymentMethodRef, notAfter: Date) -> Allowance {
        let points = times(on: method)
        var time = from
        var applied: [(String, String)] = []
        var lastRule = "policy.retry.horizon"
        for _ in 0..<64 {
            var moved = false
            for rule in rules.rules(for: method, at: time) {
                guard case .maxAttempts(let count, let within) = rule.limit else { continue }
                guard !SlidingWindow.allows(time, existing: points, limit: count, length: within) else { continue }
                let next = SlidingWindow.earliest(after: time, existing: points, limit: count, length: within)
                applied.append((rule.id, "\(rule.scope) cap of \(count) attempts per \(ClockText.format(within)) moves the attempt to \(Timestamps.format(next))"))
                lastRule = rule.id
                time = next
                moved = true
            }
            if !moved { break }
            if time > notAfter { break }
        }
        guard time <= notAfter else {
            return .refused(rule: lastRule, note: "no attempt fits the caps before \(Timestamps.format(notAfter))")
        }
        return .allowed(time, applied: applied)
    }
}

/// Rolling-window attempt caps: "at most `limit` attempts in any `length`".
enum SlidingWindow {
    /// True when adding an attempt at `time` leaves every window `[s, s + length)` that contains
    /// `time` with at most `limit` attempts (existing ones, earlier or later, plus this one).
    static func allows(_ time: Date, existing: [Date], limit: Int, length: TimeInterval) -> Bool {
        guard limit >= 1 else { return false }
        let near = existing.filter { $0 > time - length && $0 < time + length }
        // The fullest window containing `time` starts at `time` or at an attempt before it.
        for start in near.filter({ $0 <= time }) + [time] {
            let inside = near.filter { $0 >= start && $0 < start + length }.count
            if inside + 1 > limit { return false }
        }
        return true
    }

    /// The earliest time after `time` that `allows`: the moment an attempt leaves the window.
    static func earliest(after time: Date, existing: [Date], limit: Int, length: TimeInterval) -> Date {
        for candidate in existing.map({ $0 + length }).filter({ $0 > time }).sorted()
        where allows(candidate, existing: existing, limit: limit, length: length) {
            return candidate
        }
        return max(time, (existing.max() ?? time) + length)
    }
}

/// Funds retries land best on paydays (the 1st and 15th by default).
enum Paydays {
    /// `time` moved forward to the nearest payday at most `window` later, at the same local
    /// time of day; nil when it is a payday already or none is that near.
    static func align(_ time: Date, paydays: [Int], window: TimeInterval, timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: time)
        guard let year = parts.year, let month = parts.month, let day = parts.day else { return nil }
        if paydays.contains(day) { return nil }
        var best: Date?
        for payday in paydays {
            var target = DateComponents(year: year, month: month, day: payday,
                                        hour: parts.hour, minute: parts.minute, second: parts.second)
            if payday < day { target.month = month + 1 }
            guard let candidate = calendar.date(from: target), candidate > time, candidate - window <= time else { continue }
            if best.map({ candidate < $0 }) ?? true { best = candidate }
        }
        return best
    }
}
