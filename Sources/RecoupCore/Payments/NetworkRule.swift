import Foundation

/// A limit a card network or debit scheme puts on retrying (or Recoup's own, stricter cap),
/// kept as dated data (`Config/payments/network-rules.yaml`, `retry-policy.yaml`): a rule
/// governs the attempts made from `effectiveFrom` until (not including) `effectiveUntil`.
public struct NetworkRule: Sendable, Hashable {
    /// Which methods a rule governs.
    public enum Scope: Sendable, Hashable, CustomStringConvertible {
        /// Cards of one network (`visa`, `mastercard`, ...), compared case-insensitively.
        case network(String)
        /// Debits of one scheme: `nacha` governs ACH debits, `sepa` SEPA debits.
        case scheme(DeclineScheme)

        public var description: String {
            switch self {
            case .network(let network): "network \(network)"
            case .scheme(let scheme): "scheme \(scheme.rawValue)"
            }
        }
    }

    /// What the rule demands. Codes are in the network's or scheme's vocabulary (ISO 8583
    /// response codes for cards, NACHA return codes, SEPA reason codes); advice codes are
    /// Mastercard Merchant Advice Codes.
    public enum Limit: Sendable, Hashable {
        /// After a decline with one of these codes the method is never retried.
        case neverRetry(codes: Set<String>, advice: Set<String>)
        /// After such a decline the method is retried only once its details changed.
        case requiresMethodChange(codes: Set<String>, advice: Set<String>)
        /// At most `count` attempts on one method in any rolling window of `within` seconds.
        case maxAttempts(count: Int, within: TimeInterval)
        /// After a decline with one of these codes, wait at least this long before the next attempt.
        case wait(codes: [String: TimeInterval], advice: [String: TimeInterval])
        /// After a return with one of these codes, at most `count` re-presentments of the same
        /// payment (invoice and method), all within `within` seconds of the first such return.
        case maxRepresentments(codes: Set<String>, count: Int, within: TimeInterval)
        /// Such a decline stops retries on the invoice and goes to a person.
        case stopAndEscalate(codes: Set<String>)
        /// Such a decline pauses dunning on the invoice (like a dispute) and goes to a person.
        case pauseAndEscalate(codes: Set<String>)
    }

    public var id: String
    public var scope: Scope
    public var effectiveFrom: LocalDate
    public var effectiveUntil: LocalDate?
    /// Key of the citation in the file's `sources`.
    public var sourceKey: String
    public var limit: Limit
    /// The line of the file it was read from.
    public var line: Int?

    public init(id: String, scope: Scope, effectiveFrom: LocalDate, effectiveUntil: LocalDate? = nil,
                sourceKey: String, limit: Limit, line: Int? = nil) {
        self.id = id
        self.scope = scope
        self.effectiveFrom = effectiveFrom
        self.effectiveUntil = effectiveUntil
        self.sourceKey = sourceKey
        self.limit = limit
        self.line = line
    }

    /// The rule governs an attempt made at `time` (dates are compared in UTC).
    public func isEffective(at time: Date) -> Bool {
        let day = LocalDate.utc(of: time)
        guard effectiveFrom <= day else { return false }
        if let until = effectiveUntil, day >= until { return false }
        return true
    }

    /// The rule governs attempts on `method`.
    public func governs(_ method: PaymentMethodRef) -> Bool {
        switch scope {
        case .network(let network):
            method.type == .card && method.network?.lowercased() == network.lowercased()
        case .scheme(.nacha):
            method.type == .achDebit
        case .scheme(.sepa):
            method.type == .sepaDebit
        case .scheme:
            false
        }
    }

    /// True when `classification` is one of the rule's trigger codes or advice codes (attempt
    /// caps have none: they govern every attempt).
    public func isTriggered(by classification: DeclineClassification) -> Bool {
        let code = classification.networkCode
        let advice = classification.adviceCode
        switch limit {
        case .neverRetry(let codes, let adviceCodes), .requiresMethodChange(let codes, let adviceCodes):
            return (code.map(codes.contains) ?? false) || (advice.map(adviceCodes.contains) ?? false)
        case .wait(let codes, let adviceCodes):
            return (code.map { codes[$0] != nil } ?? false) || (advice.map { adviceCodes[$0] != nil } ?? false)
        case .maxRepresentments(let codes, _, _), .stopAndEscalate(let codes), .pauseAndEscalate(let codes):
            return code.map(codes.contains) ?? false
        case .maxAttempts:
            return false
        }
    }

    /// For a `wait` rule: how long `classification` asks to wait (the longest of code and advice).
    func waitSeconds(after classification: DeclineClassification) -> TimeInterval? {
        guard case .wait(let codes, let adviceCodes) = limit else { return nil }
        let byCode = classification.networkCode.flatMap { codes[$0] }
        let byAdvice = classification.adviceCode.flatMap { adviceCodes[$0] }
        switch (byCode, byAdvice) {
        case (nil, nil): return nil
        case (let value?, nil), (nil, let value?): return value
        case (let a?, let b?): return max(a, b)
        }
    }
}

/// A payment method as the planner sees it: the one a failure names, or a backup on file.
public typealias PaymentMethodRef = PaymentFailed.Method

extension PaymentFailed.Method {
    /// The method's id and the details that change when a customer updates it (the expiry):
    /// a decline that asks for new details blocks this fingerprint, not the method forever.
    public var fingerprint: String { "\(id)|\(expMonth.map(String.init) ?? "-")/\(expYear.map(String.init) ?? "-")" }

    /// A backup method from a failure, when it names an id and a known type (otherwise Recoup
    /// cannot ask the platform to charge it).
    public init?(_ backup: PaymentFailed.BackupMethod) {
        guard let id = backup.id, !id.isEmpty, let type = backup.type.flatMap(PaymentMethodType.init(rawValue:)) else { return nil }
        self.init(id: id, type: type, network: backup.network)
    }
}

extension LocalDate {
    /// The calendar date of an instant in `timeZone` (an account's "today").
    public init(_ time: Date, in timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: time)
        self = LocalDate(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1) ?? LocalDate.utc(of: time)
    }

    /// The UTC calendar date of an instant.
    public static func utc(of time: Date) -> LocalDate {
        let days = Int((time.timeIntervalSince1970 / 86_400).rounded(.down))
        return LocalDate(daysSinceEpoch: days)
    }

    /// The date `days` after 1970-01-01 (proleptic Gregorian).
    public init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.init(year: year, month: month, day: day)!
    }
}
