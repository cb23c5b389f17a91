import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RecoupCore
import Testing
import TestSupport

/// Customer replies through the real recoupd, broker and database with the controlled clock
/// (issue 5's scenarios). Invoices fall due on Monday 2026-12-07; stages at 10:00 UTC.
@Suite("Replies, end to end", .serialized)
struct ReplyEndToEndTests {
    static func reply(_ id: String, _ text: String, channel: String = "email", invoice: String? = "in_1",
                      at time: String) -> TestEvent {
        var data: [String: Any] = ["reply_id": id, "account_id": "acc_j", "channel": channel, "text": text, "received_at": time]
        if let invoice { data["invoice_id"] = invoice }
        return TestEvent.make("reply.received", data: data)
    }

    /// A world with one account (long tail unless `arrMinor` says otherwise) and invoice `in_1`.
    static func world(_ name: String, arrMinor: Int = JourneyEndToEndTests.longTail, sms: Bool = false,
                      _ body: (DaemonHarness) async throws -> Void) async throws {
        try await DaemonHarness.with(name: name, clock: "controlled") { world in
            try await world.captureOutbound()
            try await world.startMigrated()
            try await world.clock("set", "2026-12-02T09:00:00Z")
            try await world.publish([TestEvent.account("acc_j", arrMinor: arrMinor, sms: sms),
                                     TestEvent.invoice("in_1", account: "acc_j", dueDate: "2026-12-07")])
            try await world.waitForInbox(2)
            try await world.waitUntil("the journey planned") {
                try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'journey.planned'") == 1
            }
            try await body(world)
        }
    }

