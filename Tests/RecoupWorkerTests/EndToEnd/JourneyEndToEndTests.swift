import Foundation
import RecoupCore
import Testing
import TestSupport

/// Invoice journeys through the real recoupd, broker and database with the controlled clock
/// (issue 4's scenarios). Accounts are in UTC; stages are due at 10:00 local (`send_hour`).
/// 2026-12-07 is a Monday.
@Suite("Journeys, end to end", .serialized)
struct JourneyEndToEndTests {
    static let longTail = 1_000_000        // 10,000.00 USD
    static let strategic = 30_000_000      // 300,000.00 USD

    /// A world with the clock at `clock`, capture queues bound, and the account and invoices given.
    static func world(_ name: String, clock: String = "2026-12-02T09:00:00Z", arrMinor: Int = longTail,
                      invoices: [(String, String)] = [("in_1", "2026-12-07")],
                      _ body: (DaemonHarness) async throws -> Void) async throws {
        try await DaemonHarness.with(name: name, clock: "controlled") { world in
            try await world.captureOutbound()
            try await world.startMigrated()
            try await world.clock("set", clock)
            try await world.publish([TestEvent.account("acc_j", arrMinor: arrMinor)]
                                    + invoices.map { TestEvent.invoice($0.0, account: "acc_j", dueDate: $0.1) })
            try await world.waitForInbox(1 + invoices.count)
            try await world.waitUntil("the journeys planned") {
                try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'journey.planned'") == invoices.count
            }
            try await body(world)
        }
    }

    /// Moves the clock to `time` and takes the customer messages that follow (at least `count`).
    static func messages(at time: String, count: Int, _ world: DaemonHarness) async throws -> [Published] {
        try await world.clock("set", time)
        let messages = try await world.awaitPublished(OutboundCapture.messages, count: count)
        // Nothing more straggles in after the expected ones.
        try await Task.sleep(for: .seconds(1))
        return messages + (try await world.published(OutboundCapture.messages))
    }

    /// Moves the clock to `time` and checks that no customer message follows.
    static func silence(at time: String, _ world: DaemonHarness, _ why: Comment) async throws {
        try await world.clock("set", time)
        try await Task.sleep(for: .seconds(3))
        #expect(try await world.published(OutboundCapture.messages).isEmpty, why)
    }

