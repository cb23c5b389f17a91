import Foundation

/// What a decline means for collections (POLICY.md, "Payment failures"): the category decides
/// whether a retry can fix it, and so the retry schedule and what the customer is told.
public enum DeclineCategory: String, Sendable, CaseIterable, Comparable {
    /// Not enough money right now: retry days apart, aligned to paydays.
    case insufficientFunds = "insufficient_funds"
    /// Transient: issuer unavailable, processing error. Retry within hours.
    case tryAgainLater = "try_again_later"
    /// A generic soft decline: a few spaced retries.
    case doNotHonor = "do_not_honor"
    /// Expired or invalid details: the same details will fail again until they change.
    case updateRequired = "update_required"
    /// Lost, stolen, fraud, closed account, revoked authorization: never again on this method.
    case doNotRetry = "do_not_retry"
    /// A code the taxonomy does not list: planned conservatively and counted.
    case unknown

    /// How strongly the category forbids retrying the same method (higher is stricter).
    /// When a decline code and an advice code disagree, the stricter category wins.
    public var strictness: Int {
        switch self {
        case .tryAgainLater: 0
        case .insufficientFunds: 1
        case .doNotHonor: 2
        case .unknown: 3
        case .updateRequired: 4
        case .doNotRetry: 5
        }
    }

    /// Retrying the very same method and details cannot succeed.
    public var forbidsSameMethod: Bool { self == .updateRequired || self == .doNotRetry }

    public static func < (lhs: DeclineCategory, rhs: DeclineCategory) -> Bool { lhs.strictness < rhs.strictness }
}

/// The vocabularies a decline code can come from. Mastercard Merchant Advice Codes travel next
/// to a decline code (`network_advice_code`), so they are a vocabulary of their own.
public enum DeclineVocabulary: String, Sendable, CaseIterable, Hashable {
    case stripe, iso8583, nacha, sepa
    case mastercardAdvice = "mastercard_advice"

    /// The vocabulary of a `decline.scheme` sent by the billing platform.
    public init(_ scheme: DeclineScheme) {
        switch scheme {
        case .stripe: self = .stripe
        case .iso8583: self = .iso8583
        case .nacha: self = .nacha
        case .sepa: self = .sepa
        }
    }

    /// Codes are compared in this vocabulary's canonical spelling: Stripe's are lower case,
    /// the others upper case ("r01" is R01).
    public func canonical(_ code: String) -> String {
        let trimmed = code.trimmingCharacters(in: .whitespaces)
        return self == .stripe ? trimmed.lowercased() : trimmed.uppercased()
    }
}

/// One code of the taxonomy file, with what it means and where that comes from.
public struct DeclineEntry: Sendable, Hashable {
    public var code: String
    public var vocabulary: DeclineVocabulary
    public var category: DeclineCategory
    /// The customer must provide a new or updated method (or mandate) before this one can succeed.
    public var newMethodNeeded: Bool
    /// Key of the customer-safe reason (`DeclineTaxonomy.reasons`).
    public var reasonKey: String
    /// Key of the citation (`DeclineTaxonomy.sources`).
    public var sourceKey: String
    /// The code in the network's or scheme's own vocabulary this corresponds to (the ISO 8583
    /// response code behind a Stripe card code, the NACHA return behind a Stripe ACH code).
    /// Network rules are written in those vocabularies.
    public var networkCode: String?
    /// The line of the taxonomy file it was read from, for explanations.
    public var line: Int?

    public init(code: String, vocabulary: DeclineVocabulary, category: DeclineCategory, newMethodNeeded: Bool,
                reasonKey: String, sourceKey: String, networkCode: String? = nil, line: Int? = nil) {
        self.code = code
        self.vocabulary = vocabulary
        self.category = category
        self.newMethodNeeded = newMethodNeeded
        self.reasonKey = reasonKey
        self.sourceKey = sourceKey
        self.networkCode = networkCode
        self.line = line
    }
}

/// The decline-code taxonomy (`Config/payments/declines.yaml`): every known code with its
/// category, the customer-safe reasons, and the sources. Lookups never fail: a code it does not
/// know classifies as `unknown`.
public struct DeclineTaxonomy: Sendable {
    public private(set) var entries: [DeclineEntry]
    /// Customer-safe wording by key: the only decline wording a customer ever sees.
    public var reasons: [String: String]
    /// Citations by key.
    public var sources: [String: String]
    private var index: [DeclineVocabulary: [String: Int]] = [:]

    /// The reason key used for codes the taxonomy does not know.
    public static let fallbackReasonKey = "generic"

