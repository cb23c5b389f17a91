import Foundation
import PropertySupport
import RecoupConfig
import RecoupCore
import Testing

/// Random failure histories against the shipped rules: whatever the history, no plan breaks a
/// network or scheme limit, and no plan retries a do_not_retry decline on the same method.
///
/// The checks here restate the limits from the rules' own terms (brute force over every
/// window), independently of the planner's bookkeeping.
@Suite("Retry planner properties")
struct RetryPlannerPropertyTests {
    static let rules = ShippedPolicy.rules
    static let planner = RetryPlanner(rules: rules)
    static let taxonomy = rules.taxonomy

    static let methods: [PaymentMethodRef] = [
        PaymentMethodRef(id: "visa_1", type: .card, network: "visa", expMonth: 1, expYear: 2028),
        PaymentMethodRef(id: "visa_1", type: .card, network: "visa", expMonth: 6, expYear: 2030), // visa_1 after an update
        PaymentMethodRef(id: "mc_1", type: .card, network: "mastercard", expMonth: 2, expYear: 2029),
        PaymentMethodRef(id: "amex_1", type: .card, network: "amex"),
        PaymentMethodRef(id: "ach_1", type: .achDebit),
        PaymentMethodRef(id: "sepa_1", type: .sepaDebit),
    ]
    static let invoices = ["in_a", "in_b", "in_c"]
    /// Around rule changes as well as today, so dated rules are exercised on both sides.
    static let epochs = ["2026-12-02T12:00:00Z", "2026-04-19T08:00:00Z", "2022-10-02T12:00:00Z", "2026-07-26T00:00:00Z"]
        .map { Timestamp.parse($0)! }

    static func randomCode(for method: PaymentMethodRef, _ random: inout SeededGenerator) -> (String, DeclineScheme?, String?) {
        if random.chance(1, in: 20) { return ("zz_unlisted_\(Int.random(in: 0..<5, using: &random))", nil, nil) }
        let vocabularies: [DeclineVocabulary] = switch method.type {
        case .card: [.stripe, .iso8583]
        case .achDebit: [.nacha, .stripe]
        case .sepaDebit: [.sepa]
        }
        let vocabulary = vocabularies.randomElement(using: &random)!
        let entry = taxonomy.entries.filter { $0.vocabulary == vocabulary }.randomElement(using: &random)!
        let scheme: DeclineScheme? = random.chance(1, in: 4) ? nil : DeclineScheme(rawValue: vocabulary.rawValue)
        var advice: String?
        if method.network == "mastercard", random.chance(1, in: 3) {
            advice = taxonomy.entries.filter { $0.vocabulary == .mastercardAdvice }.randomElement(using: &random)!.code
        }
        return (entry.code, scheme, advice)
    }

