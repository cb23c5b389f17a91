import Foundation

/// The planner's decision for one payment failure: a value the store records (timers, outbox
/// rows, audit) and the worker carries out.
public struct RetryPlan: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        /// Ask the platform to charge `method` again at `at` (`isBackup`: another method on file).
        case retry(at: Date, method: PaymentMethodRef, isBackup: Bool)
        /// Stop retrying; ask the customer to update the method.
        case askCustomer
        /// Stop retrying and hand the invoice to a person; with `pauseInvoice` dunning on the
        /// invoice pauses too (a refusal or refund claim is treated like a dispute).
        case stopAndEscalate(pauseInvoice: Bool)
        /// Nothing to do (the invoice is paid, voided, disputed or on hold).
        case none(reason: String)
    }

    /// When the customer hears about the failure.
    public enum Notice: Sendable, Hashable {
        /// Now, in the same transaction.
        case now
        /// At `at`, if the invoice is still unpaid then (a backup method is given time first).
        case at(Date)
    }

    public var action: Action
    public var notice: Notice?
    public var classification: DeclineClassification
    /// The ids of the rules that decided, in the order they were applied: the taxonomy entry,
    /// the policy schedule, network and scheme rules, caps.
    public var rules: [String]
    /// One line per step, for `recoupctl decline explain` and the audit detail. No personal data.
    public var notes: [String]

    public init(action: Action, notice: Notice?, classification: DeclineClassification, rules: [String], notes: [String]) {
        self.action = action
        self.notice = notice
        self.classification = classification
        self.rules = rules
        self.notes = notes
    }

    public var category: DeclineCategory { classification.category }

    /// The retry the plan asks for, if any.
    public var retry: (at: Date, method: PaymentMethodRef, isBackup: Bool)? {
        if case .retry(let at, let method, let isBackup) = action { return (at, method, isBackup) }
        return nil
    }

    /// The action's name in audit rows and logs.
    public var actionLabel: String {
        switch action {
        case .retry(_, _, let isBackup): isBackup ? "try_backup" : "retry"
        case .askCustomer: "ask_customer"
        case .stopAndEscalate(let pause): pause ? "pause_and_escalate" : "stop_and_escalate"
        case .none: "none"
        }
    }
}
