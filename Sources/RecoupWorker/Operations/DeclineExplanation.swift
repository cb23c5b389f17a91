import Foundation
import RecoupCore

/// `recoupctl decline explain`: what Recoup would do with a decline code, as JSON, for support
/// engineers ("the customer's bank sent 05 on a Mastercard: will we retry?"). It runs the real
/// planner on a first failure with no history, so it shows exactly the shipped policy's answer.
public enum DeclineExplanation {
    public static func explain(code: String, scheme: DeclineScheme?, network: String?, advice: String?,
                               rules: PaymentRules, at now: Date = Date()) -> JSONValue {
        let methodType: PaymentMethodType = switch scheme {
        case .nacha?: .achDebit
        case .sepa?: .sepaDebit
        default: .card
        }
        let method = PaymentMethodRef(id: "explained_method", type: methodType, network: network?.lowercased())
        let planner = RetryPlanner(rules: rules)
        let plan = planner.plan(RetryPlanningInput(
            invoiceID: "explained_invoice", method: method, code: code, scheme: scheme, adviceCode: advice,
            attemptedAt: now, now: now))
        let classification = plan.classification
        let categoryRule = rules.policy.rule(for: classification.category)

        var retry: JSONObject = ["will_retry": .bool(plan.retry != nil && plan.retry?.isBackup == false)]
        if let planned = plan.retry, !planned.isBackup {
            retry["first_retry_after"] = .string(ClockText.format(planned.at.timeIntervalSince(now)))
        }
        retry["decision"] = .string(plan.actionLabel)
        retry["schedule"] = .array(categoryRule.retryAfter.map { .string(ClockText.format($0)) })
        retry["align_to_paydays"] = .bool(categoryRule.alignToPaydays)
        retry["backup_method"] = .string(categoryRule.backup.rawValue)
        retry["customer_told"] = .string(categoryRule.notifyFromFailure.map { "from failure \($0)" } ?? "when retries stop")
        retry["rules"] = .array(plan.rules.map(JSONValue.string))
        retry["notes"] = .array(plan.notes.map(JSONValue.string))

        let governing = rules.networkRules.filter { $0.governs(method) && $0.isEffective(at: now) }
        let networkRules: [JSONValue] = governing.map { rule in
            var item: JSONObject = [
                "id": .string(rule.id),
                "governs": .string(rule.scope.description),
                "limit": .string(describe(rule.limit)),
                "triggered_by_this_code": .bool(isTriggered(rule, classification)),
                "effective_from": .string(rule.effectiveFrom.description),
            ]
            if let until = rule.effectiveUntil { item["effective_until"] = .string(until.description) }
            item["source"] = .string(rules.sources[rule.sourceKey] ?? rule.sourceKey)
            return .object(item)
        }
        let caps: [JSONValue] = rules.policy.caps.filter { $0.governs(method) && $0.isEffective(at: now) }.map { rule in
            .object(["id": .string(rule.id), "governs": .string(rule.scope.description), "limit": .string(describe(rule.limit))])
        }

        var result: JSONObject = ["code": .string(code)]
        result["scheme"] = classification.entry.map { .string($0.vocabulary.rawValue) } ?? scheme.map { .string($0.rawValue) } ?? .null
        result["network"] = network.map { .string($0.lowercased()) } ?? .null
        result["advice"] = classification.adviceCode.map(JSONValue.string) ?? .null
        result["known"] = .bool(classification.isKnown)
        result["category"] = .string(classification.category.rawValue)
        result["new_method_needed"] = .bool(classification.newMethodNeeded)
        result["customer_reason"] = .string(rules.taxonomy.customerReason(classification))
        if let entry = classification.entry {
            result["source"] = .string(rules.taxonomy.sources[entry.sourceKey] ?? entry.sourceKey)
        }
        if let advice = classification.advice {
            result["advice_category"] = .string(advice.category.rawValue)
        }
        result["retry"] = .object(retry)
        result["network_rules"] = .array(networkRules)
        result["recoup_caps"] = .array(caps)
        return .object(result)
    }

    /// Caps count every attempt; the other rules only follow the codes they name.
    static func isTriggered(_ rule: NetworkRule, _ classification: DeclineClassification) -> Bool {
        if case .maxAttempts = rule.limit { return true }
        return rule.isTriggered(by: classification)
    }

    static func describe(_ limit: NetworkRule.Limit) -> String {
        func list(_ codes: Set<String>) -> String { codes.sorted().joined(separator: ", ") }
        switch limit {
        case .neverRetry(let codes, let advice):
            return "never retry after " + [codes.isEmpty ? nil : "codes \(list(codes))", advice.isEmpty ? nil : "advice \(list(advice))"]
                .compactMap { $0 }.joined(separator: " or ")
        case .requiresMethodChange(let codes, let advice):
            return "retry only after the method's details change, after " + [codes.isEmpty ? nil : "codes \(list(codes))",
                                                                           advice.isEmpty ? nil : "advice \(list(advice))"]
                .compactMap { $0 }.joined(separator: " or ")
        case .maxAttempts(let count, let within):
            return "at most \(count) attempts per method in any \(ClockText.format(within))"
        case .wait(let codes, let advice):
            let waits = (codes.map { ("code \($0.key)", $0.value) } + advice.map { ("advice \($0.key)", $0.value) })
                .sorted { $0.0 < $1.0 }.map { "\($0.0): \(ClockText.format($0.1))" }
            return "wait before retrying: " + waits.joined(separator: ", ")
        case .maxRepresentments(let codes, let count, let within):
            return "after \(list(codes)): at most \(count) re-presentments within \(ClockText.format(within)) of the first return"
        case .stopAndEscalate(let codes):
            return "after \(list(codes)): stop retrying and escalate to a person"
        case .pauseAndEscalate(let codes):
            return "after \(list(codes)): pause dunning on the invoice and escalate to a person"
        }
    }
}