    static func randomInput(_ random: inout SeededGenerator) -> RetryPlanningInput {
        let now = epochs.randomElement(using: &random)!
        var history: [PaymentAttempt] = []
        let count = Int.random(in: 0...40, using: &random)
        for _ in 0..<count {
            let method = methods.randomElement(using: &random)!
            let invoice = invoices.randomElement(using: &random)!
            // Mostly the last 40 days, bunched so caps are hit; scheduled retries lie ahead.
            let offset = random.chance(1, in: 3)
                ? -Double.random(in: 0...86_400, using: &random)
                : -Double.random(in: 0...(40 * 86_400), using: &random)
            switch Int.random(in: 0..<10, using: &random) {
            case 0...5:
                let (code, scheme, advice) = randomCode(for: method, &random)
                history.append(PaymentAttempt(method: method, invoiceID: invoice, at: now.addingTimeInterval(offset),
                                              kind: .declined(code: code, scheme: scheme, adviceCode: advice)))
            case 6:
                history.append(PaymentAttempt(method: method, invoiceID: invoice, at: now.addingTimeInterval(offset), kind: .retryRequested))
            case 7:
                history.append(PaymentAttempt(method: method, invoiceID: invoice, at: now.addingTimeInterval(offset), kind: .retryAnswered))
            default:
                history.append(PaymentAttempt(method: method, invoiceID: invoice,
                                              at: now.addingTimeInterval(Double.random(in: 0...(10 * 86_400), using: &random)),
                                              kind: .retryScheduled))
            }
        }
        // Half the time a card is busy: a soft decline on a Visa or Mastercard card that many
        // recent attempts on other invoices already used, so its caps (Mastercard's 10 a day,
        // Visa's 15 in 30 days) decide, rather than being hoped for.
        let busy = random.chance(1, in: 2)
        let method = busy ? [methods[0], methods[2]].randomElement(using: &random)! : methods.randomElement(using: &random)!
        if busy {
            let span: TimeInterval = method.network == "mastercard" ? 30 * 3_600 : 32 * 86_400
            for index in 0..<Int.random(in: 8...30, using: &random) {
                let code = ["try_again_later", "insufficient_funds", "do_not_honor"].randomElement(using: &random)!
                history.append(PaymentAttempt(method: method, invoiceID: "busy_\(index)",
                                              at: now.addingTimeInterval(-Double.random(in: 0...span, using: &random)),
                                              kind: .declined(code: code, scheme: .stripe, adviceCode: nil)))
            }
        }
        let (code, scheme, advice) = busy
            ? (["try_again_later", "insufficient_funds", "do_not_honor"].randomElement(using: &random)!, DeclineScheme.stripe, nil)
            : randomCode(for: method, &random)
        let backups = methods.filter { $0.id != method.id && random.chance(1, in: 3) }
        let attemptedAt = now.addingTimeInterval(-Double.random(in: 0...(3 * 86_400), using: &random))
        return RetryPlanningInput(invoiceID: invoices.randomElement(using: &random)!, method: method, code: code, scheme: scheme,
                                  adviceCode: advice, attemptedAt: attemptedAt, history: history, backups: backups,
                                  now: now, timeZone: TimeZone(identifier: ["UTC", "America/New_York", "Asia/Tokyo"].randomElement(using: &random)!)!)
    }

    /// Every limit a retry of `method` at `time` must keep, checked by brute force.
    static func violations(of input: RetryPlanningInput, retry time: Date, on method: PaymentMethodRef) -> [String] {
        var problems: [String] = []
        let current = PaymentAttempt(method: input.method, invoiceID: input.invoiceID, at: input.attemptedAt,
                                     kind: .declined(code: input.code, scheme: input.scheme, adviceCode: input.adviceCode))
        let all = input.history + [current]
        if time < input.now { problems.append("retry in the past") }

        for attempt in all where attempt.method.id == method.id {
            guard case .declined(let code, let scheme, let advice) = attempt.kind else { continue }
            let classification = taxonomy.classify(code: code, scheme: scheme, methodType: attempt.method.type, adviceCode: advice)
            if classification.category == .doNotRetry { problems.append("retries a method that had a do_not_retry decline (\(code))") }
            let sameDetails = attempt.method.fingerprint == method.fingerprint
            if classification.category == .updateRequired && sameDetails {
                problems.append("retries unchanged details after an update_required decline (\(code))")
            }
            for rule in rules.networkRules where rule.governs(attempt.method) && rule.isEffective(at: attempt.at) {
                switch rule.limit {
                case .neverRetry(let codes, let adviceCodes):
                    if classification.networkCode.map(codes.contains) == true || advice.map({ adviceCodes.contains($0.uppercased()) }) == true {
                        problems.append("\(rule.id): never retry after \(code)/\(advice ?? "-")")
                    }
                case .requiresMethodChange(let codes, let adviceCodes) where sameDetails:
                    if classification.networkCode.map(codes.contains) == true || advice.map({ adviceCodes.contains($0.uppercased()) }) == true {
                        problems.append("\(rule.id): details must change after \(code)/\(advice ?? "-")")
                    }
                case .stopAndEscalate(let codes), .pauseAndEscalate(let codes):
                    if attempt == current, classification.networkCode.map(codes.contains) == true {
                        problems.append("\(rule.id): must stop and escalate")
                    }
                default:
                    break
                }
            }
        }

        // Attempt caps: every window containing the retry stays within the limit.
        let points = all.filter { $0.method.id == method.id && $0.kind != .retryAnswered }.map(\.at) + [time]
        for rule in rules.networkRules + rules.policy.caps where rule.governs(method) && rule.isEffective(at: time) {
            guard case .maxAttempts(let limit, let length) = rule.limit else { continue }
            for start in points where start <= time && time < start + length {
                let inside = points.filter { $0 >= start && $0 < start + length }.count
                if inside > limit { problems.append("\(rule.id): \(inside) attempts in the window from \(start)") }
            }
        }

        // Advised waits after the failure being planned, when the retry is on that method.
        if method.id == input.method.id {
            let classification = taxonomy.classify(code: input.code, scheme: input.scheme, methodType: input.method.type,
                                                   adviceCode: input.adviceCode)
            for rule in rules.networkRules where rule.governs(input.method) && rule.isEffective(at: input.attemptedAt) {
                guard case .wait(let codes, let adviceCodes) = rule.limit else { continue }
                let wait = max(classification.networkCode.flatMap { codes[$0] } ?? 0,
                               input.adviceCode.flatMap { adviceCodes[$0.uppercased()] } ?? 0)
                if time < input.attemptedAt + wait { problems.append("\(rule.id): retried before the advised wait") }
            }
        }

        // Re-presentments of a returned ACH debit.
        for rule in rules.networkRules where rule.governs(method) {
            guard case .maxRepresentments(let codes, let limit, let within) = rule.limit else { continue }
            let onPayment = all.filter { $0.method.id == method.id && $0.invoiceID == input.invoiceID }
            let returns = onPayment.filter { attempt in
                guard case .declined(let code, let scheme, let advice) = attempt.kind, rule.isEffective(at: attempt.at) else { return false }
                return taxonomy.classify(code: code, scheme: scheme, methodType: method.type, adviceCode: advice).networkCode
                    .map(codes.contains) ?? false
            }
            guard let firstReturn = returns.map(\.at).min() else { continue }
            let made = onPayment.filter { $0.isRetry && $0.at >= firstReturn }.count
            if made + 1 > limit { problems.append("\(rule.id): re-presentment \(made + 1) of at most \(limit)") }
            if time > firstReturn + within { problems.append("\(rule.id): re-presented after \(within / 86_400) days") }
        }
        return problems
    }

