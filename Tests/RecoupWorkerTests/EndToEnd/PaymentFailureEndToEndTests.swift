import AMQP
import Foundation
import RecoupCore
import Testing
import TestSupport

/// Payment failures through the real recoupd, broker and database, with the controlled clock:
/// retries at the policy's offsets within the networks' limits, backups before the customer,
/// safe wording, no retry for a paid invoice, and retries that survive a broker outage.
@Suite("Payment failures, end to end", .serialized)
struct PaymentFailureEndToEndTests {
    static let start = "2026-12-02T10:00:00Z"

    /// A world with the clock at `start`, capture queues bound, and one account with an invoice.
    /// The invoices fall due after the test's window unless `dueDate` says otherwise, so journey
    /// reminders stay out of the payment scenarios.
    static func world(_ name: String, broker: ScratchBroker? = nil, invoices: [String] = ["in_1"], clock: String = start,
                      dueDate: String = "2027-01-31", _ body: (DaemonHarness) async throws -> Void) async throws {
        try await DaemonHarness.with(name: name, clock: "controlled", broker: broker) { world in
            try await world.captureOutbound()
            try await world.startMigrated()
            try await world.clock("set", clock)
            try await world.publish([TestEvent.account("acc_1")] + invoices.map { TestEvent.invoice($0, account: "acc_1", dueDate: dueDate) })
            try await world.waitForInbox(1 + invoices.count)
            try await body(world)
        }
    }

    static func retries(_ world: DaemonHarness, status: String) async throws -> Int {
        try await world.count("SELECT count(*) FROM recoup.payment_retries WHERE status = $1", [status])
    }

    static func dueAt(_ world: DaemonHarness, causedBy event: String) async throws -> String {
        try await world.query { connection in
            try connection.query("""
                SELECT to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM recoup.payment_retries WHERE caused_by = $1
                """, [event]).first!.decode(String.self, at: 0)
        }
    }

