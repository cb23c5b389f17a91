import Foundation
@testable import RecoupConfig
import RecoupCore
import Testing

/// POLICY.md's journey table, row by row, for every segment, against the shipped
/// `Config/cadence/journeys.yaml`; the expectations are written out here from POLICY.md, not
/// read from the file.
@Suite("Journey table (shipped file)")
struct JourneyTableTests {
    static let (journey, segmentation) = {
        do { return try CadenceFiles.load(directory: ShippedPolicy.configDirectory) } catch { fatalError("\(error)") }
    }()

    /// POLICY.md's table: what each stage does for each tier, and its tone.
    static func expected(_ stage: JourneyStage, _ tier: ValueTier) -> (StageActions, Tone) {
        switch (stage, tier) {
        case (.preDue7, _), (.preDue1, _), (.due, _): return (StageActions(messages: [.email]), .courtesy)
        case (.overdue1, .midMarket): return (StageActions(messages: [.email, .inApp]), .courtesy)
        case (.overdue1, _): return (StageActions(messages: [.email]), .courtesy)
        case (.overdue3, _): return (StageActions(messages: [.email, .inApp]), .matterOfFact)
        case (.overdue7, .longTail): return (StageActions(messages: [.email]), .firm)
        case (.overdue7, _): return (StageActions(messages: [.email, .sms]), .firm)
        case (.overdue14, .longTail): return (StageActions(messages: [.email]), .escalation)
        case (.overdue14, .midMarket): return (StageActions(task: "phone_call"), .escalation)
        case (.overdue14, .strategic): return (StageActions(escalation: "account_team"), .escalation)
        case (.overdue30, .longTail): return (StageActions(escalation: "write_off_review"), .escalation)
        case (.overdue30, .midMarket): return (StageActions(escalation: "service_impact"), .escalation)
        case (.overdue30, .strategic): return (StageActions(escalation: "account_team"), .escalation)
        }
    }

    static let offsets: [JourneyStage: Int] = [
        .preDue7: -7, .preDue1: -1, .due: 0, .overdue1: 1, .overdue3: 3, .overdue7: 7, .overdue14: 14, .overdue30: 30,
    ]

    struct Case: Sendable, CustomTestStringConvertible {
        let tier: ValueTier
        let cohort: BehaviourCohort
        let flags: Set<RiskFlag>
        let optedIn: Bool
        var testDescription: String { "\(tier.rawValue) \(cohort.rawValue) \(flags.map(\.rawValue).sorted()) \(optedIn ? "opted-in" : "")" }
    }

    static let cases: [Case] = ValueTier.allCases.flatMap { tier in
        BehaviourCohort.allCases.flatMap { cohort in
            [Case(tier: tier, cohort: cohort, flags: [], optedIn: false),
             Case(tier: tier, cohort: cohort, flags: [.recentPaymentFailure], optedIn: false),
             Case(tier: tier, cohort: cohort, flags: [.churnRisk], optedIn: false),
             Case(tier: tier, cohort: cohort, flags: [], optedIn: true)]
        }
    }

    static let due = LocalDate("2026-12-16")!          // a Wednesday

    @Test("each stage's tone and actions per tier are POLICY.md's", arguments: JourneyStage.allCases)
    func rows(_ stage: JourneyStage) throws {
        let rule = try #require(Self.journey.stages.first { $0.stage == stage })
        #expect(rule.offsetDays == Self.offsets[stage])
        for tier in ValueTier.allCases {
            let (actions, tone) = Self.expected(stage, tier)
            #expect(rule.actions(for: tier) == actions, "\(stage.rawValue) for \(tier.rawValue)")
            #expect(rule.tone == tone)
        }
    }

