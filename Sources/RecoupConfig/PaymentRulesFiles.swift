import Foundation
import RecoupCore

/// Loads the payment-failure policy from `Config/payments/`: the decline taxonomy, the network
/// and scheme rules, and Recoup's retry policy. Every problem names the file and line.
public enum PaymentRulesFiles {
    public static let taxonomyFile = "payments/declines.yaml"
    public static let networkRulesFile = "payments/network-rules.yaml"
    public static let retryPolicyFile = "payments/retry-policy.yaml"

    /// Loads and validates the three files under `directory` (the `Config/` folder).
    public static func load(directory: String) throws(ConfigError) -> PaymentRules {
        let taxonomy = try DeclineTaxonomyFile.parse(try ConfigNode.load(taxonomyFile, in: directory))
        let (rules, sources) = try NetworkRulesFile.parse(try ConfigNode.load(networkRulesFile, in: directory))
        let policy = try RetryPolicyFile.parse(try ConfigNode.load(retryPolicyFile, in: directory))
        return PaymentRules(taxonomy: taxonomy, networkRules: rules, policy: policy, sources: sources)
    }
}

/// `declines.yaml`: `reasons`, `sources`, `codes` and `advice_codes`.
package enum DeclineTaxonomyFile {
    package static func parse(text: String, file: String) throws(ConfigError) -> DeclineTaxonomy {
        try parse(try ConfigNode.parse(file: file, text: text))
    }

    static func parse(_ root: ConfigNode) throws(ConfigError) -> DeclineTaxonomy {
        var root = root
        var reasons: [String: String] = [:]
        for (key, text, line) in try root.stringMap("reasons") {
            let words = CustomerWording.forbiddenWords(in: text)
            guard words.isEmpty else {
                throw ConfigError(file: root.file, line: line,
                                  message: "reasons.\(key): customer wording must not say \(words.map { "\"\($0)\"" }.joined(separator: ", "))")
            }
            reasons[key] = text
        }
        guard reasons[DeclineTaxonomy.fallbackReasonKey] != nil else {
            throw root.error("reasons.\(DeclineTaxonomy.fallbackReasonKey): required (unknown codes use it)")
        }
        var sources: [String: String] = [:]
        for (key, text, _) in try root.stringMap("sources") { sources[key] = text }

        var entries: [DeclineEntry] = []
        var seen: [DeclineVocabulary: [String: Int]] = [:]
        func add(_ record: ConfigNode, vocabulary: DeclineVocabulary?) throws(ConfigError) {
            var record = record
            let code = try record.requiredString("code")
            let resolved: DeclineVocabulary
            if let vocabulary {
                resolved = vocabulary
            } else {
                guard let scheme: DeclineScheme = try record.choice("scheme") else {
                    throw record.error("\(record.keyPath("scheme")): required (\(DeclineScheme.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                resolved = DeclineVocabulary(scheme)
            }
            guard let category: DeclineCategory = try record.choice("category") else {
                throw record.error("\(record.keyPath("category")): required")
            }
            guard category != .unknown else {
                throw record.error("\(record.keyPath("category")): unknown is what unlisted codes get; give a listed code a real category")
            }
            guard let newMethod = try record.bool("new_method") else {
                throw record.error("\(record.keyPath("new_method")): required (true or false)")
            }
            let reason = try record.requiredString("reason")
            guard reasons[reason] != nil else {
                throw record.error("\(record.keyPath("reason")): \(reason.debugDescription) is not one of the reasons")
            }
            let source = try record.requiredString("source")
            guard sources[source] != nil else {
                throw record.error("\(record.keyPath("source")): \(source.debugDescription) is not one of the sources")
            }
            let networkCode = try record.string("network_code")
            if networkCode != nil && resolved != .stripe {
                throw record.error("\(record.keyPath("network_code")): only Stripe codes map to a network code; \(resolved.rawValue) codes are their own")
            }
            try record.rejectUnknownKeys()
            let canonical = resolved.canonical(code)
            if let earlier = seen[resolved]?[canonical] {
                throw record.error("\(resolved.rawValue) code \(code.debugDescription) is listed twice (first on line \(earlier))")
            }
            seen[resolved, default: [:]][canonical] = record.line ?? 0
            entries.append(DeclineEntry(code: canonical, vocabulary: resolved, category: category, newMethodNeeded: newMethod,
                                        reasonKey: reason, sourceKey: source,
                                        networkCode: networkCode.map { DeclineVocabulary.iso8583.canonical($0) }, line: record.line))
        }
        for record in try root.records("codes") { try add(record, vocabulary: nil) }
        for record in try root.records("advice_codes") { try add(record, vocabulary: .mastercardAdvice) }
        guard !entries.isEmpty else { throw root.error("codes: the taxonomy lists no codes") }
        try root.rejectUnknownKeys()
        return DeclineTaxonomy(entries: entries, reasons: reasons, sources: sources)
    }
}

/// `network-rules.yaml`: `sources` and dated `rules`.
package enum NetworkRulesFile {
    package static func parse(text: String, file: String) throws(ConfigError) -> ([NetworkRule], sources: [String: String]) {
        try parse(try ConfigNode.parse(file: file, text: text))
    }

    static func parse(_ root: ConfigNode) throws(ConfigError) -> ([NetworkRule], sources: [String: String]) {
        var root = root
        var sources: [String: String] = [:]
        for (key, text, _) in try root.stringMap("sources") { sources[key] = text }
        var rules: [NetworkRule] = []
        var ids: [String: Int] = [:]
        for record in try root.records("rules") {
            let rule = try RuleRecord.parse(record, sources: sources, datesRequired: true)
            if let earlier = ids[rule.id] { throw record.error("rule id \(rule.id) is used twice (first on line \(earlier))") }
            ids[rule.id] = rule.line ?? 0
            rules.append(rule)
        }
        try root.rejectUnknownKeys()
        return (rules, sources)
    }
}

/// One rule record: `id`, `network` or `scheme`, dates, `source`, and exactly one limit.
enum RuleRecord {
    static let limitKeys = ["never_retry", "requires_method_change", "max_attempts", "wait", "max_representments",
                            "stop_and_escalate", "pause_and_escalate"]

    static func parse(_ record: ConfigNode, sources: [String: String]?, datesRequired: Bool) throws(ConfigError) -> NetworkRule {
        var record = record
        let id = try record.requiredString("id")
        guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" }) else {
            throw record.error("\(record.keyPath("id")): use letters, digits, '.', '_' and '-' only")
        }
        let network = try record.string("network")
        let scheme: DeclineScheme? = try record.choice("scheme")
        let scope: NetworkRule.Scope
        switch (network, scheme) {
        case (let network?, nil): scope = .network(network.lowercased())
        case (nil, .nacha?): scope = .scheme(.nacha)
        case (nil, .sepa?): scope = .scheme(.sepa)
        case (nil, let other?): throw record.error("\(record.keyPath("scheme")): \(other.rawValue) is not a debit scheme (nacha, sepa); card rules name a network")
        case (.some, .some): throw record.error("rule \(id): name a network or a scheme, not both")
        case (nil, nil): throw record.error("rule \(id): name the network (visa, mastercard, ...) or the scheme (nacha, sepa) it governs")
        }
        let from = try record.date("effective_from")
        guard from != nil || !datesRequired else {
            throw record.error("\(record.keyPath("effective_from")): required — a network rule applies from a date")
        }
        let until = try record.date("effective_until")
        if let from, let until, until <= from {
            throw record.error("\(record.keyPath("effective_until")): must be after effective_from")
        }
        var sourceKey = ""
        if let sources {
            sourceKey = try record.requiredString("source")
            guard sources[sourceKey] != nil else {
                throw record.error("\(record.keyPath("source")): \(sourceKey.debugDescription) is not one of the sources")
            }
        } else if let source = try record.string("source") {
            sourceKey = source
        }
        var limits: [NetworkRule.Limit] = []
        for key in limitKeys {
            guard var body = try record.section(key) else { continue }
            limits.append(try limit(key, &body))
            try body.rejectUnknownKeys()
        }
        guard limits.count == 1 else {
            throw record.error("rule \(id): give exactly one of \(limitKeys.joined(separator: ", "))")
        }
        try record.rejectUnknownKeys()
        return NetworkRule(id: id, scope: scope, effectiveFrom: from ?? LocalDate(year: 1970, month: 1, day: 1)!,
                           effectiveUntil: until, sourceKey: sourceKey, limit: limits[0], line: record.line)
    }

    private static func codeSet(_ body: inout ConfigNode, _ key: String) throws(ConfigError) -> Set<String> {
        Set(try body.strings(key).map { $0.trimmingCharacters(in: .whitespaces).uppercased() })
    }

    private static func durationsByCode(_ body: inout ConfigNode, _ key: String) throws(ConfigError) -> [String: TimeInterval] {
        var result: [String: TimeInterval] = [:]
        for (code, text, line) in try body.stringMap(key) {
            do {
                result[code.uppercased()] = try ClockText.duration(text)
            } catch {
                throw ConfigError(file: body.file, line: line, message: "\(body.keyPath(key)).\(code): \(error.description)")
            }
        }
        return result
    }

    private static func limit(_ key: String, _ body: inout ConfigNode) throws(ConfigError) -> NetworkRule.Limit {
        switch key {
        case "never_retry", "requires_method_change":
            let codes = try codeSet(&body, "codes"), advice = try codeSet(&body, "advice")
            guard !codes.isEmpty || !advice.isEmpty else { throw body.error("\(body.path): list codes or advice codes") }
            return key == "never_retry" ? .neverRetry(codes: codes, advice: advice) : .requiresMethodChange(codes: codes, advice: advice)
        case "max_attempts":
            guard let count = try body.int("count", in: 1...1000) else { throw body.error("\(body.keyPath("count")): required") }
            guard let within = try body.duration("within"), within > 0 else { throw body.error("\(body.keyPath("within")): required, e.g. 30d") }
            return .maxAttempts(count: count, within: within)
        case "wait":
            let codes = try durationsByCode(&body, "codes"), advice = try durationsByCode(&body, "advice")
            guard !codes.isEmpty || !advice.isEmpty else { throw body.error("\(body.path): give waits by code or by advice code") }
            return .wait(codes: codes, advice: advice)
        case "max_representments":
            let codes = try codeSet(&body, "codes")
            guard !codes.isEmpty else { throw body.error("\(body.keyPath("codes")): required") }
            guard let count = try body.int("count", in: 0...100) else { throw body.error("\(body.keyPath("count")): required") }
            guard let within = try body.duration("within"), within > 0 else { throw body.error("\(body.keyPath("within")): required, e.g. 180d") }
            return .maxRepresentments(codes: codes, count: count, within: within)
        default:
            let codes = try codeSet(&body, "codes")
            guard !codes.isEmpty else { throw body.error("\(body.keyPath("codes")): required") }
            return key == "stop_and_escalate" ? .stopAndEscalate(codes: codes) : .pauseAndEscalate(codes: codes)
        }
    }
}