    @Test("insufficient funds on Visa: retried at +3d, +5d, +7d, then no more; the customer told from the second failure")
    func fundsOnVisa() async throws {
        try await Self.world("funds") { world in
            var inboxCount = 2  // the account and its invoice
            func fail(_ n: Int, at time: String) async throws {
                try await world.publish([TestEvent.paymentFailed("py_\(n)", invoice: "in_1", account: "acc_1", at: time, attempt: n,
                                                                 method: TestEvent.visa, code: "insufficient_funds")])
                inboxCount += 1
                try await world.waitForInbox(inboxCount)
            }

            try await fail(1, at: "2026-12-02T09:55:00Z")
            #expect(try await Self.dueAt(world, causedBy: "evt_py_1") == "2026-12-05T09:55:00Z")
            #expect(try await world.published(OutboundCapture.messages).isEmpty, "no notice while a likely retry is pending")
            try await world.clock("advance", "2d23h")
            try await Task.sleep(for: .seconds(3))
            #expect(try await world.published(OutboundCapture.commands).isEmpty, "not yet due")

            try await world.clock("advance", "1h")                     // 12-05 10:00
            let first = try await world.awaitPublished(OutboundCapture.commands, count: 1)
            #expect(first.map(\.type) == ["payment.retry.requested"])
            #expect(first.first?.string("payment_method_id") == "pm_visa")
            #expect(first.first?.data["attempt"]?.int64Value == 2)
            #expect(first.first?.string("reason")?.hasPrefix("insufficient_funds") == true)
            #expect(first.first?.delivery.properties.messageID == first.first?.string("retry_id"))

            try await fail(2, at: "2026-12-05T10:00:30Z")
            #expect(try await Self.dueAt(world, causedBy: "evt_py_2") == "2026-12-10T10:00:30Z")
            let notice = try await world.awaitPublished(OutboundCapture.messages, count: 1)
            #expect(notice.first?.string("stage") == "payment_failed")
            #expect(notice.first?.string("to") == "ap@example.test")
            #expect(notice.first?.string("body")?.contains("December 10, 2026") == true, "\(notice.first?.string("body") ?? "")")
            #expect(notice.first?.string("payment_url") == "https://pay.example/in_1")

            try await world.clock("advance", "5d1m")                   // 12-10 10:01
            _ = try await world.awaitPublished(OutboundCapture.commands, count: 1)
            try await fail(3, at: "2026-12-10T10:02:00Z")
            #expect(try await Self.dueAt(world, causedBy: "evt_py_3") == "2026-12-17T10:02:00Z")
            let again = try await world.awaitPublished(OutboundCapture.messages, count: 1)
            #expect(again.count == 1)
            #expect(again.first?.string("body")?.contains("December 17, 2026") == true)
            try await world.clock("advance", "7d2m")                   // 12-17 10:03
            let third = try await world.awaitPublished(OutboundCapture.commands, count: 1)
            #expect(third.first?.data["attempt"]?.int64Value == 4)

            try await fail(4, at: "2026-12-17T10:04:00Z")
            #expect(try await world.count("SELECT count(*) FROM recoup.payment_retries WHERE caused_by = 'evt_py_4'") == 0,
                    "the schedule is used up: no fourth retry")
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.audit_log WHERE event_id = 'evt_py_4' AND kind = 'payment.planned' AND detail->>'action' = 'ask_customer'
                """) == 1)
            let ask = try await world.awaitPublished(OutboundCapture.messages, count: 1)
            #expect(ask.count == 1)
            #expect(ask.first?.string("body")?.contains("try again on") == false, "no retry date once retries stop")
            #expect(ask.first?.string("body")?.contains("update your payment method") == true)
            try await world.clock("advance", "20d")
            try await Task.sleep(for: .seconds(3))
            #expect(try await world.published(OutboundCapture.commands).isEmpty)
            #expect(try await Self.retries(world, status: "requested") + Self.retries(world, status: "answered") == 3)
            #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'payment.retry.requested'") == 3)
            try await world.stop()
        }
    }

    @Test("a stolen card is never retried: the backup is tried, and the customer asked without a word of why")
    func stolenCard() async throws {
        try await Self.world("stolen") { world in
            let backup: [String: Any] = ["id": "pm_backup", "type": "card", "network": "mastercard"]
            try await world.publish([TestEvent.paymentFailed("py_s", invoice: "in_1", account: "acc_1", at: "2026-12-02T09:59:00Z",
                                                             method: TestEvent.visa, code: "stolen_card", backups: [backup])])
            let tried = try await world.awaitPublished(OutboundCapture.commands, count: 1)
            #expect(tried.first?.string("payment_method_id") == "pm_backup")
            #expect(try await world.published(OutboundCapture.messages).isEmpty, "the backup gets its chance first")

            try await world.clock("advance", "2h1m")
            let asked = try await world.awaitPublished(OutboundCapture.messages, count: 1)
            let text = [asked.first?.string("subject"), asked.first?.string("body")].compactMap { $0 }.joined(separator: "\n")
            #expect(CustomerWording.forbiddenWords(in: text) == [], "\(text)")
            #expect(!text.lowercased().contains("stolen_card"))
            #expect(text.contains("Your bank declined the payment."))
            #expect(text.contains("https://pay.example/in_1"))

            try await world.clock("advance", "30d")
            try await Task.sleep(for: .seconds(3))
            let later = try await world.published(OutboundCapture.commands)
            #expect(later.allSatisfy { $0.string("payment_method_id") != "pm_visa" })
            #expect(try await world.count("SELECT count(*) FROM recoup.payment_retries WHERE method_id = 'pm_visa'") == 0)
            try await world.stop()
        }
    }

    @Test("an invoice paid (or disputed) before its retry is due gets no retry command")
    func paidBeforeDue() async throws {
        try await Self.world("paid", invoices: ["in_1", "in_2"]) { world in
            try await world.publish([
                TestEvent.paymentFailed("py_p1", invoice: "in_1", account: "acc_1", at: "2026-12-02T09:00:00Z",
                                        method: TestEvent.visa, code: "insufficient_funds"),
                TestEvent.paymentFailed("py_p2", invoice: "in_2", account: "acc_1", at: "2026-12-02T09:00:00Z",
                                        method: ["id": "pm_other", "type": "card", "network": "visa"], code: "insufficient_funds"),
            ])
            try await world.waitForInbox(5)
            #expect(try await Self.retries(world, status: "scheduled") == 2)
            try await world.publish([
                TestEvent.invoicePaid("in_1", account: "acc_1", version: 2),
                TestEvent.make("dispute.opened", data: ["dispute_id": "dp_1", "invoice_id": "in_2", "account_id": "acc_1", "reason": "seats"]),
            ])
            try await world.waitForInbox(7)
            #expect(try await Self.retries(world, status: "cancelled") == 1, "paid: the retry is cancelled at once")

            try await world.clock("advance", "4d")
            try await world.waitUntil("the disputed invoice's retry is skipped at its time") {
                try await Self.retries(world, status: "skipped") == 1
            }
            try await Task.sleep(for: .seconds(2))
            #expect(try await world.published(OutboundCapture.commands).isEmpty)
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.audit_log WHERE kind = 'payment.retry.skipped' AND detail->>'reason' = 'disputed'
                """) == 1)
            #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'payment.retries_cancelled'") == 1)
            try await world.stop()
        }
    }

    @Test("an unauthorized ACH return stops retries and raises an escalation with context")
    func unauthorizedReturn() async throws {
        // Due yesterday; the clock stands before today's 10:00 journey touch.
        try await Self.world("ach", clock: "2026-12-02T08:30:00Z", dueDate: "2026-12-01") { world in
            try await world.publish([TestEvent.paymentFailed("py_a", invoice: "in_1", account: "acc_1", at: "2026-12-02T08:00:00Z",
                                                             method: ["id": "pm_ach", "type": "ach_debit"], code: "R10", scheme: "nacha")])
            let raised = try await world.awaitPublished(OutboundCapture.escalations, count: 1)
            let escalation = try #require(raised.first)
            #expect(escalation.type == "escalation.raised")
            #expect(escalation.delivery.routingKey == "escalation.collector")
            #expect(escalation.string("rule") == "nacha.unauthorized.stop")
            #expect(escalation.data["invoice_ids"] == .array([.string("in_1")]))
            #expect(escalation.data["context"]?["days_overdue"]?.int64Value == 1)
            #expect(escalation.data["context"]?["open_balance_minor"]?.int64Value == 120_000)
            #expect(escalation.data["context"]?["payments"]?.arrayValue?.count == 1)
            #expect(escalation.string("recommended_action")?.isEmpty == false)
            #expect(try await world.count("SELECT count(*) FROM recoup.payment_retries") == 0)
            #expect(try await world.published(OutboundCapture.messages).isEmpty, "a person talks to the customer")
            try await world.stop()
        }
    }

    @Test("retries that fall due while the broker is down are published once it is back, each exactly once")
    func brokerOutage() async throws {
        let broker = try await ScratchBroker.start(name: "outage")
        do {
            try await Self.world("outage", broker: broker, invoices: ["in_1", "in_2", "in_3"]) { world in
                try await world.publish((1...3).map { n in
                    TestEvent.paymentFailed("py_o\(n)", invoice: "in_\(n)", account: "acc_1", at: "2026-12-02T09:00:00Z",
                                            method: ["id": "pm_o\(n)", "type": "card", "network": "visa"], code: "insufficient_funds")
                })
                try await world.waitForInbox(7)
                #expect(try await Self.retries(world, status: "scheduled") == 3)

                try await broker.stop()
                try await world.clock("advance", "3d1h")
                try await world.waitUntil("the retries to fall due with the broker down") {
                    try await Self.retries(world, status: "requested") == 3
                }
                try await Task.sleep(for: .seconds(2))
                #expect(try await world.count("SELECT count(*) FROM recoup.outbox WHERE published_at IS NULL AND message_type = 'payment.retry.requested'") == 3)

                try await broker.startAgain()
                try await world.waitUntil("the outbox to drain", timeout: .seconds(90)) {
                    try await world.count("SELECT count(*) FROM recoup.outbox WHERE published_at IS NULL") == 0
                }
                let reader = world.admin  // reconnects on its next call
                let deadline = ContinuousClock.now + .seconds(30)
                var commands: [AMQPDelivery] = []
                while ContinuousClock.now < deadline, commands.count < 3 {
                    if let delivery = try await reader.get(queue: OutboundCapture.commands) {
                        commands.append(delivery)
                        try await reader.ack(delivery)
                    } else {
                        try await Task.sleep(for: .milliseconds(200))
                    }
                }
                try await Task.sleep(for: .seconds(2))
                while let extra = try await reader.get(queue: OutboundCapture.commands) {
                    commands.append(extra)
                    try await reader.ack(extra)
                }
                let ids = commands.compactMap(\.properties.messageID)
                #expect(ids.count == 3, "\(ids)")
                #expect(Set(ids).count == 3, "each retry exactly once: \(ids)")
                let expected = try await world.query { connection in
                    Set(try connection.query("SELECT retry_id FROM recoup.payment_retries").map { try $0.decode(String.self, at: 0) })
                }
                #expect(Set(ids) == expected)
                try await world.stop()
            }
        } catch {
            await broker.destroy()
            throw error
        }
        await broker.destroy()
    }
}