    @Test("who gets which stage, for every tier, cohort, flag and opt-in", arguments: cases)
    func journeyPerSegment(_ example: Case) {
        let segment = Segment(tier: example.tier, cohort: example.cohort, flags: example.flags, optedInToPreDue: example.optedIn)
        let today = LocalDate(daysSinceEpoch: Self.due.daysSinceEpoch - 10)
        let plan = JourneyPlanner.plan(dueDate: Self.due, segment: segment, today: today, policy: Self.journey)

        let risky = [.reliablyLate, .sporadic, .chronic].contains(example.cohort) || example.flags.contains(.recentPaymentFailure) || example.optedIn
        let knownIssue = example.flags.contains(.recentPaymentFailure)
        var stages: [JourneyStage] = []
        if risky { stages += [.preDue7, .preDue1] }
        if knownIssue { stages.append(.due) }
        stages += [.overdue1, .overdue3, .overdue7, .overdue14, .overdue30]
        #expect(Set(plan.stages.map(\.stage)) == Set(stages), "\(example.testDescription)")
        #expect(!risky == plan.skipped.contains { $0.stage == .preDue7 }, "a skipped stage is reported with its reason")

        guard example.tier != .strategic else { return }
        for planned in plan.stages {
            let (actions, tone) = Self.expected(planned.stage, example.tier)
            #expect(planned.actions == actions, "\(planned.stage.rawValue)")
            #expect(planned.tone == tone)
            #expect(planned.date.daysSinceEpoch == Self.due.daysSinceEpoch + Self.offsets[planned.stage]!)
            #expect(planned.rules.first == "journey.\(planned.stage.rawValue)")
        }
    }

    @Test("strategic: the account team hears first, customer messages wait two business days")
    func strategicAccountTeamFirst() {
        let segment = Segment(tier: .strategic, cohort: .onTime)
        let plan = JourneyPlanner.plan(dueDate: Self.due, segment: segment, today: LocalDate("2026-12-01")!, policy: Self.journey)
        let first = plan.stages[0]
        #expect(first.stage == .overdue1)
        #expect(first.date == LocalDate("2026-12-17"))
        #expect(first.actions == StageActions(escalation: "account_team"), "no customer message on the first day")
        #expect(first.rules.contains("journey.strategic.account_team_first"))
        // Thursday the 17th + 2 business days = Monday the 21st; overdue_3 falls on Saturday the
        // 19th, inside the hold: it goes out on the 21st, and overdue_1's email is dropped.
        let messages = plan.stages.filter { !$0.actions.messages.isEmpty }
        #expect(messages.first?.stage == .overdue3)
        #expect(messages.first?.date == LocalDate("2026-12-21"))
        #expect(messages.allSatisfy { $0.date >= LocalDate("2026-12-21")! })
        #expect(plan.stages.contains { $0.stage == .overdue14 && $0.actions.escalation == "account_team" })
    }

    @Test("an invoice first seen 8 days overdue gets exactly one overdue_7 touch, today")
    func seenLate() {
        let segment = Segment(tier: .longTail, cohort: .sporadic)
        let today = LocalDate(daysSinceEpoch: Self.due.daysSinceEpoch + 8)
        let plan = JourneyPlanner.plan(dueDate: Self.due, segment: segment, today: today, policy: Self.journey)
        #expect(plan.stages.map(\.stage) == [.overdue7, .overdue14, .overdue30])
        #expect(plan.stages[0].date == today)
        #expect(plan.stages[0].rules.contains("journey.seen_late"))
        #expect(Set(plan.skipped.filter { $0.rule == "journey.seen_late" }.map(\.stage)) == [.preDue7, .preDue1, .overdue1, .overdue3])
    }

