import Foundation
import RecoupCore
import Testing
import TestSupport

/// The operator CLI as operators run it: the real binary against the local servers.
@Suite("recoupctl, end to end", .serialized)
struct RecoupctlTests {
    @Test("migrate, config check, and a broken file pointing at its line")
    func migrateAndConfig() async throws {
        try await DaemonHarness.with(name: "ctl") { world in
            let migrate = try await world.recoupctl(["migrate"])
            #expect(migrate.status == 0, "\(migrate.err)")
            #expect(migrate.out.contains("schema is current"))
            #expect(try await world.count("SELECT count(*) FROM recoup.schema_migrations") >= 1)

            let check = try await world.recoupctl(["config", "check"])
            #expect(check.status == 0, "\(check.err)")
            #expect(check.out.contains(": OK"))
            #expect(check.out.contains("***"))
            #expect(!check.out.contains("recoup_app:recoup_app"), "passwords are masked")

            let broken = world.directory.appendingPathComponent("broken.yaml").path
            try "amqp:\n  url: amqp://x\npostgres:\n  url: postgresql://x\n  pool_size: many\n".write(toFile: broken, atomically: true, encoding: .utf8)
            let bad = try await world.recoupctl(["config", "check"], config: broken)
            #expect(bad.status != 0)
            #expect(bad.err.contains("broken.yaml:5"), "\(bad.err)")
            #expect(bad.err.contains("postgres.pool_size"))
        }
    }

    @Test("clock set and advance move the controlled clock; a system clock refuses")
    func clock() async throws {
        try await DaemonHarness.with(name: "clk") { world in
            #expect(try await world.recoupctl(["migrate"]).status == 0)
            let refused = try await world.recoupctl(["clock", "set", "2026-12-01T09:00:00Z"])
            #expect(refused.status != 0)
            #expect(refused.err.contains("clock: controlled"), "\(refused.err)")
        }
        try await DaemonHarness.with(name: "clk", clock: "controlled") { world in
            #expect(try await world.recoupctl(["migrate"]).status == 0)
            let set = try await world.recoupctl(["clock", "set", "2026-12-01T09:00:00Z"])
            #expect(set.status == 0, "\(set.err)")
            #expect(set.out.contains("2026-12-01T09:00:00Z"))
            let advanced = try await world.recoupctl(["clock", "advance", "1d12h"])
            #expect(advanced.status == 0, "\(advanced.err)")
            #expect(advanced.out.contains("2026-12-02T21:00:00Z"))
            #expect(try await world.recoupctl(["clock", "show"]).out.contains("2026-12-02T21:00:00Z"))
            let nonsense = try await world.recoupctl(["clock", "advance", "soon"])
            #expect(nonsense.status != 0)
            #expect(nonsense.err.contains("soon"))

            // recoupd records events at the controlled time.
            try world.start()
            try await world.publish([TestEvent.accountUpdated("acc_clock", version: 1)])
            try await world.waitForInbox(1)
            #expect(try await world.count("SELECT count(*) FROM recoup.inbox WHERE processed_at = '2026-12-02T21:00:00Z'") == 1)
            try await world.stop()
        }
    }

    @Test("publish-sample: recoupd turns the scenario into state and audit rows, and dead-letters the bad one")
    func publishSample() async throws {
        try await DaemonHarness.with(name: "sample") { world in
            try world.start()
            let published = try await world.recoupctl(["publish-sample"])
            #expect(published.status == 0, "\(published.err)")
            #expect(published.out.contains("10 events published"))
            try await world.waitForInbox(9)
            try await world.waitUntil("the bad sample in the dead-letter queue") {
                try await world.admin.messageCount(queue: "recoup.invoices.dlq") == 1
            }
            #expect(try await world.count("SELECT count(*) FROM recoup.invoices") == 3)
            #expect(try await world.count("SELECT count(*) FROM recoup.invoices WHERE status = 'paid' AND number IS NOT NULL") == 1)
            // One row per event, plus the plan for the sample's failed payment.
            #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind LIKE 'event.%'") == 9)
            #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'payment.planned'") == 1)
            #expect(try await world.count("SELECT count(*) FROM recoup.payment_retries WHERE status = 'scheduled'") == 1)
            #expect(try await world.count("SELECT count(*) FROM recoup.disputes WHERE status = 'open'") == 1)
            try await world.stop()
        }
    }
}

/// `recoupctl classify-reply`: JSON lines in, JSON lines out, as support engineers pipe them.
@Suite("recoupctl classify-reply")
struct ClassifyReplyCommandTests {
    @Test("each line classified in the customer's calendar; a bad line answered with an error, not a crash")
    func classifiesLines() async throws {
        let input = """
            {"id":"r1","text":"We'll pay on the 14th.","received_at":"2026-12-02T10:00:00Z","timezone":"America/New_York"}
            {"id":"r2","text":"STOP","received_at":"2026-12-02T10:00:00Z","timezone":"UTC","channel":"sms"}
            not json
            {"id":"r3","text":"The invoice lists 50 seats but we downgraded to 20.","received_at":"2026-12-03T23:30:00Z","timezone":"Asia/Kolkata"}
            {"id":"r4","text":"we pay tomorrow","received_at":"2026-12-03T23:30:00Z","timezone":"Asia/Kolkata"}

            """
        let result = try await TestEnvironment.offPool {
            try TestEnvironment.capture(DaemonHarness.binDirectory.appendingPathComponent("recoupctl"), ["classify-reply"], input: input)
        }
        #expect(result.status == 0, "\(result.err)")
        let lines = try result.out.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
        #expect(lines.count == 5, "one answer per non-empty line")
        #expect(lines.map { $0["id"]?.stringValue } == ["r1", "r2", nil, "r3", "r4"])
        #expect(lines.map { $0["class"]?.stringValue } == ["promise_to_pay", "opt_out", nil, "dispute", "promise_to_pay"])
        #expect(lines[0]["promised_date"]?.stringValue == "2026-12-14")
        #expect(lines[2]["error"]?.stringValue != nil)
        #expect(lines[4]["promised_date"]?.stringValue == "2026-12-05", "23:30 UTC is already the 4th in Kolkata")
        #expect(lines[3]["why"]?.arrayValue?.isEmpty == false)
        if case .number(let confidence)? = lines[1]["confidence"] { #expect((confidence.doubleValue ?? 0) >= 0.95) }
        else { Issue.record("confidence is a number") }
    }

    @Test("--score measures labelled lines: the per-class table, dates and misses")
    func scoresLabelledLines() async throws {
        let input = """
            {"id":"s1","text":"We'll pay on the 14th.","received_at":"2026-12-02T10:00:00Z","timezone":"UTC","class":"promise_to_pay","promised_date":"2026-12-14"}
            {"id":"s2","text":"STOP","channel":"sms","received_at":"2026-12-02T10:00:00Z","timezone":"UTC","class":"opt_out"}
            {"id":"s3","text":"Thanks, got it.","received_at":"2026-12-02T10:00:00Z","timezone":"UTC","class":"question"}
            """
        let result = try await TestEnvironment.offPool {
            try TestEnvironment.capture(DaemonHarness.binDirectory.appendingPathComponent("recoupctl"),
                                        ["classify-reply", "--score"], input: input + "\n")
        }
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("3 labelled replies"))
        #expect(result.out.contains("accuracy 0.667"), "\(result.out)")
        #expect(result.out.contains("promise dates: 1 of 1 right"))
        #expect(result.out.contains("miss s3: expected question, got acknowledgement"))
    }
}
