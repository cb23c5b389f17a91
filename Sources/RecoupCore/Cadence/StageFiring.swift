import Foundation

/// One journey stage that has fallen due for one invoice, with the facts read when it fired.
public struct DueStage: Sendable, Hashable {
    /// The timer's identity (its dedupe key).
    public var key: String
    public var invoiceID: String
    /// A journey stage, or `partial_payment` for the acknowledgement of a short payment.
    public var stage: String
    public var tone: Tone
    public var actions: StageActions
    public var rules: [String]
    public var standing: InvoiceStanding
    public var pause: PauseFacts
    /// Overtaken: a later stage of the same invoice is due as well (this one was delayed past
    /// it), or this part of the stage was already carried out.
    public var overtaken: Bool

    public init(key: String, invoiceID: String, stage: String, tone: Tone, actions: StageActions, rules: [String],
                standing: InvoiceStanding, pause: PauseFacts, overtaken: Bool = false) {
        self.key = key
        self.invoiceID = invoiceID
        self.stage = stage
        self.tone = tone
        self.actions = actions
        self.rules = rules
        self.standing = standing
        self.pause = pause
        self.overtaken = overtaken
    }
}

/// What to do with the due stages of one account that fire together (same stage, due now):
/// which stop, which wait, which hand-offs go, and the one touch that covers every invoice still
/// owed a message, or when it may go instead. Every entry names its rule: all of it is audited.
public struct FiringPlan: Sendable, Hashable {
    public struct Stop: Sendable, Hashable {
        public var key: String
        public var rule: String
        public var reason: String
    }

    public struct Wait: Sendable, Hashable {
        public var key: String
        public var rule: String
        /// The local date the stage's messages may go again.
        public var until: LocalDate
        public var reason: String
    }

    public struct HandOff: Sendable, Hashable {
        public var key: String
        public var task: String?
        public var escalation: String?
    }

    /// One stage's outreach covering several invoices.
    public struct Touch: Sendable, Hashable {
        /// The stages (by key) whose messages it carries.
        public var keys: [String]
        public var channels: [Channel]
        public var dropped: [Channel]
        public var droppedRules: [String]
    }

    public struct Deferral: Sendable, Hashable {
        public var keys: [String]
        public var until: Date
        public var rules: [String]
    }

    /// Not collectible, or paused until an event lifts it: the stage is closed.
    public var stopped: [Stop] = []
    /// Paused until a known date: the stage's messages fire again then.
    public var waiting: [Wait] = []
    /// Overtaken by a later due stage of the invoice, or already carried out: skipped.
    public var superseded: [String] = []
    public var handOffs: [HandOff] = []
    public var touch: Touch?
    /// Caps or quiet hours: the touch goes at this moment instead.
    public var deferred: Deferral?
    /// Stages whose messages no channel can carry (no consent for any).
    public var unsendable: [String] = []
    /// The consent rules that left them without a channel.
    public var unsendableRules: [String] = []
}

/// Decides what due journey stages do now. Pure: the store reads the facts in the transaction
/// that fires the timers, carries out the plan in the same transaction.
///
/// 1. Verify before send: a paid, voided, disputed, held or fully paid invoice gets nothing.
/// 2. Pauses: an indefinite one (reply, until it is routed) closes the stage; one with an end date
///    (promise, hand-off) holds the messages until then; a hand-off pause lets the stage's own
///    hand-offs through.
/// 3. A stage overtaken by a later due stage of the same invoice (or already carried out) is skipped.
/// 4. The rest: hand-offs go now; messages of all invoices form one touch, held to consent, caps
///    and quiet hours (deferred as a whole, never dropped).
public enum StageFiring {
    public static func plan(_ due: [DueStage], now: Date, today: LocalDate, sent: [SentMessage], consents: Consents,
                            timeZone: TimeZone, contact: ContactPolicy, pauses: PausePolicy) -> FiringPlan {
        var plan = FiringPlan()
        var messaging: [DueStage] = []
        for stage in due {
            if case .notCollectible(let reason) = stage.standing {
                plan.stopped.append(.init(key: stage.key, rule: "journey.verify_before_send", reason: "invoice \(reason)"))
                continue
            }
            if stage.overtaken {
                plan.superseded.append(stage.key)
                continue
            }
            var sendsMessages = !stage.actions.messages.isEmpty
            switch Pauses.verdict(stage.pause, today: today, policy: pauses) {
            case .proceed:
                break
            case .paused(let rule, nil, let reason):
                plan.stopped.append(.init(key: stage.key, rule: rule, reason: reason))
                continue
            case .paused(let rule, let until?, let reason):
                if sendsMessages { plan.waiting.append(.init(key: stage.key, rule: rule, until: until, reason: reason)) }
                sendsMessages = false
                if rule != "pause.hand_off" { continue }
            }
            if stage.actions.task != nil || stage.actions.escalation != nil {
                plan.handOffs.append(.init(key: stage.key, task: stage.actions.task, escalation: stage.actions.escalation))
            }
            if sendsMessages { messaging.append(stage) }
        }
        guard !messaging.isEmpty else { return plan }
        var requested: [Channel] = []
        for channel in messaging.flatMap(\.actions.messages) where !requested.contains(channel) { requested.append(channel) }
        let decision = ContactGuards.decide(channels: requested, at: now, sent: sent, consents: consents, timeZone: timeZone,
                                            policy: contact)
        let keys = messaging.map(\.key)
        if decision.channels.isEmpty {
            plan.unsendable = keys
            plan.unsendableRules = decision.dropped.map(\.rule)
        } else if decision.at > now {
            plan.deferred = .init(keys: keys, until: decision.at, rules: decision.deferredBy)
        } else {
            plan.touch = .init(keys: keys, channels: decision.channels, dropped: decision.dropped.map(\.channel),
                               droppedRules: decision.dropped.map(\.rule))
        }
        return plan
    }
}

extension LocalDate {
    /// The moment this local date reaches `hour`:00 in `timeZone`.
    public func at(hour: Int, in timeZone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(year: year, month: month, day: day, hour: hour)
        return calendar.date(from: components) ?? Date(timeIntervalSince1970: Double(daysSinceEpoch) * 86_400 + Double(hour) * 3_600)
    }
}