    @Test("journey file mistakes name the line and the rule", arguments: [
        ("  - {stage: overdue_3, offset_days: 3, audience: all, tone: shouty, default: {messages: [email]}}\n", "is not one of"),
        ("  - {stage: overdue_3, offset_days: 3, audience: all, tone: firm, default: {messages: [fax]}}\n", "rule journey.overdue_3"),
        ("  - {stage: overdue_3, offset_days: 3, audience: all, tone: firm, long_tail: {messages: [email]}}\n", "give `default` or an entry for every tier"),
        ("  - {stage: overdue_3, offset_days: 3, audience: all, tone: firm, default: {escalation: cfo}}\n", "rule journey.overdue_3"),
        ("  - {stage: overdue_3, offset_days: 3, audience: all, tone: firm, default: {}}\n", "give messages, a task or an escalation"),
    ])
    func mistakes(_ row: String, mentions: String) {
        do {
            _ = try JourneyFile.parse(text: "stages:\n" + row, file: "journeys.yaml")
            Issue.record("expected an error mentioning \(mentions)")
        } catch {
            #expect(error.line == 2, "\(error)")
            #expect(error.message.contains(mentions), "\(error)")
        }
    }
}

/// The behaviour cohorts of POLICY.md from payment histories.
@Suite("Segmentation")
struct SegmentationTests {
    static let policy = JourneyTableTests.segmentation
    static let today = LocalDate("2026-12-02")!

    /// Invoices due monthly before today, paid `late` days after their due date (nil: unpaid).
    static func history(_ lateness: [Int?]) -> [InvoiceHistoryItem] {
        lateness.enumerated().map { index, late in
            let due = LocalDate(daysSinceEpoch: today.daysSinceEpoch - 35 - 30 * index)
            return InvoiceHistoryItem(dueDate: due, paidOn: late.map { LocalDate(daysSinceEpoch: due.daysSinceEpoch + $0) })
        }
    }

    @Test("cohorts", arguments: [
        ([], BehaviourCohort.unknown),
        ([0, -2, 0, 0, -1, 0], .onTime),
        ([3, 5, 0, 2, 7, 0], .reliablyLate),
        ([0, 0, 0, 0, 15, 0], .sporadic),
        ([0, 40, 0, 0, 35, 0], .chronic),
        ([nil, 0, 0, 0, 0, 0], .onTime),      // one unpaid invoice 35 days overdue counts toward chronic, but once is not enough
        ([0, 0, 0, 0, 0, 0, 3, 3, 3], .onTime), // only the 6 most recent paid invoices count
    ] as [([Int?], BehaviourCohort)])
    func cohorts(_ lateness: [Int?], expected: BehaviourCohort) {
        #expect(Segmentation.cohort(Self.history(lateness), policy: Self.policy, today: Self.today) == expected)
    }

    @Test("a write-off makes an account chronic")
    func writeOff() {
        var history = Self.history([0, 0, 0])
        history[1].writtenOff = true
        #expect(Segmentation.cohort(history, policy: Self.policy, today: Self.today) == .chronic)
    }

    @Test("risk flags, tier and opt-in from the account's facts")
    func segment() {
        let input = SegmentationInput(
            arrMinor: 30_000_000, currency: .usd, tags: ["pre_due_reminders"], lastPaymentFailure: LocalDate("2026-11-01"),
            cardExpiry: (year: 26, month: 11), hasOpenDispute: true, hasOpenHighPriorityTicket: true, hasChurnRiskSignal: true)
        let segment = Segmentation.segment(input, policy: Self.policy, today: Self.today, dueDate: LocalDate("2026-12-15")!)
        #expect(segment.tier == .strategic)
        #expect(segment.flags == Set(RiskFlag.allCases))
        #expect(segment.optedInToPreDue)
        let quiet = Segmentation.segment(SegmentationInput(arrMinor: 3_000_000, currency: .usd, lastPaymentFailure: LocalDate("2026-09-01"),
                                                           cardExpiry: (year: 2027, month: 1)),
                                         policy: Self.policy, today: Self.today, dueDate: LocalDate("2026-12-15")!)
        #expect(quiet.tier == .midMarket)
        #expect(quiet.flags.isEmpty, "a failure 92 days ago and a card good through January are not risks")
    }
}

