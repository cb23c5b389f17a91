import Foundation
import Testing

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