    @Test("no plan breaks a network or scheme limit, whatever the history (5,000 random histories)")
    func limitsHold() {
        var random = SeededGenerator(seed: 0x5245_434F_5550)
        var retries = 0, backups = 0, stops = 0, capped = 0
        let capIDs = Set((Self.rules.networkRules + Self.rules.policy.caps).filter {
            if case .maxAttempts = $0.limit { true } else { false }
        }.map(\.id))
        for iteration in 0..<5_000 {
            let input = Self.randomInput(&random)
            let plan = Self.planner.plan(input)
            switch plan.action {
            case .retry(let at, let method, let isBackup):
                retries += 1
                if isBackup { backups += 1 }
                if plan.rules.contains(where: capIDs.contains) { capped += 1 }
                let problems = Self.violations(of: input, retry: at, on: method)
                #expect(problems.isEmpty, "iteration \(iteration): \(problems); plan: \(plan.notes)")
                if !problems.isEmpty { return }
                let category = plan.category
                if category == .doNotRetry { #expect(method.id != input.method.id, "iteration \(iteration): do_not_retry on the same method") }
            case .stopAndEscalate:
                stops += 1
            case .askCustomer, .none:
                break
            }
        }
        // The generator must reach every kind of decision, or the property proves little.
        #expect(retries > 1_000)
        #expect(backups > 200)
        #expect(stops > 20)
        #expect(capped > 250, "only \(capped) plans were moved by a cap")
    }

    @Test("a do_not_retry decline is never retried on its method, with or without history (every code)")
    func doNotRetryNeverSameMethod() {
        var random = SeededGenerator(seed: 42)
        for entry in Self.taxonomy.entries where entry.category == .doNotRetry {
            for _ in 0..<20 {
                var input = Self.randomInput(&random)
                let method: PaymentMethodRef = switch entry.vocabulary {
                case .nacha: Self.methods[4]
                case .sepa: Self.methods[5]
                case .mastercardAdvice: Self.methods[2]
                default: Self.methods[0]
                }
                input.method = method
                if entry.vocabulary == .mastercardAdvice {
                    input.code = "do_not_honor"; input.scheme = .stripe; input.adviceCode = entry.code
                } else {
                    input.code = entry.code; input.scheme = DeclineScheme(rawValue: entry.vocabulary.rawValue); input.adviceCode = nil
                }
                let plan = Self.planner.plan(input)
                if let retry = plan.retry {
                    #expect(retry.method.id != method.id, "\(entry.vocabulary.rawValue) \(entry.code) retried on its own method")
                }
            }
        }
    }
}