    @Test("a long-tail invoice walks overdue_1, 3, 7, 14 with the stage's tone and channels each time")
    func longTailWalk() async throws {
        try await Self.world("walk") { world in
            try await Self.silence(at: "2026-12-07T12:00:00Z", world, "no pre-due or due-date touch for an unknown cohort without risk")

            let first = try await Self.messages(at: "2026-12-08T10:01:00Z", count: 1, world)
            #expect(first.map { [$0.string("stage"), $0.string("tone"), $0.string("channel")] } == [["overdue_1", "courtesy", "email"]])
            #expect(first.first?.string("to") == "ap@example.test")
            #expect(first.first?.string("invoice_id") == "in_1")
            #expect(first.first?.string("body")?.contains("INV-in_1") == true)

            let third = try await Self.messages(at: "2026-12-10T10:01:00Z", count: 2, world)
            #expect(Set(third.map { $0.string("channel") ?? "" }) == ["email", "in_app"])
            #expect(third.allSatisfy { $0.string("stage") == "overdue_3" && $0.string("tone") == "matter_of_fact" })

            let seventh = try await Self.messages(at: "2026-12-14T10:01:00Z", count: 1, world)
            #expect(seventh.map { [$0.string("stage"), $0.string("tone"), $0.string("channel")] } == [["overdue_7", "firm", "email"]])

            let fourteenth = try await Self.messages(at: "2026-12-21T10:01:00Z", count: 1, world)
            #expect(fourteenth.map { [$0.string("stage"), $0.string("tone"), $0.string("channel")] }
                    == [["overdue_14", "escalation", "email"]])
            #expect(try await world.published(OutboundCapture.escalations).isEmpty, "long tail: no hand-off before overdue_30")
            #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'journey.stage.sent'") == 4)
            #expect(try await world.count("SELECT count(*) FROM recoup.contact_log WHERE account_id = 'acc_j'") == 5)
            try await world.stop()
        }
    }

    @Test("a strategic invoice: escalation.account_team first, the customer hears only two business days later")
    func strategicAccountTeamFirst() async throws {
        try await Self.world("strategic", arrMinor: Self.strategic) { world in
            try await world.clock("set", "2026-12-08T10:01:00Z")
            let escalations = try await world.awaitPublished(OutboundCapture.escalations, count: 1)
            #expect(escalations.map(\.type) == ["escalation.raised"])
            #expect(escalations.first?.string("owner") == "account_team")
            #expect(escalations.first?.delivery.routingKey == "escalation.account_team")
            #expect(escalations.first?.string("rule") == JourneyPlanner.accountTeamFirstRule)
            #expect(escalations.first?.data["invoice_ids"]?.arrayValue?.compactMap(\.stringValue) == ["in_1"])
            #expect(escalations.first?.data["context"]?["segment"]?.stringValue == "strategic")
            #expect(try await world.published(OutboundCapture.messages).isEmpty, "no customer message with the escalation")

            try await Self.silence(at: "2026-12-09T18:00:00Z", world, "the account team has the invoice")
            // Two business days after Tuesday the 8th: Thursday the 10th, when overdue_3 is due anyway.
            let first = try await Self.messages(at: "2026-12-10T10:01:00Z", count: 2, world)
            #expect(first.allSatisfy { $0.string("stage") == "overdue_3" })
            let sentAt = try await world.query { connection in
                try connection.query("""
                    SELECT (SELECT min(created_at) FROM recoup.outbox WHERE message_type = 'escalation.raised')
                         < (SELECT min(created_at) FROM recoup.outbox WHERE message_type = 'message.requested')
                    """).first!.decode(Bool.self, at: 0)
            }
            #expect(sentAt, "the escalation was queued before any customer message")
            try await world.stop()
        }
    }

    @Test("a dispute opened on day 5 stops the journey")
    func disputeStops() async throws {
        try await Self.world("dispute") { world in
            _ = try await Self.messages(at: "2026-12-08T10:01:00Z", count: 1, world)
            _ = try await Self.messages(at: "2026-12-10T10:01:00Z", count: 2, world)
            try await world.clock("set", "2026-12-12T12:00:00Z")   // day 5
            try await world.publish([TestEvent.make("dispute.opened", data: [
                "dispute_id": "dp_j", "invoice_id": "in_1", "account_id": "acc_j", "reason": "wrong seat count",
            ])])
            try await world.waitForInbox(3)
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.audit_log WHERE kind = 'journey.stopped' AND rule = 'pause.dispute' AND invoice_id = 'in_1'
                """) == 1)
            try await Self.silence(at: "2027-01-10T12:00:00Z", world, "nothing after the dispute, through overdue_30")
            #expect(try await world.published(OutboundCapture.escalations).isEmpty)
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.timers WHERE kind = 'journey.stage' AND fired_at IS NULL AND cancelled_at IS NULL
                """) == 0)
            try await world.stop()
        }
    }

    @Test("a promise pauses the journey until the promised date + 2 days, then it resumes at the current stage")
    func promisePauses() async throws {
        try await Self.world("promise") { world in
            _ = try await Self.messages(at: "2026-12-08T10:01:00Z", count: 1, world)
            try await world.clock("set", "2026-12-09T12:00:00Z")
            try await world.publish([TestEvent.make("collections.promise_recorded", data: [
                "invoice_id": "in_1", "account_id": "acc_j", "promised_date": "2026-12-15", "recorded_by": "collector_1",
            ])])
            try await world.waitForInbox(3)
            // overdue_3 (10th) and overdue_7 (14th) fall in the pause.
            try await Self.silence(at: "2026-12-10T10:01:00Z", world, "overdue_3 paused")
            try await Self.silence(at: "2026-12-14T10:01:00Z", world, "overdue_7 paused")
            try await Self.silence(at: "2026-12-16T12:00:00Z", world, "paused through the 16th")
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.audit_log WHERE kind = 'journey.stage.paused' AND rule = 'pause.promise'
                   AND detail->>'resume_at' = '2026-12-17T10:00:00Z'
                """) == 2)
            let resumed = try await Self.messages(at: "2026-12-17T10:01:00Z", count: 1, world)
            #expect(resumed.map { [$0.string("stage"), $0.string("tone")] } == [["overdue_7", "firm"]],
                    "the current stage, not the missed overdue_3 as well")
            #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'journey.stage.superseded'") == 1)
            try await world.stop()
        }
    }

    @Test("an invoice first seen 8 days overdue gets exactly one overdue_7 touch")
    func seenLate() async throws {
        try await Self.world("late", clock: "2026-12-09T09:00:00Z", invoices: [("in_1", "2026-12-01")]) { world in
            let touch = try await Self.messages(at: "2026-12-09T10:01:00Z", count: 1, world)
            #expect(touch.map { [$0.string("stage"), $0.string("tone"), $0.string("channel")] } == [["overdue_7", "firm", "email"]])
            try await Self.silence(at: "2026-12-14T12:00:00Z", world, "no burst of the missed stages")
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.audit_log, jsonb_array_elements(detail->'skipped') skipped
                 WHERE kind = 'journey.planned' AND skipped->>'rule' = 'journey.seen_late'
                """) == 2, "overdue_1 and overdue_3 skipped as missed")
            try await world.stop()
        }
    }

    @Test("a payment failure before the due date re-plans: the pre-due and due-date touches are added")
    func failureAddsDueStage() async throws {
        try await Self.world("known_issue") { world in
            try await world.publish([TestEvent.paymentFailed("py_k", invoice: "in_1", account: "acc_j", at: "2026-12-02T08:50:00Z",
                                                             method: TestEvent.visa, code: "insufficient_funds", amount: 120_000)])
            try await world.waitUntil("the journey re-planned") {
                try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'journey.planned'") == 2
            }
            let stages = try await world.query { connection in
                try connection.query("""
                    SELECT stage->>'stage' FROM recoup.audit_log, jsonb_array_elements(detail->'stages') stage
                     WHERE kind = 'journey.planned' AND event_id = 'evt_py_k' ORDER BY stage->>'due_at'
                    """).map { try $0.decode(String.self, at: 0) }
            }
            // The failure is a known issue and a risk flag. pre_due_7 (Nov 30) was missed: as the
            // current stage it goes today.
            #expect(stages == ["pre_due_7", "pre_due_1", "due", "overdue_1", "overdue_3", "overdue_7", "overdue_14", "overdue_30"])
            for (time, stage) in [("2026-12-02T10:01:00Z", "pre_due_7"), ("2026-12-06T10:01:00Z", "pre_due_1"),
                                  ("2026-12-07T10:01:00Z", "due")] {
                let sent = try await Self.messages(at: time, count: 1, world)
                #expect(sent.map { [$0.string("stage"), $0.string("tone")] } == [[stage, "courtesy"]], "at \(time)")
            }
            try await world.stop()
        }
    }

    @Test("an account described after its invoice re-plans it: a strategic account in Berlin gets the account team first, at 10:00 Berlin")
    func accountArrivesLate() async throws {
        try await DaemonHarness.with(name: "late_account", clock: "controlled") { world in
            try await world.captureOutbound()
            try await world.startMigrated()
            try await world.clock("set", "2026-12-02T09:00:00Z")
            try await world.publish([TestEvent.invoice("in_1", account: "acc_j", dueDate: "2026-12-07")])
            try await world.waitForInbox(1)
            try await world.publish([TestEvent.account("acc_j", timezone: "Europe/Berlin", arrMinor: Self.strategic)])
            try await world.waitUntil("the journey re-planned") {
                try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'journey.planned'") == 2
            }
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.audit_log WHERE kind = 'journey.planned' AND detail->>'tier' = 'strategic'
                """) == 1)
            // 10:00 in Berlin on the 8th is 09:00 UTC.
            try await world.clock("set", "2026-12-08T09:01:00Z")
            let escalations = try await world.awaitPublished(OutboundCapture.escalations, count: 1)
            #expect(escalations.first?.string("owner") == "account_team")
            #expect(try await world.published(OutboundCapture.messages).isEmpty)
            try await world.stop()
        }
    }

    @Test("three invoices of one account overdue the same day: one email covering all three")
    func oneEmailForThree() async throws {
        try await Self.world("three", invoices: [("in_a", "2026-12-07"), ("in_b", "2026-12-07"), ("in_c", "2026-12-07")]) { world in
            let sent = try await Self.messages(at: "2026-12-08T10:01:00Z", count: 1, world)
            #expect(sent.count == 1)
            let email = try #require(sent.first)
            #expect(email.string("stage") == "overdue_1")
            #expect(email.data["invoice_ids"]?.arrayValue?.compactMap(\.stringValue).sorted() == ["in_a", "in_b", "in_c"])
            for number in ["INV-in_a", "INV-in_b", "INV-in_c"] {
                #expect(email.string("body")?.contains(number) == true, "\(number) in the body")
            }
            #expect(try await world.count("SELECT count(DISTINCT touch_id) FROM recoup.contact_log") == 1)
            try await world.stop()
        }
    }
}
