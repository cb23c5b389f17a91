import Foundation

/// How an account pays, from its own history (POLICY.md, "Segments").
public enum BehaviourCohort: String, Sendable, CaseIterable, Hashable {
    /// No late payment in the recent invoices.
    case onTime = "on_time"
    /// Usually pays, a few days late.
    case reliablyLate = "reliably_late"
    /// Late now and then, without a pattern.
    case sporadic
    /// Often very late, or written off.
    case chronic
    /// Too little history to say; treated like `on_time` for pre-due touches unless a risk flag is set.
    case unknown
}

/// Context that changes how an account is approached (POLICY.md, "Risk flags").
public enum RiskFlag: String, Sendable, CaseIterable, Hashable, Comparable {
    case cardExpiringBeforeDue = "card_expiring_before_due"
    case recentPaymentFailure = "recent_payment_failure"
    case openDispute = "open_dispute"
    case highPrioritySupportTicket = "high_priority_support_ticket"
    case churnRisk = "churn_risk"

    /// A payment-method problem: the flags that make pre-due and due-date touches worth sending.
    public var isPaymentMethodRisk: Bool { self == .cardExpiringBeforeDue || self == .recentPaymentFailure }

    public static func < (lhs: RiskFlag, rhs: RiskFlag) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An account's segment: value tier, behaviour cohort and risk flags, plus whether it asked for
/// reminders before the due date.
public struct Segment: Sendable, Hashable, CustomStringConvertible {
    public var tier: ValueTier
    public var cohort: BehaviourCohort
    public var flags: Set<RiskFlag>
    public var optedInToPreDue: Bool

    public init(tier: ValueTier, cohort: BehaviourCohort, flags: Set<RiskFlag> = [], optedInToPreDue: Bool = false) {
        self.tier = tier
        self.cohort = cohort
        self.flags = flags
        self.optedInToPreDue = optedInToPreDue
    }

    /// Pre-due reminders help late payers and accounts with a payment-method problem or that asked
    /// for them; on-time (and unknown) payers read them as distrust.
    public var wantsPreDue: Bool {
        optedInToPreDue || flags.contains(where: \.isPaymentMethodRisk)
            || [.reliablyLate, .sporadic, .chronic].contains(cohort)
    }

    /// A known issue (a payment-method problem) makes the due-date touch worth sending.
    public var hasKnownIssue: Bool { flags.contains(where: \.isPaymentMethodRisk) }

    public var description: String {
        "\(tier.rawValue)/\(cohort.rawValue)" + (flags.isEmpty ? "" : "+" + flags.sorted().map(\.rawValue).joined(separator: ","))
    }
}

/// The thresholds segmentation uses (`Config/cadence/segments.yaml`).
public struct SegmentationPolicy: Sendable, Hashable {
    /// Value tiers from ARR, in major units of the account's currency.
    public var strategicFrom: Int64
    public var midMarketFrom: Int64
    /// The most recent closed invoices the cohort looks at.
    public var recentInvoices: Int
    /// Late by at most this many days counts as "reliably late" (more is sporadic or chronic).
    public var reliablyLateMaxDays: Int
    /// An invoice paid this many days late or more (or still unpaid that long) counts toward chronic.
    public var chronicLateDays: Int
    /// This many such invoices within `chronicWindowDays` make an account chronic.
    public var chronicCount: Int
    public var chronicWindowDays: Int
    /// A payment failure this recent is a risk flag.
    public var recentFailureDays: Int
    /// Accounts with this tag asked for pre-due reminders.
    public var preDueOptInTag: String

    public init(strategicFrom: Int64 = ValueTier.strategicFrom, midMarketFrom: Int64 = ValueTier.midMarketFrom,
                recentInvoices: Int = 6, reliablyLateMaxDays: Int = 10, chronicLateDays: Int = 30, chronicCount: Int = 2,
                chronicWindowDays: Int = 365, recentFailureDays: Int = 60, preDueOptInTag: String = "pre_due_reminders") {
        self.strategicFrom = strategicFrom
        self.midMarketFrom = midMarketFrom
        self.recentInvoices = recentInvoices
        self.reliablyLateMaxDays = reliablyLateMaxDays
        self.chronicLateDays = chronicLateDays
        self.chronicCount = chronicCount
        self.chronicWindowDays = chronicWindowDays
        self.recentFailureDays = recentFailureDays
        self.preDueOptInTag = preDueOptInTag
    }
}

/// One earlier invoice of the account, as the cohort rules read it.
public struct InvoiceHistoryItem: Sendable, Hashable {
    public var dueDate: LocalDate
    /// The day it was paid in full (nil: not paid).
    public var paidOn: LocalDate?
    public var writtenOff: Bool

