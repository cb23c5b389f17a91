import Foundation

/// Recoup's own retry behaviour per decline category (`Config/payments/retry-policy.yaml`),
/// applied within the networks' and schemes' limits, never beyond them.
public struct RetryPolicy: Sendable {
    /// When a backup method on file is tried.
    public enum BackupTiming: String, Sendable, CaseIterable {
        /// At once, before the customer is asked (POLICY.md: for update_required and do_not_retry).
        case immediately
        /// Once retries on the failing method are used up.
        case whenExhausted = "when_exhausted"
        case never
    }

    /// The schedule and customer handling of one category.
    public struct CategoryRule: Sendable, Hashable {
        /// Delay of each retry after the failed attempt: the first entry after the first
        /// failure of this category on the invoice, the second after the second, and so on.
        public var retryAfter: [TimeInterval]
        /// Move a retry forward to a payday (`RetryPolicy.paydays`) when one is near.
        public var alignToPaydays: Bool
        public var backup: BackupTiming
        /// The customer is told from this failure of the category on (1 = the first); nil: only
        /// once Recoup stops retrying. Until then a retry likely to succeed is left to work.
        public var notifyFromFailure: Int?

        public init(retryAfter: [TimeInterval], alignToPaydays: Bool = false, backup: BackupTiming, notifyFromFailure: Int?) {
            self.retryAfter = retryAfter
            self.alignToPaydays = alignToPaydays
            self.backup = backup
            self.notifyFromFailure = notifyFromFailure
        }
    }

    public var categories: [DeclineCategory: CategoryRule]
    /// At most this many retries (on any method) per invoice.
    public var maxRetriesPerInvoice: Int
    /// No retry later than this long after the invoice's first failure.
    public var horizon: TimeInterval
    /// After trying a backup method, how long to wait for its result before asking the customer.
    public var backupGrace: TimeInterval
    /// A second payment-failure notice for the same invoice within this interval is suppressed.
    public var noticeMinInterval: TimeInterval
    /// Days of the month that count as paydays (1...28).
    public var paydays: [Int]
    /// A retry this close before a payday moves to the payday.
    public var paydayWindow: TimeInterval
    /// Recoup's own attempt caps (`maxAttempts` rules), stricter than the networks'.
    public var caps: [NetworkRule]
    /// Who gets escalations raised by payment failures (`escalation.<owner>`).
    public var escalationOwner: String

    public init(categories: [DeclineCategory: CategoryRule], maxRetriesPerInvoice: Int, horizon: TimeInterval,
                backupGrace: TimeInterval, noticeMinInterval: TimeInterval, paydays: [Int], paydayWindow: TimeInterval,
                caps: [NetworkRule], escalationOwner: String) {
        self.categories = categories
        self.maxRetriesPerInvoice = maxRetriesPerInvoice
        self.horizon = horizon
        self.backupGrace = backupGrace
        self.noticeMinInterval = noticeMinInterval
        self.paydays = paydays
        self.paydayWindow = paydayWindow
        self.caps = caps
        self.escalationOwner = escalationOwner
    }

    /// The rule for `category`; a policy without one never retries it and asks the customer.
    public func rule(for category: DeclineCategory) -> CategoryRule {
        categories[category] ?? CategoryRule(retryAfter: [], backup: .immediately, notifyFromFailure: 1)
    }

    /// The rule id of a category's schedule, as audit rows name it.
    public static func ruleID(_ category: DeclineCategory) -> String { "policy.retry.\(category.rawValue)" }
}

/// The network rules and Recoup's caps together, the way the planner consults them.
public struct PaymentRules: Sendable {
    public var taxonomy: DeclineTaxonomy
    public var networkRules: [NetworkRule]
    public var policy: RetryPolicy
    /// Citations of the network rules by key.
    public var sources: [String: String]

    public init(taxonomy: DeclineTaxonomy, networkRules: [NetworkRule], policy: RetryPolicy, sources: [String: String] = [:]) {
        self.taxonomy = taxonomy
        self.networkRules = networkRules
        self.policy = policy
        self.sources = sources
    }

    /// Network rules and caps governing `method` at `time`.
    public func rules(for method: PaymentMethodRef, at time: Date) -> [NetworkRule] {
        (networkRules + policy.caps).filter { $0.governs(method) && $0.isEffective(at: time) }
    }
}
