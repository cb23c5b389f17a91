import Foundation
import Testing
@testable import RecoupCore

/// What due journey stages do, rule by rule: verify before send, pauses, supersession, one touch
/// for several invoices, consent, caps and quiet hours.
@Suite("Stage firing")
struct StageFiringTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let now = Timestamp.parse("2026-12-08T10:00:00Z")!     // a Tuesday
    static let today = LocalDate("2026-12-08")!

    static func stage(_ key: String, _ invoice: String = "in_1", messages: [Channel] = [.email], task: String? = nil,
                      escalation: String? = nil, standing: InvoiceStanding = .collectible, pause: PauseFacts = PauseFacts(),
                      later: Bool = false) -> DueStage {
        DueStage(key: key, invoiceID: invoice, stage: "overdue_1", tone: .courtesy,
                 actions: StageActions(messages: messages, task: task, escalation: escalation), rules: ["journey.overdue_1"],
                 standing: standing, pause: pause, overtaken: later)
    }

    static func plan(_ due: [DueStage], sent: [SentMessage] = [], consents: Consents = Consents(), at time: Date = now) -> FiringPlan {
        StageFiring.plan(due, now: time, today: LocalDate(time, in: utc), sent: sent, consents: consents, timeZone: utc,
                         contact: ContactPolicy(), pauses: PausePolicy())
    }

    @Test("settled, disputed or held invoices: closed with the verify-before-send rule", arguments: [
        InvoiceStanding.notCollectible(reason: "paid"), .notCollectible(reason: "voided"), .notCollectible(reason: "disputed"),
        .notCollectible(reason: "on hold"), .notCollectible(reason: "fully paid"),
    ])
    func verifyBeforeSend(_ standing: InvoiceStanding) {
        let result = Self.plan([Self.stage("k", standing: standing, pause: PauseFacts(promisedDates: [Self.today]))])
        #expect(result.stopped.map(\.rule) == ["journey.verify_before_send"])
        #expect(result.touch == nil && result.deferred == nil && result.handOffs.isEmpty && result.waiting.isEmpty)
    }

    @Test("pauses: a promise holds the messages until date + grace; an unrouted reply closes the stage")
    func pauses() {
        let promised = Self.plan([Self.stage("k", pause: PauseFacts(promisedDates: [LocalDate("2026-12-10")!]))])
        #expect(promised.waiting.map(\.until) == [LocalDate("2026-12-12")!])
        #expect(promised.waiting.map(\.rule) == ["pause.promise"])
        #expect(promised.touch == nil)
        let expired = Self.plan([Self.stage("k", pause: PauseFacts(promisedDates: [LocalDate("2026-12-05")!]))])
        #expect(expired.touch?.keys == ["k"], "a promise past its grace no longer holds")
        let reply = Self.plan([Self.stage("k", pause: PauseFacts(unroutedReplies: 1))])
        #expect(reply.stopped.map(\.rule) == ["pause.reply"])
    }

    @Test("an open hand-off holds the customer messages but lets the stage's own hand-off through")
    func handOffPause() {
        let open = PauseFacts(openHandOffsSince: [LocalDate("2026-12-07")!])
        let result = Self.plan([Self.stage("k", messages: [.email], escalation: "service_impact", pause: open)])
        #expect(result.handOffs.map(\.escalation) == ["service_impact"])
        #expect(result.waiting.map(\.rule) == ["pause.hand_off"])
        #expect(result.waiting.first?.until == JourneyPlanner.addBusinessDays(5, to: LocalDate("2026-12-07")!))
        #expect(result.touch == nil)
        let promise = Self.plan([Self.stage("k", task: "phone_call", pause: PauseFacts(promisedDates: [LocalDate("2026-12-10")!]))])
        #expect(promise.handOffs.isEmpty, "a promise holds the hand-off too")
    }

    @Test("a stage overtaken by a later due stage of its invoice is skipped")
    func superseded() {
        let result = Self.plan([Self.stage("early", later: true)])
        #expect(result.superseded == ["early"])
        #expect(result.touch == nil)
    }

    @Test("the invoices still owed a message share one touch; the others are accounted for")
    func oneTouch() {
        let result = Self.plan([
            Self.stage("a", "in_a"), Self.stage("b", "in_b", messages: [.email, .inApp]),
            Self.stage("c", "in_c", standing: .notCollectible(reason: "paid")),
        ])
        #expect(result.touch?.keys == ["a", "b"])
        #expect(result.touch?.channels == [.email, .inApp])
        #expect(result.stopped.map(\.key) == ["c"])
    }

    @Test("consent drops channels; caps and quiet hours defer the whole touch")
    func guards() {
        let noSMS = Self.plan([Self.stage("k", messages: [.email, .sms])])
        #expect(noSMS.touch?.channels == [.email])
        #expect(noSMS.touch?.droppedRules == ["consent.sms"])
        let nothing = Self.plan([Self.stage("k", messages: [.sms])])
        #expect(nothing.unsendable == ["k"] && nothing.unsendableRules == ["consent.sms"] && nothing.touch == nil)

        let night = Self.plan([Self.stage("k")], at: Timestamp.parse("2026-12-08T21:00:00Z")!)
        #expect(night.deferred?.until == Timestamp.parse("2026-12-09T08:00:00Z")!)
        #expect(night.deferred?.rules == ["quiet_hours.messages"])
        let sentToday = [SentMessage(channel: .email, at: Timestamp.parse("2026-12-08T08:30:00Z")!, touchID: "t")]
        let capped = Self.plan([Self.stage("k")], sent: sentToday)
        #expect(capped.deferred?.rules.first == "cap.per_channel_per_day")
        #expect(capped.touch == nil, "deferred, not sent and not dropped")
    }
}