    public init(entries: [DeclineEntry], reasons: [String: String], sources: [String: String]) {
        self.entries = entries
        self.reasons = reasons
        self.sources = sources
        for (position, entry) in entries.enumerated() {
            index[entry.vocabulary, default: [:]][entry.vocabulary.canonical(entry.code)] = position
        }
    }

    /// The entry for `code` in `vocabulary`, if listed.
    public func entry(_ code: String, in vocabulary: DeclineVocabulary) -> DeclineEntry? {
        index[vocabulary]?[vocabulary.canonical(code)].map { entries[$0] }
    }

    /// The vocabularies to try, in order, when the platform did not say which one a code is in:
    /// the method type's own scheme first, then the card vocabularies.
    public static func guessOrder(for methodType: PaymentMethodType) -> [DeclineVocabulary] {
        switch methodType {
        case .card: [.stripe, .iso8583, .nacha, .sepa]
        case .achDebit: [.nacha, .stripe, .iso8583, .sepa]
        case .sepaDebit: [.sepa, .stripe, .iso8583, .nacha]
        }
    }

    /// Classifies a decline as the platform sent it. With a `scheme` only that vocabulary is
    /// searched; without one the method type's likely vocabularies are tried in turn. A
    /// Mastercard advice code makes the category stricter when it is stricter.
    public func classify(code: String, scheme: DeclineScheme?, methodType: PaymentMethodType,
                         adviceCode: String? = nil) -> DeclineClassification {
        let order = scheme.map { [DeclineVocabulary($0)] } ?? Self.guessOrder(for: methodType)
        var found: DeclineEntry?
        for vocabulary in order {
            if let entry = entry(code, in: vocabulary) {
                found = entry
                break
            }
        }
        let advice = adviceCode.flatMap { entry($0, in: .mastercardAdvice) }
        return DeclineClassification(code: code, entry: found, advice: advice,
                                     adviceCode: adviceCode.map { DeclineVocabulary.mastercardAdvice.canonical($0) },
                                     vocabulary: found?.vocabulary ?? scheme.map(DeclineVocabulary.init))
    }

    /// The customer-safe sentence for a classification (the generic one for unknown codes).
    public func customerReason(_ classification: DeclineClassification) -> String {
        reason(forKey: classification.reasonKey)
    }

    /// The customer-safe sentence for a reason key, the generic one when the key is not listed.
    public func reason(forKey key: String) -> String {
        reasons[key] ?? reasons[Self.fallbackReasonKey] ?? "Your bank declined the payment."
    }
}

/// A decline as Recoup understands it: the taxonomy entry (if the code is known), the advice
/// entry (if any), and the resulting category.
public struct DeclineClassification: Sendable, Hashable {
    /// The code as sent.
    public var code: String
    public var entry: DeclineEntry?
    public var advice: DeclineEntry?
    /// The advice code as sent (canonical spelling), even when the taxonomy does not list it.
    public var adviceCode: String?
    /// The vocabulary the code was found in (or the one the platform named).
    public var vocabulary: DeclineVocabulary?

    public init(code: String, entry: DeclineEntry?, advice: DeclineEntry? = nil, adviceCode: String? = nil,
                vocabulary: DeclineVocabulary? = nil) {
        self.code = code
        self.entry = entry
        self.advice = advice
        self.adviceCode = adviceCode
        self.vocabulary = vocabulary
    }

    /// The taxonomy lists the decline code.
    public var isKnown: Bool { entry != nil }

    /// The stricter of the code's category and the advice code's.
    public var category: DeclineCategory {
        let base = entry?.category ?? .unknown
        guard let advice, advice.category > base else { return base }
        return advice.category
    }

    public var newMethodNeeded: Bool { (entry?.newMethodNeeded ?? false) || (advice?.newMethodNeeded ?? false) }

    /// The customer-safe reason key: the advice's when it decided the category.
    public var reasonKey: String {
        if let advice, advice.category > (entry?.category ?? .unknown) { return advice.reasonKey }
        return entry?.reasonKey ?? DeclineTaxonomy.fallbackReasonKey
    }

    /// The code in the network's or scheme's vocabulary, which network rules are written in:
    /// ISO 8583, NACHA and SEPA codes are their own; a Stripe code maps through its entry.
    public var networkCode: String? {
        guard let entry else {
            guard let vocabulary, vocabulary != .stripe else { return nil }
            return vocabulary.canonical(code)
        }
        if let networkCode = entry.networkCode { return networkCode }
        return entry.vocabulary == .stripe ? nil : entry.vocabulary.canonical(entry.code)
    }
}
