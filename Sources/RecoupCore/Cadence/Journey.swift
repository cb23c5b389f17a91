/// The stages of an invoice's journey (POLICY.md, "Journey"), in order.
public enum JourneyStage: String, Sendable, CaseIterable, Hashable, Comparable {
    case preDue7 = "pre_due_7", preDue1 = "pre_due_1", due
    case overdue1 = "overdue_1", overdue3 = "overdue_3", overdue7 = "overdue_7", overdue14 = "overdue_14", overdue30 = "overdue_30"

    public static func < (lhs: JourneyStage, rhs: JourneyStage) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The tone a message is written in, calibrated to the stage.
public enum Tone: String, Sendable, CaseIterable, Hashable {
    case courtesy, matterOfFact = "matter_of_fact", firm, escalation
}

/// A customer channel.
public enum Channel: String, Sendable, CaseIterable, Hashable {
    case email, sms, inApp = "in_app"
}

/// Who a stage is for.
public enum StageAudience: String, Sendable, CaseIterable, Hashable {
    /// Late-paying cohorts, payment-method risk, or accounts that opted in (pre-due stages).
    case risky
    /// Accounts with a known payment-method issue (the due-date stage).
    case knownIssue = "known_issue"
    case all
}

/// What one stage does for one tier: customer messages on channels, a task for a person, an
/// escalation to an owner — any of them.
public struct StageActions: Sendable, Hashable {
    public var messages: [Channel]
    /// A task kind (`phone_call`, `review`) for the account's collector.
    public var task: String?
    /// An escalation owner (`account_team`, `collector`, `collections_lead`, `service_impact`, `write_off_review`).
    public var escalation: String?

    public init(messages: [Channel] = [], task: String? = nil, escalation: String? = nil) {
        self.messages = messages
        self.task = task
        self.escalation = escalation
    }

    public var isEmpty: Bool { messages.isEmpty && task == nil && escalation == nil }
}

/// One row of the journey table (`Config/cadence/journeys.yaml`).
public struct StageRule: Sendable, Hashable {
    public var stage: JourneyStage
    /// Days from the due date (negative: before it).
    public var offsetDays: Int
    public var audience: StageAudience
    public var tone: Tone
    /// Per tier; a tier without an entry uses `defaultActions`.
    public var actions: [ValueTier: StageActions]
    public var defaultActions: StageActions?
    public var line: Int?

    public init(stage: JourneyStage, offsetDays: Int, audience: StageAudience, tone: Tone,
                actions: [ValueTier: StageActions] = [:], defaultActions: StageActions? = nil, line: Int? = nil) {
        self.stage = stage
        self.offsetDays = offsetDays
        self.audience = audience
        self.tone = tone
        self.actions = actions
        self.defaultActions = defaultActions
        self.line = line
    }

    public func actions(for tier: ValueTier) -> StageActions { actions[tier] ?? defaultActions ?? StageActions() }

    /// The rule id audit rows name.
    public var ruleID: String { "journey.\(stage.rawValue)" }
}

/// The journey table and the strategic-account rule.
public struct JourneyPolicy: Sendable, Hashable {
    public var stages: [StageRule]
    /// Strategic accounts: the account team is told before any automated customer message.
    public var accountTeamFirst: Bool
    /// ...and customer messages wait this many business days after that.
    public var accountTeamBusinessDays: Int
    /// The local hour a stage is due on its day (contact guards may move it later).
    public var sendHour: Int

    public init(stages: [StageRule], accountTeamFirst: Bool = true, accountTeamBusinessDays: Int = 2, sendHour: Int = 10) {
        self.stages = stages.sorted { $0.offsetDays < $1.offsetDays }
        self.accountTeamFirst = accountTeamFirst
        self.accountTeamBusinessDays = accountTeamBusinessDays
        self.sendHour = sendHour
    }
}
