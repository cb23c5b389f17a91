import Foundation
import RecoupCore
import Testing
import TestSupport

/// `recoupctl audit verify` as operators run it: the real binaries, a daemon's own audit rows,
/// then a row changed behind the daemon's back.
@Suite("recoupctl audit verify, end to end", .serialized)
struct AuditVerifyCommandTests {
    @Test("intact after recoupd's work (exit 0); a changed row is named (exit 1), without its detail")
    func verifyAndTamper() async throws {
        try await DaemonHarness.with(name: "audit") { world in
            try world.start()
            try await world.publish([
                TestEvent.accountUpdated("acc_a", version: 1, name: "Secret Name"),
                TestEvent.invoiceCreated("in_a", account: "acc_a"),
                TestEvent.accountUpdated("acc_b", version: 1),
                TestEvent.invoicePaid("in_a", account: "acc_a", version: 2),
            ])
            try await world.waitForInbox(4)
            try await world.stop()
            let rows = try await world.count("SELECT count(*) FROM recoup.audit_log")
            #expect(rows >= 4)

            let intact = try await world.recoupctl(["audit", "verify"])
            #expect(intact.status == 0, "\(intact.out)\(intact.err)")
            #expect(intact.out.contains("audit chain intact: \(rows) rows in 2 chains checked"), "\(intact.out)")

            let victim = try await world.count("""
                SELECT audit_id FROM recoup.audit_log WHERE account_id = 'acc_a' ORDER BY chain_seq OFFSET 1 LIMIT 1
                """)
            let tamper = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", TestEnvironment.postgresSuperuserURL(database: world.database),
                          "-c", "SET session_replication_role = replica; UPDATE recoup.audit_log SET detail = '{\"note\": \"Secret Name\"}' WHERE audit_id = \(victim)"]
            _ = try await TestEnvironment.offPool { try TestEnvironment.run(tamper) }

            let broken = try await world.recoupctl(["audit", "verify"])
            #expect(broken.status == 1, "\(broken.out)\(broken.err)")
            let line = broken.out.trimmingCharacters(in: .newlines)
            #expect(!line.contains("\n"), "one line")
            #expect(line.contains("BROKEN at audit_id \(victim) (chain a:acc_a, seq 2"), "\(line)")
            #expect(line.contains("row changed"))
            #expect(!broken.out.contains("Secret") && !broken.err.contains("Secret"), "detail contents are never printed")

            let json = try await world.recoupctl(["audit", "verify", "--json"])
            #expect(json.status == 1)
            let report = try JSONParser.parse(Array(json.out.utf8))
            #expect(report["intact"]?.boolValue == false)
            #expect(report["first_break"]?["audit_id"]?.int64Value == Int64(victim))
            #expect(report["first_break"]?["problem"]?.stringValue == "row_changed")

            let other = try await world.recoupctl(["audit", "verify", "--account", "acc_b", "--json"])
            #expect(other.status == 0, "\(other.out)\(other.err)")
            #expect(try JSONParser.parse(Array(other.out.utf8))["chains_checked"]?.int64Value == 1)
        }
    }

    @Test("a database it cannot reach: exit 2, not a verdict")
    func unreachable() async throws {
        try await DaemonHarness.with(name: "auditx") { world in
            let broken = world.directory.appendingPathComponent("unreachable.yaml").path
            let text = try String(contentsOfFile: world.configPath, encoding: .utf8)
                .replacingOccurrences(of: "/\(world.database)", with: "/no_such_database_here")
            try text.write(toFile: broken, atomically: true, encoding: .utf8)
            let result = try await world.recoupctl(["audit", "verify"], config: broken)
            #expect(result.status == 2, "\(result.out)\(result.err)")
            #expect(result.err.contains("could not run"))
        }
    }
}
