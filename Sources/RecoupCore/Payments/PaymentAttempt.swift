import Foundation

/// One earlier attempt on a payment method, as the planner sees the history: a decline the
/// platform reported, or a retry Recoup asked for (sent, or scheduled for later).
///
/// Network limits count attempts per method across every invoice, so the history holds the
/// attempts of every invoice on the methods involved.
public struct PaymentAttempt: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// The platform reported this decline (codes as sent; the planner classifies them).
        case declined(code: String, scheme: DeclineScheme?, adviceCode: String?)
        /// Recoup asked the platform to retry and has not yet heard how it went.
        case retryRequested
        /// Recoup will ask the platform to retry at `at`.
        case retryScheduled
        /// A retry Recoup asked for whose result came back (as a later decline or payment): it
        /// counts against re-presentment and per-invoice budgets, but its attempt is already
        /// in the history as that decline.
        case retryAnswered
    }

    public var method: PaymentMethodRef
    public var invoiceID: String
    public var at: Date
    public var kind: Kind

    public init(method: PaymentMethodRef, invoiceID: String, at: Date, kind: Kind) {
        self.method = method
        self.invoiceID = invoiceID
        self.at = at
        self.kind = kind
    }

    /// A retry Recoup asked for or will ask for (each one is a re-presentment).
    public var isRetry: Bool {
        if case .declined = kind { return false }
        return true
    }

    /// An attempt of its own in the attempt counts (an answered retry is counted as its decline).
    public var countsAsAttempt: Bool { kind != .retryAnswered }
}

/// The failure being planned for, with everything the planner may consult.
public struct RetryPlanningInput: Sendable {
    public var invoiceID: String
    public var method: PaymentMethodRef
    public var code: String
    public var scheme: DeclineScheme?
    public var adviceCode: String?
    public var attemptedAt: Date
    /// Earlier attempts (not this failure) on this method, the backups, and this invoice.
    public var history: [PaymentAttempt]
    /// Other methods on file, in the platform's order of preference.
    public var backups: [PaymentMethodRef]
    /// Whether the invoice can still be collected at all.
    public var invoice: InvoiceStanding
    public var now: Date
    /// The account's time zone: paydays are calendar days there.
    public var timeZone: TimeZone

    public init(invoiceID: String, method: PaymentMethodRef, code: String, scheme: DeclineScheme? = nil, adviceCode: String? = nil,
                attemptedAt: Date, history: [PaymentAttempt] = [], backups: [PaymentMethodRef] = [],
                invoice: InvoiceStanding = .collectible, now: Date, timeZone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.invoiceID = invoiceID
        self.method = method
        self.code = code
        self.scheme = scheme
        self.adviceCode = adviceCode
        self.attemptedAt = attemptedAt
        self.history = history
        self.backups = backups
        self.invoice = invoice
        self.now = now
        self.timeZone = timeZone
    }
}

/// Whether an invoice may still be collected, as far as Recoup knows.
public enum InvoiceStanding: Sendable, Hashable {
    case collectible
    /// Paid, voided, disputed or on hold: nothing is retried. The reason is a short label.
    case notCollectible(reason: String)
}