/// Codes the taxonomy does not know are planned, counted and logged — and the log carries the
/// code, never the customer's address or name.
@Suite("Unknown decline codes, end to end")
struct UnknownDeclineTests {
    @Test("an unknown code is planned conservatively, counted, and logged without personal data")
    func unknownCode() async throws {
        try await DaemonHarness.with(name: "unknown", clock: "controlled") { world in
            try await world.captureOutbound()
            try await world.startMigrated()
            try await world.clock("set", PaymentFailureEndToEndTests.start)
            try await world.publish([
                TestEvent.account("acc_u", email: "someone.private@example.test", firstName: "Privatename"),
                TestEvent.invoice("in_u", account: "acc_u"),
                TestEvent.paymentFailed("py_u", invoice: "in_u", account: "acc_u", at: "2026-12-02T09:00:00Z",
                                        method: TestEvent.visa, code: "xq_never_seen", scheme: nil),
            ])
            try await world.waitForInbox(3)
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.audit_log
                 WHERE event_id = 'evt_py_u' AND kind = 'payment.planned' AND detail->>'category' = 'unknown' AND detail->>'known_code' = 'false'
                """) == 1)
            #expect(try await world.count("SELECT count(*) FROM recoup.payment_failures WHERE category = 'unknown' AND known_code = false") == 1)
            #expect(try await world.count("SELECT count(*) FROM recoup.payment_retries WHERE status = 'scheduled'") == 1,
                    "one cautious retry")
            try await world.stop()
            let log = world.allLogText
            #expect(log.contains("unknown decline code"))
            #expect(log.contains("xq_never_seen"))
            #expect(log.contains("recoup_decline_codes_unknown_total"), "the count is reported")
            #expect(!log.contains("someone.private"), "no email addresses in logs")
            #expect(!log.contains("Privatename"), "no names in logs")
        }
    }
}

/// Two `recoupd` instances on one database and broker: every retry is planned once, fired once
/// and published once, in order per account.
@Suite("Payment retries with two instances, end to end")
struct TwoInstanceRetryTests {
    @Test("20 failures over 5 accounts, two daemons: 20 retries, each published once, each account's in order")
    func twoInstances() async throws {
        try await DaemonHarness.with(name: "twin", clock: "controlled") { world in
            try await world.captureOutbound()
            try await world.startMigrated()
            try world.startAnother()
            try await world.clock("set", PaymentFailureEndToEndTests.start)
            var events: [TestEvent] = []
            for account in 0..<5 {
                events.append(TestEvent.account("acc_t\(account)"))
                for n in 0..<4 {
                    events.append(TestEvent.invoice("in_t\(account)_\(n)", account: "acc_t\(account)"))
                    // Later invoices fail a little later, so each account's retries fall due in order.
                    events.append(TestEvent.paymentFailed(
                        "py_t\(account)_\(n)", invoice: "in_t\(account)_\(n)", account: "acc_t\(account)",
                        at: "2026-12-02T09:0\(n):00Z", method: ["id": "pm_t\(account)_\(n)", "type": "card", "network": "visa"],
                        code: "insufficient_funds"))
                }
            }
            try await world.publish(events)
            try await world.waitForInbox(events.count)
            #expect(try await world.count("SELECT count(*) FROM recoup.payment_retries WHERE status = 'scheduled'") == 20)

            try await world.clock("advance", "3d1h")
            let commands = try await world.awaitPublished(OutboundCapture.commands, count: 20, timeout: .seconds(60))
            try await Task.sleep(for: .seconds(3))
            let late = try await world.published(OutboundCapture.commands)
            let all = commands + late
            let ids = all.compactMap { $0.string("retry_id") }
            #expect(ids.count == 20, "\(ids.count) commands")
            #expect(Set(ids).count == 20, "no retry twice")
            #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'payment.retry.requested'") == 20)
            for account in 0..<5 {
                let order = all.filter { $0.string("account_id") == "acc_t\(account)" }.compactMap { $0.string("payment_method_id") }
                #expect(order == (0..<4).map { "pm_t\(account)_\($0)" }, "acc_t\(account): \(order)")
            }
            try await world.stop()
        }
    }
}

/// SIGHUP reloads the policy files: a valid change applies to the next failure, a broken file
/// is refused with its line and the running policy stays.
@Suite("Policy reload on SIGHUP, end to end")
struct PolicyReloadTests {
    @Test("a changed retry schedule applies after SIGHUP; a broken file is refused and the old policy stays")
    func reload() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recoup-reload-\(UUID().uuidString.prefix(8))")
        try FileManager.default.copyItem(at: TestEnvironment.repositoryRoot.appendingPathComponent("Config"), to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let policyFile = folder.appendingPathComponent("payments/retry-policy.yaml")
        let original = try String(contentsOf: policyFile, encoding: .utf8)

        try await DaemonHarness.with(name: "reload", clock: "controlled", policyDirectory: folder.path) { world in
            try await world.startMigrated()
            try await world.clock("set", PaymentFailureEndToEndTests.start)
            func fail(_ id: String) async throws -> String {
                try await world.publish([TestEvent.paymentFailed(id, invoice: "in_\(id)", account: "acc_r", at: "2026-12-02T09:00:00Z",
                                                                 method: ["id": "pm_\(id)", "type": "card", "network": "visa"],
                                                                 code: "insufficient_funds")])
                try await world.waitUntil("the plan for \(id)") {
                    (try? await world.count("SELECT count(*) FROM recoup.payment_retries WHERE caused_by = $1", ["evt_\(id)"])) == 1
                }
                return try await PaymentFailureEndToEndTests.dueAt(world, causedBy: "evt_\(id)")
            }
            #expect(try await fail("r1") == "2026-12-05T09:00:00Z", "+3d as shipped")

            let faster = original.replacingOccurrences(of: "retry_after: [3d, 5d, 7d]", with: "retry_after: [1d, 5d, 7d]")
            #expect(faster != original)
            try faster.write(to: policyFile, atomically: true, encoding: .utf8)
            try world.signal(SIGHUP)
            try await world.waitUntil("the reload") { world.allLogText.contains("policy reloaded") }
            #expect(try await fail("r2") == "2026-12-03T09:00:00Z", "+1d after the reload")

            let broken = faster.replacingOccurrences(of: "backup: when_exhausted, notify_from_failure: 2}", with: "backup: soon}")
            try broken.write(to: policyFile, atomically: true, encoding: .utf8)
            try world.signal(SIGHUP)
            try await world.waitUntil("the refusal") { world.allLogText.contains("policy reload refused") }
            #expect(world.allLogText.contains("retry-policy.yaml:"), "the refusal names the file and line")
            #expect(try await fail("r3") == "2026-12-03T09:00:00Z", "the running policy stays")
            #expect(world.isRunning)
            try await world.stop()
        }
    }
}

/// Payment-failure notices keep the contact rules: quiet hours in the account's time zone defer
/// a notice to the next morning, never drop it.
@Suite("Payment notices and quiet hours, end to end")
struct NoticeQuietHoursTests {
    @Test("a notice due at 21:30 local goes out at 08:00 the next morning")
    func deferredToMorning() async throws {
        try await DaemonHarness.with(name: "quiet", clock: "controlled") { world in
            try await world.captureOutbound()
            try await world.startMigrated()
            try await world.clock("set", "2026-12-02T21:30:00Z")
            try await world.publish([TestEvent.account("acc_q", timezone: "UTC"), TestEvent.invoice("in_q", account: "acc_q"),
                                     TestEvent.paymentFailed("py_q", invoice: "in_q", account: "acc_q", at: "2026-12-02T21:29:00Z",
                                                             method: TestEvent.visa, code: "expired_card")])
            try await world.waitForInbox(3)
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.audit_log WHERE kind = 'notice.deferred' AND rule = 'quiet_hours.messages'
                   AND detail->>'until' = '2026-12-03T08:00:00Z'
                """) == 1)
            try await Task.sleep(for: .seconds(2))
            #expect(try await world.published(OutboundCapture.messages).isEmpty, "not at night")
            try await world.clock("advance", "10h31m")    // 08:01
            let sent = try await world.awaitPublished(OutboundCapture.messages, count: 1)
            #expect(sent.first?.string("stage") == "payment_failed")
            #expect(try await world.count("SELECT count(*) FROM recoup.contact_log WHERE account_id = 'acc_q'") == 1)
            try await world.stop()
        }
    }
}