    public init(dueDate: LocalDate, paidOn: LocalDate?, writtenOff: Bool = false) {
        self.dueDate = dueDate
        self.paidOn = paidOn
        self.writtenOff = writtenOff
    }
}

/// The account facts segmentation needs, gathered by the store.
public struct SegmentationInput: Sendable {
    public var arrMinor: Int64?
    public var currency: Currency?
    public var tierOverride: ValueTier?
    public var tags: [String]
    /// Earlier invoices (not the one being planned), any order.
    public var history: [InvoiceHistoryItem]
    public var lastPaymentFailure: LocalDate?
    /// The expiry (year, month) of the card on file, when known.
    public var cardExpiry: (year: Int, month: Int)?
    public var hasOpenDispute: Bool
    public var hasOpenHighPriorityTicket: Bool
    public var hasChurnRiskSignal: Bool

    public init(arrMinor: Int64? = nil, currency: Currency? = nil, tierOverride: ValueTier? = nil, tags: [String] = [],
                history: [InvoiceHistoryItem] = [], lastPaymentFailure: LocalDate? = nil, cardExpiry: (year: Int, month: Int)? = nil,
                hasOpenDispute: Bool = false, hasOpenHighPriorityTicket: Bool = false, hasChurnRiskSignal: Bool = false) {
        self.arrMinor = arrMinor
        self.currency = currency
        self.tierOverride = tierOverride
        self.tags = tags
        self.history = history
        self.lastPaymentFailure = lastPaymentFailure
        self.cardExpiry = cardExpiry
        self.hasOpenDispute = hasOpenDispute
        self.hasOpenHighPriorityTicket = hasOpenHighPriorityTicket
        self.hasChurnRiskSignal = hasChurnRiskSignal
    }
}

/// Puts an account in its segment, deterministically, as of `today` (the account's local date)
/// for an invoice due on `dueDate`.
public enum Segmentation {
    public static func segment(_ input: SegmentationInput, policy: SegmentationPolicy, today: LocalDate, dueDate: LocalDate) -> Segment {
        let tier = ValueTier.of(arrMinor: input.arrMinor, currency: input.currency, override: input.tierOverride,
                                strategicFrom: policy.strategicFrom, midMarketFrom: policy.midMarketFrom)
        var flags: Set<RiskFlag> = []
        if let expiry = input.cardExpiry, cardExpires(expiry, before: dueDate) { flags.insert(.cardExpiringBeforeDue) }
        if let failure = input.lastPaymentFailure, today.daysSinceEpoch - failure.daysSinceEpoch <= policy.recentFailureDays {
            flags.insert(.recentPaymentFailure)
        }
        if input.hasOpenDispute { flags.insert(.openDispute) }
        if input.hasOpenHighPriorityTicket { flags.insert(.highPrioritySupportTicket) }
        if input.hasChurnRiskSignal { flags.insert(.churnRisk) }
        return Segment(tier: tier, cohort: cohort(input.history, policy: policy, today: today), flags: flags,
                       optedInToPreDue: input.tags.contains(policy.preDueOptInTag))
    }

    /// A card is good through the last day of its expiry month.
    static func cardExpires(_ expiry: (year: Int, month: Int), before dueDate: LocalDate) -> Bool {
        let year = expiry.year < 100 ? 2000 + expiry.year : expiry.year
        return (year, expiry.month) < (dueDate.year, dueDate.month)
    }

    /// The cohort rules, in order: a write-off or `chronicCount` invoices very late within the
    /// window make `chronic`; no closed invoice is `unknown`; no late one among the recent ones is
    /// `on_time`; at least half late and none beyond `reliablyLateMaxDays` is `reliably_late`;
    /// anything else is `sporadic`.
    public static func cohort(_ history: [InvoiceHistoryItem], policy: SegmentationPolicy, today: LocalDate) -> BehaviourCohort {
        let todayDay = today.daysSinceEpoch
        if history.contains(where: \.writtenOff) { return .chronic }
        let veryLate = history.filter { item in
            guard todayDay - item.dueDate.daysSinceEpoch <= policy.chronicWindowDays else { return false }
            let settled = item.paidOn?.daysSinceEpoch ?? todayDay
            return settled - item.dueDate.daysSinceEpoch >= policy.chronicLateDays
        }
        if veryLate.count >= policy.chronicCount { return .chronic }
        let recent = history.filter { $0.paidOn != nil }.sorted { $0.dueDate > $1.dueDate }.prefix(policy.recentInvoices)
        guard !recent.isEmpty else { return .unknown }
        let lateness = recent.map { $0.paidOn!.daysSinceEpoch - $0.dueDate.daysSinceEpoch }
        let late = lateness.filter { $0 > 0 }
        if late.isEmpty { return .onTime }
        if late.count * 2 >= lateness.count, late.allSatisfy({ $0 <= policy.reliablyLateMaxDays }) { return .reliablyLate }
        return .sporadic
    }
}