/// The shipped caps and quiet hours are POLICY.md's defaults, and mistakes name line and rule.
@Suite("Contact policy file")
struct ContactPolicyFileTests {
    @Test("the shipped file holds POLICY.md's defaults")
    func shipped() throws {
        let policy = try CadenceFiles.loadContact(directory: ShippedPolicy.configDirectory)
        #expect(policy == ContactPolicy(perChannelPerDay: 1, touchesPerWindow: 3, touchWindow: 7 * 86_400,
                                        messageHours: 8..<20, smsHours: 9..<18))
    }

    @Test("mistakes name the line and the rule")
    func mistakes() {
        do {
            _ = try ContactFile.parse(text: "quiet_hours:\n  messages: {from: 20, until: 8}\n", file: "contact.yaml")
            Issue.record("an inverted window must be refused")
        } catch {
            #expect(error.line == 2)
            #expect(error.message.contains("rule quiet_hours.messages"), "\(error)")
        }
    }
}

/// The shipped pauses and send hour are POLICY.md's defaults; mistakes name file and line.
@Suite("Pause policy file and send hour")
struct PausePolicyFileTests {
    @Test("the shipped files hold the defaults: promise + 2 days, hand-offs 5 business days, stages at 10:00")
    func shipped() throws {
        #expect(try CadenceFiles.loadPauses(directory: ShippedPolicy.configDirectory)
                == PausePolicy(promiseGraceDays: 2, handOffBusinessDays: 5))
        #expect(JourneyTableTests.journey.sendHour == 10)
    }

    @Test("mistakes are refused with the line", arguments: [
        ("promise_to_pay:\n  grace_days: -1\n", 2),
        ("hand_off:\n  business_days: 5\n  weekends: true\n", 3),
        ("promises: {grace_days: 2}\n", 1),
    ])
    func mistakes(_ text: String, line: Int) {
        do {
            _ = try PausesFile.parse(text: text, file: "pauses.yaml")
            Issue.record("refused: \(text)")
        } catch {
            #expect(error.file == "pauses.yaml")
            #expect(error.line == line, "\(error)")
        }
    }

    @Test("a send hour outside the day is refused")
    func sendHour() {
        do {
            _ = try JourneyFile.parse(text: "send_hour: 24\nstages:\n  - {stage: overdue_1, offset_days: 1, tone: courtesy, default: {messages: [email]}}\n",
                                      file: "journeys.yaml")
            Issue.record("send_hour 24 must be refused")
        } catch {
            #expect(error.line == 1, "\(error)")
        }
    }
}

/// `Config/cadence/escalations.yaml`: POLICY.md's escalation defaults, and mistakes refused at their line.
@Suite("Escalation policy file")
struct EscalationPolicyFileTests {
    @Test("the shipped file holds POLICY.md's defaults")
    func shipped() throws {
        let policy = try CadenceFiles.loadEscalations(directory: ShippedPolicy.configDirectory)
        #expect(policy == EscalationPolicy())
        #expect(policy.agingDays == [.strategic: 14, .midMarket: 14, .longTail: 30])
        #expect(policy.owner(for: .strategic, daysOverdue: 40) == "account_team")
        #expect(policy.owner(for: .midMarket, daysOverdue: 29) == "collector")
        #expect(policy.owner(for: .midMarket, daysOverdue: 30) == "collections_lead")
        #expect(policy.owner(for: .longTail, daysOverdue: 60) == "write_off_review")
        #expect(policy.replyMinConfidence == 0.6)
    }

    @Test("mistakes are refused with the line", arguments: [
        ("aging_days:\n  strategic: 0\n", 2),
        ("owners:\n  strategic: sales\n", 2),
        ("replies:\n  min_confidence_percent: 60\n  frustration_to_account_team: [strategic, enterprise]\n", 3),
        ("repeated_short_pays: 1\n", 1),
        ("aging: {strategic: 14}\n", 1),
    ])
    func mistakes(_ text: String, line: Int) {
        do {
            _ = try EscalationsFile.parse(text: text, file: "escalations.yaml")
            Issue.record("refused: \(text)")
        } catch {
            #expect(error.file == "escalations.yaml")
            #expect(error.line == line, "\(error)")
        }
    }
}