/// `retry-policy.yaml`: limits per invoice, paydays, the category schedules and Recoup's caps.
package enum RetryPolicyFile {
    /// The owners `escalation.<owner>` may name (CONTRACT.md).
    static let owners = ["account_team", "collector", "collections_lead", "write_off_review", "service_impact"]

    package static func parse(text: String, file: String) throws(ConfigError) -> RetryPolicy {
        try parse(try ConfigNode.parse(file: file, text: text))
    }

    static func parse(_ root: ConfigNode) throws(ConfigError) -> RetryPolicy {
        var root = root
        guard var retries = try root.section("retries") else { throw root.error("retries: required") }
        let maxPerInvoice = try retries.int("max_per_invoice", default: 8, in: 0...100)
        let horizon = try retries.duration("horizon") ?? 30 * 86_400
        let backupGrace = try retries.duration("backup_grace") ?? 2 * 3_600
        let noticeInterval = try retries.duration("notice_min_interval") ?? 86_400
        let paydayTexts = try retries.strings("paydays")
        var paydays: [Int] = []
        for text in paydayTexts {
            guard let day = Int(text), (1...28).contains(day) else {
                throw retries.error("\(retries.keyPath("paydays")): \(text.debugDescription) is not a day 1...28 (every month has it)")
            }
            paydays.append(day)
        }
        let paydayWindow = try retries.duration("payday_window") ?? 2 * 86_400
        try retries.rejectUnknownKeys()

        let owner = try root.string("escalation_owner", default: "collector")
        guard owners.contains(owner) else {
            throw root.error("escalation_owner: \(owner.debugDescription) is not one of \(owners.joined(separator: ", "))")
        }

        guard let categoriesNode = try root.section("categories") else { throw root.error("categories: required") }
        var categories: [DeclineCategory: RetryPolicy.CategoryRule] = [:]
        var categoriesReader = categoriesNode
        for category in DeclineCategory.allCases {
            guard var body = try categoriesReader.section(category.rawValue) else {
                throw categoriesNode.error("categories.\(category.rawValue): required (every category needs a plan)")
            }
            let retryAfter = try body.durations("retry_after")
            if retryAfter.contains(where: { $0 <= 0 }) { throw body.error("\(body.keyPath("retry_after")): delays must be positive") }
            let align = try body.bool("align_to_paydays", default: false)
            let backup: RetryPolicy.BackupTiming = try body.choice("backup", default: .whenExhausted)
            let notify = try body.int("notify_from_failure", in: 1...100)
            try body.rejectUnknownKeys()
            if category.forbidsSameMethod && !retryAfter.isEmpty {
                throw body.error("\(body.keyPath("retry_after")): \(category.rawValue) declines fail again on the same details; leave it empty")
            }
            categories[category] = RetryPolicy.CategoryRule(retryAfter: retryAfter, alignToPaydays: align, backup: backup,
                                                            notifyFromFailure: notify)
        }
        try categoriesReader.rejectUnknownKeys()

        var caps: [NetworkRule] = []
        for record in try root.records("caps") {
            let rule = try RuleRecord.parse(record, sources: nil, datesRequired: false)
            guard case .maxAttempts = rule.limit else { throw record.error("caps: a cap is a max_attempts rule") }
            caps.append(rule)
        }
        try root.rejectUnknownKeys()
        return RetryPolicy(categories: categories, maxRetriesPerInvoice: maxPerInvoice, horizon: horizon,
                           backupGrace: backupGrace, noticeMinInterval: noticeInterval, paydays: paydays,
                           paydayWindow: paydayWindow, caps: caps, escalationOwner: owner)
    }
}