    @Test("an implicit dispute in a reply holds the invoice and escalates it with context")
    func implicitDispute() async throws {
        try await Self.world("reply_dispute") { world in
            _ = try await JourneyEndToEndTests.messages(at: "2026-12-08T10:01:00Z", count: 1, world)
            try await world.clock("set", "2026-12-09T15:00:00Z")
            try await world.publish([Self.reply("rp_d", """
                Hi, the invoice lists 50 seats but we downgraded to 20 in September.
                Dana

                On Tue, Dec 8, 2026 at 10:01 AM Billing <billing@example.test> wrote:
                > Your invoice INV-in_1 is now overdue. Please pay by Friday.
                """, at: "2026-12-09T14:58:00Z")])
            let escalations = try await world.awaitPublished(OutboundCapture.escalations, count: 1)
            let escalation = try #require(escalations.first)
            #expect(escalation.string("rule") == "escalation.reply_dispute")
            #expect(escalation.string("owner") == "collector")
            #expect(escalation.data["invoice_ids"]?.arrayValue?.compactMap(\.stringValue) == ["in_1"])
            #expect(escalation.string("recommended_action")?.contains("rp_d") == true)
            let context = try #require(escalation.data["context"])
            #expect(context["days_overdue"]?.int64Value == 2)
            #expect(context["segment"]?.stringValue == "long_tail")
            #expect(context["replies"]?.arrayValue?.compactMap { $0["reply_id"]?.stringValue } == ["rp_d"])
            #expect(context["touches"]?.arrayValue?.count == 1, "the overdue_1 email")
            #expect(!escalation.delivery.body.contains(Array("downgraded".utf8)), "the reply's words stay out of the escalation")

            #expect(try await world.count("""
                SELECT count(*) FROM recoup.replies WHERE reply_id = 'rp_d' AND reply_class = 'dispute' AND routed_at IS NOT NULL
                """) == 1)
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.invoice_holds WHERE invoice_id = 'in_1' AND rule = 'reply.dispute' AND released_at IS NULL
                """) == 1)
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.audit_log WHERE kind = 'reply.classified' AND detail->>'class' = 'dispute'
                   AND detail->'why' @> '["dispute: \\"downgrad*\\""]'
                """) == 1, "the audit names the cue that decided")
            try await JourneyEndToEndTests.silence(at: "2027-01-10T12:00:00Z", world, "no reminder while the dispute is open")

            // The billing platform corrects the invoice: the hold ends and the journey resumes from its current stage.
            try await world.publish([TestEvent.make("invoice.updated", data: [
                "invoice_id": "in_1", "account_id": "acc_j", "number": "INV-in_1", "currency": "USD", "amount_due_minor": 48_000,
                "amount_paid_minor": 0, "due_date": "2027-01-15", "status": "open", "version": 2,
            ])])
            try await world.waitUntil("the hold released") {
                try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'hold.released'") == 1
            }
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.escalations WHERE rule = 'escalation.reply_dispute' AND status = 'closed'
                """) == 1)
            let resumed = try await JourneyEndToEndTests.messages(at: "2027-01-16T10:01:00Z", count: 1, world)
            #expect(resumed.map { $0.string("stage") } == ["overdue_1"])
            try await world.stop()
        }
    }

    @Test("SMS STOP revokes SMS consent before the next send, and a later account update does not restore it")
    func smsStop() async throws {
        // 30,000.00 USD ARR: mid-market, whose overdue_7 adds an SMS for accounts with SMS consent.
        try await Self.world("reply_stop", arrMinor: 3_000_000, sms: true) { world in
            try await world.clock("set", "2026-12-11T12:00:00Z")
            try await world.publish([Self.reply("rp_s", "Stop", channel: "sms", invoice: nil, at: "2026-12-11T11:59:00Z")])
            try await world.waitUntil("consent revoked") {
                try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'consent.revoked' AND detail->>'channel' = 'sms'") == 1
            }
            #expect(try await world.count("SELECT count(*) FROM recoup.accounts WHERE account_id = 'acc_j' AND NOT consent_sms") == 1)
            try await world.publish([TestEvent.account("acc_j", arrMinor: 3_000_000, version: 2, sms: true)])
            try await world.waitForInbox(4)
            #expect(try await world.count("SELECT count(*) FROM recoup.accounts WHERE account_id = 'acc_j' AND NOT consent_sms") == 1,
                    "the customer's own STOP outlasts the platform's flag")
            // Setting the clock to the 11th fired overdue_3 (overdue_1 superseded by it): drain it.
            let third = try await world.awaitPublished(OutboundCapture.messages, count: 2)
            #expect(Set(third.map { $0.string("stage") ?? "" }) == ["overdue_3"])
            try await Task.sleep(for: .seconds(1))
            _ = try await world.published(OutboundCapture.messages)
            // overdue_7 on Monday the 14th: mid-market with SMS consent would get an SMS; now email only.
            let seventh = try await JourneyEndToEndTests.messages(at: "2026-12-14T10:01:00Z", count: 1, world)
            #expect(seventh.map { [$0.string("stage"), $0.string("channel")] } == [["overdue_7", "email"]])
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.audit_log WHERE kind = 'journey.stage.sent' AND detail->'dropped_channels' ? 'sms'
                """) == 1, "the dropped SMS is audited")
            try await world.stop()
        }
    }

    @Test("\"we'll pay on the 14th\" pauses reminders until the 14th + 2 days; they resume after, and the broken promise is noted")
    func promiseInReply() async throws {
        try await Self.world("reply_promise") { world in
            _ = try await JourneyEndToEndTests.messages(at: "2026-12-08T10:01:00Z", count: 1, world)
            try await world.clock("set", "2026-12-09T12:00:00Z")
            try await world.publish([Self.reply("rp_p", "Sorry for the delay, we'll pay on the 14th.", at: "2026-12-09T11:55:00Z")])
            try await world.waitUntil("the promise recorded") {
                try await world.count("SELECT count(*) FROM recoup.promises WHERE reply_id = 'rp_p' AND promised_date = '2026-12-14'") == 1
            }
            try await JourneyEndToEndTests.silence(at: "2026-12-10T10:01:00Z", world, "overdue_3 paused")
            try await JourneyEndToEndTests.silence(at: "2026-12-15T12:00:00Z", world, "paused through the 15th")
            let resumed = try await JourneyEndToEndTests.messages(at: "2026-12-16T10:01:00Z", count: 1, world)
            #expect(resumed.map { $0.string("stage") } == ["overdue_7"], "the current stage, the missed overdue_3 superseded")
            try await world.waitUntil("the promise checked") {
                try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'promise.broken' AND invoice_id = 'in_1'") == 1
            }
            let next = try await JourneyEndToEndTests.messages(at: "2026-12-21T10:01:00Z", count: 1, world)
            #expect(next.map { $0.string("stage") } == ["overdue_14"], "and the walk goes on")
            try await world.stop()
        }
    }

    @Test("recoupctl worklist ranks a strategic invoice above a long-tail one of the same age and says why")
    func worklistRanks() async throws {
        try await DaemonHarness.with(name: "worklist", clock: "controlled") { world in
            try await world.startMigrated()
            try await world.clock("set", "2026-12-02T09:00:00Z")
            try await world.publish([
                TestEvent.account("acc_big", arrMinor: JourneyEndToEndTests.strategic),
                TestEvent.account("acc_small", arrMinor: JourneyEndToEndTests.longTail),
                TestEvent.invoice("in_big", account: "acc_big", dueDate: "2026-11-12"),
                TestEvent.invoice("in_small", account: "acc_small", dueDate: "2026-11-12"),
            ])
            try await world.waitForInbox(4)
            let text = try await world.recoupctl(["worklist"])
            #expect(text.status == 0, "\(text.err)")
            let lines = text.out.split(separator: "\n").map(String.init)
            #expect(lines.count == 2)
            #expect(lines.first?.contains("INV-in_big") == true, "\(lines)")
            #expect(lines.first?.contains("20 days overdue") == true)
            #expect(lines.first?.contains("past the strategic escalation age of 14 days") == true)
            #expect(lines.first?.contains("strategic account") == true)
            #expect(lines.first?.contains("-> account_team") == true)
            #expect(lines.last?.contains("INV-in_small") == true)
            #expect(lines.last?.contains("past the") == false, "long tail escalates at 30 days")

            let json = try await world.recoupctl(["worklist", "--json"])
            let items = try json.out.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
            #expect(items.map { $0["invoice_id"]?.stringValue } == ["in_big", "in_small"])
            let scores = items.compactMap { $0["priority_score"].flatMap { if case .number(let n) = $0 { n.doubleValue } else { nil } } }
            #expect(scores.count == 2 && scores[0] > scores[1])

            let timeline = try await world.recoupctl(["timeline", "acc_big", "--json"])
            let kinds = try timeline.out.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8))["kind"]?.stringValue }
            #expect(kinds.first == "event.applied")
            #expect(kinds.contains("journey.planned"))

            // The same, as JSON from the admin endpoint.
            #expect(try await world.adminGET("/healthz").status == 200)
            let served = try await world.adminGET("/worklist?limit=1")
            #expect(served.status == 200)
            let servedItems = try JSONParser.parse(served.body).arrayValue ?? []
            #expect(servedItems.map { $0["invoice_id"]?.stringValue } == ["in_big"])
            #expect(servedItems.first?["reasons"]?.arrayValue?.contains(.string("strategic account")) == true)
            let servedTimeline = try await world.adminGET("/accounts/acc_big/timeline")
            #expect(try JSONParser.parse(servedTimeline.body).arrayValue?.compactMap { $0["kind"]?.stringValue } == kinds)
            #expect(try await world.adminGET("/worklist?limit=0").status == 400)
            try await world.stop()
        }
    }
}
