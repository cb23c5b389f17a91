import Foundation
@testable import RecoupConfig
import RecoupCore
import Testing

/// Mistakes Finance or support might make editing the policy files: each is refused with the
/// file, the line and what is wrong.
@Suite("Payment policy files: validation")
struct PolicyFileErrorTests {
    static let taxonomyHead = """
        reasons:
          generic: "Your bank declined the payment."
        sources:
          s: "a source"
        codes:

        """

    static func taxonomyError(_ codes: String) -> ConfigError? {
        do {
            _ = try DeclineTaxonomyFile.parse(text: taxonomyHead + codes, file: "declines.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test("taxonomy mistakes name the line", arguments: [
        ("  - {code: x, scheme: stripe, category: sometimes, new_method: false, reason: generic, source: s}\n", 6, "is not one of"),
        ("  - {code: x, scheme: visa, category: do_not_honor, new_method: false, reason: generic, source: s}\n", 6, "scheme"),
        ("  - {code: x, scheme: stripe, category: do_not_honor, new_method: false, reason: polite, source: s}\n", 6, "not one of the reasons"),
        ("  - {code: x, scheme: stripe, category: do_not_honor, new_method: false, reason: generic, source: nowhere}\n", 6, "not one of the sources"),
        ("  - {code: x, scheme: stripe, category: do_not_honor, reason: generic, source: s}\n", 6, "new_method"),
        ("  - {code: x, scheme: stripe, category: unknown, new_method: false, reason: generic, source: s}\n", 6, "unknown is what unlisted codes get"),
        ("  - {code: x, scheme: stripe, category: do_not_honor, new_method: false, reason: generic, source: s, colour: red}\n", 6, "unknown setting"),
        ("  - {code: \"05\", scheme: iso8583, category: do_not_honor, new_method: false, reason: generic, source: s, network_code: \"05\"}\n", 6, "only Stripe codes"),
        ("  - {code: x, scheme: stripe, category: do_not_honor, new_method: false, reason: generic, source: s}\n  - {code: X, scheme: stripe, category: do_not_retry, new_method: true, reason: generic, source: s}\n", 7, "listed twice (first on line 6)"),
    ])
    func taxonomyMistakes(_ codes: String, line: Int, mentions: String) throws {
        let error = try #require(Self.taxonomyError(codes))
        #expect(error.file == "declines.yaml")
        #expect(error.line == line, "\(error)")
        #expect(error.message.contains(mentions), "\(error)")
    }

    @Test("customer wording that reveals a reason is refused")
    func unsafeReason() throws {
        let text = """
            reasons:
              generic: "Your bank declined the payment."
              oops: "Your card was reported stolen."
            sources: {s: x}
            codes:
              - {code: x, scheme: stripe, category: do_not_retry, new_method: true, reason: oops, source: s}
            """
        #expect(throws: ConfigError.self) { try DeclineTaxonomyFile.parse(text: text, file: "d.yaml") }
        do {
            _ = try DeclineTaxonomyFile.parse(text: text, file: "d.yaml")
        } catch {
            #expect(error.line == 3)
            #expect(error.message.contains("\"stolen\""))
        }
    }

    static func ruleError(_ rule: String) -> ConfigError? {
        let text = "sources: {s: x}\nrules:\n" + rule
        do {
            _ = try NetworkRulesFile.parse(text: text, file: "network-rules.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test("network rule mistakes name the line", arguments: [
        ("  - {id: a, network: visa, source: s, max_attempts: {count: 15, within: 30d}}\n", 3, "effective_from"),
        ("  - {id: a, network: visa, effective_from: 2026-13-01, source: s, max_attempts: {count: 15, within: 30d}}\n", 3, "YYYY-MM-DD"),
        ("  - {id: a, network: visa, effective_from: 2026-01-01, effective_until: 2025-01-01, source: s, max_attempts: {count: 1, within: 1d}}\n", 3, "after effective_from"),
        ("  - {id: a, network: visa, effective_from: 2026-01-01, source: s}\n", 3, "exactly one of"),
        ("  - {id: a, network: visa, effective_from: 2026-01-01, source: s, max_attempts: {count: 1, within: 1d}, never_retry: {codes: [\"04\"]}}\n", 3, "exactly one of"),
        ("  - {id: a, network: visa, effective_from: 2026-01-01, source: s, max_attempts: {count: 1, within: soon}}\n", 3, "duration"),
        ("  - {id: a, scheme: stripe, effective_from: 2026-01-01, source: s, stop_and_escalate: {codes: [x]}}\n", 3, "not a debit scheme"),
        ("  - {id: a, effective_from: 2026-01-01, source: s, stop_and_escalate: {codes: [x]}}\n", 3, "name the network"),
        ("  - {id: a, network: visa, effective_from: 2026-01-01, source: s, never_retry: {codes: [\"04\"]}}\n  - {id: a, network: visa, effective_from: 2026-01-01, source: s, never_retry: {codes: [\"07\"]}}\n", 4, "used twice"),
    ])
    func ruleMistakes(_ rule: String, line: Int, mentions: String) throws {
        let error = try #require(Self.ruleError(rule))
        #expect(error.line == line, "\(error)")
        #expect(error.message.contains(mentions), "\(error)")
    }

    static let policyText = """
        retries:
          max_per_invoice: 8
          horizon: 30d
          paydays: [1, 15]
        categories:
          insufficient_funds: {retry_after: [3d, 5d, 7d], align_to_paydays: true, backup: when_exhausted, notify_from_failure: 2}
          try_again_later: {retry_after: [2h, 24h]}
          do_not_honor: {retry_after: [1d]}
          update_required: {backup: immediately, notify_from_failure: 1}
          do_not_retry: {backup: immediately, notify_from_failure: 1}
          unknown: {retry_after: [2d]}
        """

    @Test("the shipped shape of the retry policy parses")
    func policyParses() throws {
        let policy = try RetryPolicyFile.parse(text: Self.policyText, file: "retry-policy.yaml")
        let days: [TimeInterval] = [3, 5, 7].map { $0 * 86_400 }
        #expect(policy.rule(for: .insufficientFunds).retryAfter == days)
        #expect(policy.rule(for: .tryAgainLater).backup == .whenExhausted)
        #expect(policy.rule(for: .tryAgainLater).notifyFromFailure == nil)
        #expect(policy.paydays == [1, 15])
    }

    @Test("retry policy mistakes name the line", arguments: [
        ("  unknown: {retry_after: [2d]}", "", "categories.unknown: required"),
        ("  do_not_retry: {backup: immediately, notify_from_failure: 1}", "  do_not_retry: {retry_after: [1d], backup: immediately}", "leave it empty"),
        ("  paydays: [1, 15]", "  paydays: [1, 31]", "not a day 1...28"),
        ("  try_again_later: {retry_after: [2h, 24h]}", "  try_again_later: {retry_after: [2h, 24h], backup: sometimes}", "is not one of"),
    ])
    func policyMistakes(_ original: String, replacement: String, mentions: String) throws {
        let text = Self.policyText.replacingOccurrences(of: original, with: replacement)
        do {
            _ = try RetryPolicyFile.parse(text: text, file: "retry-policy.yaml")
            Issue.record("expected an error mentioning \(mentions)")
        } catch {
            #expect(error.message.contains(mentions), "\(error)")
            #expect(error.line != nil, "\(error)")
        }
    }

    @Test("template mistakes name the line")
    func templateMistakes() {
        func error(_ text: String, email: Bool = true) -> ConfigError? {
            do {
                _ = try TemplateFiles.parse(text, file: "t.mustache", name: "t", isEmail: email)
                return nil
            } catch {
                return error
            }
        }
        #expect(error("Hello {{first_name}}\n")?.line == 1)
        #expect(error("Subject: Hi\nnot blank\n")?.line == 2)
        #expect(error("Subject: Hi\n\nHello {{frist_name}}\n")?.line == 3)
        #expect(error("Subject: Hi\n\nHello\n{{#retry_date}}\nno end\n")?.message.contains("Mustache") == true)
        #expect(error("Hello {{first_name}}\n", email: false) == nil)
    }
}
