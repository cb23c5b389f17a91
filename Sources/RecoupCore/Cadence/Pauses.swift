/// When automation on an invoice holds (POLICY.md, "Pauses"). Pure: the store gathers the facts,
/// the verdict says whether to touch the customer now or when to look again.
public struct PausePolicy: Sendable, Hashable {
    /// A promise pauses reminders until the promised date plus this many days.
    public var promiseGraceDays: Int
    /// An open collector task or account-team escalation holds automation this many business
    /// days (or until it closes).
    public var handOffBusinessDays: Int

    public init(promiseGraceDays: Int = 2, handOffBusinessDays: Int = 5) {
        self.promiseGraceDays = promiseGraceDays
        self.handOffBusinessDays = handOffBusinessDays
    }
}

/// What the store knows about an invoice that can pause it.
public struct PauseFacts: Sendable, Hashable {
    public var openDispute: Bool
    /// An invoice hold (a SEPA refusal or refund claim, ...).
    public var onHold: Bool
    /// Promised payment dates recorded for the invoice.
    public var promisedDates: [LocalDate]
    /// Local dates on which still-open tasks or account-team escalations for the invoice were opened.
    public var openHandOffsSince: [LocalDate]
    /// Customer replies not yet classified and routed.
    public var unroutedReplies: Int

    public init(openDispute: Bool = false, onHold: Bool = false, promisedDates: [LocalDate] = [],
                openHandOffsSince: [LocalDate] = [], unroutedReplies: Int = 0) {
        self.openDispute = openDispute
        self.onHold = onHold
        self.promisedDates = promisedDates
        self.openHandOffsSince = openHandOffsSince
        self.unroutedReplies = unroutedReplies
    }
}

public enum PauseVerdict: Sendable, Hashable {
    /// Nothing holds the invoice.
    case proceed
    /// Held by `rule`; `until` is the local date it lifts by itself (nil: when an event lifts it).
    case paused(rule: String, until: LocalDate?, reason: String)

    public var isPaused: Bool { if case .paused = self { true } else { false } }
}

public enum Pauses {
    /// The first rule that holds the invoice on `today`, in order of how long it holds: holds and
    /// disputes (until resolved), unrouted replies, promises (until date + grace), hand-offs.
    public static func verdict(_ facts: PauseFacts, today: LocalDate, policy: PausePolicy) -> PauseVerdict {
        if facts.onHold { return .paused(rule: "pause.hold", until: nil, reason: "the invoice is on hold") }
        if facts.openDispute {
            return .paused(rule: "pause.dispute", until: nil, reason: "a dispute is open: status updates only")
        }
        if facts.unroutedReplies > 0 {
            return .paused(rule: "pause.reply", until: nil, reason: "a customer reply waits to be classified and routed")
        }
        if let promised = facts.promisedDates.max() {
            let resume = LocalDate(daysSinceEpoch: promised.daysSinceEpoch + policy.promiseGraceDays)
            if today < resume {
                return .paused(rule: "pause.promise", until: resume,
                               reason: "the customer promised to pay by \(promised); reminders resume on \(resume)")
            }
        }
        if let opened = facts.openHandOffsSince.max() {
            let lifts = JourneyPlanner.addBusinessDays(policy.handOffBusinessDays, to: opened)
            if today < lifts {
                return .paused(rule: "pause.hand_off", until: lifts,
                               reason: "a person has the invoice (since \(opened)); automation holds until \(lifts) unless it closes")
            }
        }
        return .proceed
    }

    /// With a payment plan, reminders follow the installments: the due date the journey runs
    /// against is the first installment the payments so far do not cover.
    public static func effectiveDueDate(invoiceDue: LocalDate, installments: [(dueDate: LocalDate, amountMinor: Int64)],
                                        paidMinor: Int64) -> LocalDate {
        guard !installments.isEmpty else { return invoiceDue }
        var covered = paidMinor
        for installment in installments.sorted(by: { $0.dueDate < $1.dueDate }) {
            if covered >= installment.amountMinor {
                covered -= installment.amountMinor
            } else {
                return installment.dueDate
            }
        }
        return installments.map(\.dueDate).max() ?? invoiceDue
    }
}
