/// A stage as planned for one invoice: when, in which tone, doing what, and why.
public struct PlannedStage: Sendable, Hashable {
    public var stage: JourneyStage
    /// The account's local date it is due on.
    public var date: LocalDate
    public var tone: Tone
    public var actions: StageActions
    public var rules: [String]
    public var notes: [String]
}

/// A stage the plan leaves out, with the rule and the reason (audited: a decision not to act is
/// a decision too).
public struct SkippedStage: Sendable, Hashable {
    public var stage: JourneyStage
    public var rule: String
    public var reason: String
}

public struct JourneyPlan: Sendable, Hashable {
    public var stages: [PlannedStage]
    public var skipped: [SkippedStage]
}

/// Plans an open invoice's journey from the journey table and the account's segment. Pure.
///
/// 1. A stage is for the segment if its audience is (pre-due: risky cohorts, payment-method risk or
///    opt-in; due date: a known issue; the rest: everyone) and the tier has actions for it.
/// 2. An invoice first planned late gets only its current stage (the latest one due by today),
///    planned for today; the missed ones are skipped, never sent in a burst.
/// 3. Strategic accounts (when the policy says so): the account team is escalated to at the first
///    customer-facing stage; customer messages before that plus N business days are held, and
///    only the last of them is sent then, unless a later stage falls on that day anyway.
public enum JourneyPlanner {
    /// The rule id of the strategic account-team escalation.
    public static let accountTeamFirstRule = "journey.strategic.account_team_first"

    public static func plan(dueDate: LocalDate, segment: Segment, today: LocalDate, policy: JourneyPolicy) -> JourneyPlan {
        var planned: [PlannedStage] = []
        var skipped: [SkippedStage] = []
        for rule in policy.stages {
            let wanted: Bool = switch rule.audience {
            case .risky: segment.wantsPreDue
            case .knownIssue: segment.hasKnownIssue
            case .all: true
            }
            guard wanted else {
                skipped.append(SkippedStage(stage: rule.stage, rule: rule.ruleID,
                                            reason: "not for \(segment.cohort.rawValue) accounts without a payment-method risk or opt-in"))
                continue
            }
            let actions = rule.actions(for: segment.tier)
            guard !actions.isEmpty else {
                skipped.append(SkippedStage(stage: rule.stage, rule: rule.ruleID, reason: "nothing to do for \(segment.tier.rawValue)"))
                continue
            }
            planned.append(PlannedStage(
                stage: rule.stage, date: LocalDate(daysSinceEpoch: dueDate.daysSinceEpoch + rule.offsetDays), tone: rule.tone,
                actions: actions, rules: [rule.ruleID], notes: []))
        }

        // Seen late: only the current stage.
        if let current = planned.lastIndex(where: { $0.date <= today }) {
            for missed in planned[..<current] {
                skipped.append(SkippedStage(stage: missed.stage, rule: "journey.seen_late",
                                            reason: "missed before the invoice was seen; only the current stage is sent"))
            }
            planned.removeFirst(current)
            if planned[0].date < today {
                planned[0].notes.append("seen late: sent today instead of \(planned[0].date)")
                planned[0].rules.append("journey.seen_late")
                planned[0].date = today
            }
        }

        if segment.tier == .strategic, policy.accountTeamFirst,
           let first = planned.firstIndex(where: { !$0.actions.messages.isEmpty }) {
            planned[first].actions.escalation = "account_team"
            planned[first].rules.append(accountTeamFirstRule)
            planned[first].notes.append("the account team hears first")
            let holdUntil = addBusinessDays(policy.accountTeamBusinessDays, to: planned[first].date)
            let held = planned.indices.filter { planned[$0].date < holdUntil && !planned[$0].actions.messages.isEmpty }
            let laterOnHoldDay = planned.contains { $0.date == holdUntil && !$0.actions.messages.isEmpty }
            for (position, index) in held.enumerated() {
                let isLast = position == held.count - 1
                if isLast && !laterOnHoldDay {
                    planned[index].notes.append("customer messages wait until \(holdUntil) (account team first)")
                    planned[index].rules.append("journey.strategic.hold")
                    if planned[index].actions.escalation == nil && planned[index].actions.task == nil {
                        planned[index].date = holdUntil
                    } else {
                        // The hand-off stays on its day; the messages follow as their own stage.
                        var messages = planned[index]
                        messages.actions = StageActions(messages: planned[index].actions.messages)
                        messages.date = holdUntil
                        planned[index].actions.messages = []
                        planned.insert(messages, at: index + 1)
                    }
                } else {
                    planned[index].actions.messages = []
                    planned[index].notes.append("customer messages dropped: the account team has the invoice")
                    planned[index].rules.append("journey.strategic.hold")
                }
            }
            planned.removeAll { $0.actions.isEmpty }
        }
        return JourneyPlan(stages: planned.sorted { ($0.date, $0.stage) < ($1.date, $1.stage) }, skipped: skipped)
    }

    /// `days` business days (Monday to Friday) after `date`.
    public static func addBusinessDays(_ days: Int, to date: LocalDate) -> LocalDate {
        var day = date.daysSinceEpoch
        var left = days
        while left > 0 {
            day += 1
            if !LocalDate(daysSinceEpoch: day).isWeekend { left -= 1 }
        }
        return LocalDate(daysSinceEpoch: day)
    }
}

extension LocalDate {
    /// 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday).
    public var weekday: Int { ((daysSinceEpoch % 7) + 7 + 4) % 7 }
    public var isWeekend: Bool { weekday == 0 || weekday == 6 }
}
