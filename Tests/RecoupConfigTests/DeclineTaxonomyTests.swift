import Foundation
import RecoupConfig
import RecoupCore
import Testing

/// Every code in `Config/payments/declines.yaml` against the independent expectation table, and
/// what the planner does with each: the test that keeps the taxonomy honest when it is edited.
@Suite("Decline taxonomy (shipped file)")
struct DeclineTaxonomyTests {
    static let taxonomy = ShippedPolicy.rules.taxonomy
    static let planner = RetryPlanner(rules: ShippedPolicy.rules)

    static func vocabulary(_ name: String) -> DeclineVocabulary { DeclineVocabulary(rawValue: name)! }

    @Test("the file lists exactly the codes of the expectation table, and has at least 150")
    func sameCodes() {
        let inFile = Set(Self.taxonomy.entries.map { "\($0.vocabulary.rawValue):\($0.code)" })
        let expected = Set(declineExpectations.map { "\($0.scheme):\(Self.vocabulary($0.scheme).canonical($0.code))" })
        #expect(inFile.subtracting(expected).sorted() == [], "in the file but not in DeclineExpectations.swift")
        #expect(expected.subtracting(inFile).sorted() == [], "in DeclineExpectations.swift but not in the file")
        #expect(Self.taxonomy.entries.count >= 150)
        for vocabulary in DeclineVocabulary.allCases {
            #expect(Self.taxonomy.entries.contains { $0.vocabulary == vocabulary }, "no \(vocabulary.rawValue) codes")
        }
    }

    @Test("each code has the expected category and new-method flag", arguments: declineExpectations)
    func classification(_ expectation: DeclineExpectation) throws {
        let vocabulary = Self.vocabulary(expectation.scheme)
        let entry = try #require(Self.taxonomy.entry(expectation.code, in: vocabulary), "\(expectation.scheme) \(expectation.code)")
        #expect(entry.category.rawValue == expectation.category)
        #expect(entry.newMethodNeeded == expectation.newMethod)
        #expect(Self.taxonomy.sources[entry.sourceKey] != nil)
        let reason = try #require(Self.taxonomy.reasons[entry.reasonKey])
        #expect(CustomerWording.forbiddenWords(in: reason) == [], "\(entry.code): \(reason)")
        if entry.category == .doNotRetry {
            #expect(["generic", "contact_us"].contains(entry.reasonKey),
                    "\(entry.code) is do_not_retry: its wording must not hint at the reason")
        }
    }

    /// A first failure with this code on a fitting method, no history, one backup on file.
    static func firstFailure(_ expectation: DeclineExpectation) -> (RetryPlanningInput, PaymentMethodRef) {
        let now = ShippedPolicy.date("2026-12-02T10:00:00Z")
        let method: PaymentMethodRef
        var code = expectation.code, advice: String?
        var scheme: DeclineScheme? = DeclineScheme(rawValue: expectation.scheme)
        switch expectation.scheme {
        case "nacha": method = PaymentMethodRef(id: "pm_bank", type: .achDebit)
        case "sepa": method = PaymentMethodRef(id: "pm_sepa", type: .sepaDebit)
        case "mastercard_advice":
            method = PaymentMethodRef(id: "pm_card", type: .card, network: "mastercard", expMonth: 4, expYear: 2028)
            code = "do_not_honor"; advice = expectation.code; scheme = .stripe
        default: method = PaymentMethodRef(id: "pm_card", type: .card, network: "visa", expMonth: 4, expYear: 2028)
        }
        let backup = PaymentMethodRef(id: "pm_backup", type: .card, network: "amex")
        return (RetryPlanningInput(invoiceID: "in_1", method: method, code: code, scheme: scheme, adviceCode: advice,
                                   attemptedAt: now, backups: [backup], now: now), backup)
    }

    @Test("the planner honours each code's category on a first failure", arguments: declineExpectations)
    func plannedByCategory(_ expectation: DeclineExpectation) {
        let (input, backup) = Self.firstFailure(expectation)
        let plan = Self.planner.plan(input)
        #expect(plan.classification.isKnown)
        #expect(plan.category.rawValue == expectation.category || expectation.scheme == "mastercard_advice")
        switch plan.action {
        case .retry(let at, let method, let isBackup):
            #expect(at >= input.now)
            if plan.category.forbidsSameMethod {
                #expect(isBackup && method == backup, "\(expectation.code): \(plan.category.rawValue) must not retry the same method")
            }
            if !isBackup { #expect(method == input.method) }
        case .askCustomer, .stopAndEscalate:
            break
        case .none(let reason):
            Issue.record("\(expectation.code): an open invoice got no plan (\(reason))")
        }
        #expect(plan.rules.first?.hasPrefix("taxonomy.") == true)
    }

    @Test("a code the taxonomy does not list is unknown and planned conservatively")
    func unknownCode() {
        let now = ShippedPolicy.date("2026-12-02T10:00:00Z")
        let method = PaymentMethodRef(id: "pm", type: .card, network: "visa")
        let plan = Self.planner.plan(RetryPlanningInput(invoiceID: "in", method: method, code: "zz_new_code_2027", attemptedAt: now, now: now))
        #expect(!plan.classification.isKnown)
        #expect(plan.category == .unknown)
        #expect(plan.rules.first == "taxonomy.unknown")
        // One cautious retry after two days, then the customer is asked.
        #expect(plan.retry?.at == now.addingTimeInterval(2 * 86_400))
        #expect(plan.notice == nil)
    }

    @Test("without a scheme the method type decides where a code is looked up")
    func schemeGuess() {
        #expect(Self.taxonomy.classify(code: "R01", scheme: nil, methodType: .achDebit).entry?.vocabulary == .nacha)
        #expect(Self.taxonomy.classify(code: "AM04", scheme: nil, methodType: .sepaDebit).entry?.vocabulary == .sepa)
        #expect(Self.taxonomy.classify(code: "51", scheme: nil, methodType: .card).entry?.vocabulary == .iso8583)
        #expect(Self.taxonomy.classify(code: "Insufficient_Funds", scheme: nil, methodType: .card).entry?.code == "insufficient_funds")
        #expect(Self.taxonomy.classify(code: "r01", scheme: .nacha, methodType: .achDebit).isKnown)
    }

    @Test("a stricter Mastercard advice code overrides a soft decline code")
    func adviceOverrides() {
        let soft = Self.taxonomy.classify(code: "insufficient_funds", scheme: .stripe, methodType: .card, adviceCode: "03")
        #expect(soft.category == .doNotRetry)
        #expect(soft.reasonKey == soft.advice?.reasonKey)
        let wait = Self.taxonomy.classify(code: "do_not_honor", scheme: .stripe, methodType: .card, adviceCode: "24")
        #expect(wait.category == .doNotHonor)
    }
}

extension DeclineExpectation: CustomTestStringConvertible {
    var testDescription: String { "\(scheme) \(code)" }
}
