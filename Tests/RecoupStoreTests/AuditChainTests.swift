import Foundation
import Logging
import Postgres
import PropertySupport
import RecoupCore
import Testing
import TestSupport
@testable import RecoupStore

/// The audit hash chain (migration 6) against the real local PostgreSQL: written by the
/// trigger as the app role, checked by `AuditChain.verify`, tampered with as the superuser.
@Suite("Audit chain")
struct AuditChainTests {
    /// A migrated database, its app and owner pools, and a superuser who can tamper.
    struct World {
        let owner: PostgresPool
        let app: PostgresPool
        let database: String

        /// Appends one row as the daemon does, in a transaction of its own; returns its audit_id.
        @discardableResult
        func append(_ account: String?, kind: String = "event.applied", detail: JSONValue = .object(["n": .int(1)]),
                    invoice: String? = "inv_1", rule: String? = nil) async throws -> Int64 {
            try await app.transaction { connection in
                try AuditLog.append(kind: kind, at: Date(), accountID: account, invoiceID: invoice, eventID: "evt",
                                    rule: rule, detail: detail, connection)
                return try connection.query("SELECT currval('recoup.audit_log_audit_id_seq')").first!.decode(Int64.self, at: 0)
            }
        }

        /// Runs SQL as the superuser with triggers off (as an attacker with those rights could).
        func tamper(_ sql: String) async throws {
            let arguments = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", TestEnvironment.postgresSuperuserURL(database: database),
                             "-c", "SET session_replication_role = replica; \(sql)"]
            _ = try await TestEnvironment.offPool { try TestEnvironment.run(arguments) }
        }

        func verify(account: String? = nil, batchSize: Int = 500) async throws -> AuditChain.Report {
            try await AuditChain.verify(accountID: account, batchSize: batchSize, pool: app)
        }

        func scalar<T: PostgresDecodable & Sendable>(_ sql: String, _ type: T.Type = T.self) async throws -> T {
            try await owner.withConnection { try $0.query(sql).first!.decode(T.self, at: 0) }
        }
    }

    static func withWorld(migrations: [Migration] = Migration.all, _ body: (World) async throws -> Void) async throws {
        try await MigrationTests.withDatabase { owner, app in
            _ = try await Migrator(migrations: migrations, logger: MigrationTests.logger).migrate(pool: owner, appRole: "recoup_app")
            let database = try await owner.withConnection { try $0.query("SELECT current_database()").first!.decode(String.self, at: 0) }
            try await body(World(owner: owner, app: app, database: database))
        }
    }

    /// Three accounts and the global chain, with awkward values: NULL next to '', unicode, quotes.
    static func fill(_ world: World) async throws -> [Int64] {
        var ids: [Int64] = []
        for round in 0..<4 {
            ids.append(try await world.append("acc_1", detail: .object(["round": .int(Int64(round)), "text": .string("Zoë \"quoted\" ☃")])))
            ids.append(try await world.append("acc_2", invoice: round.isMultiple(of: 2) ? nil : ""))
            ids.append(try await world.append(nil, kind: "timer.failed", rule: "timer.max_attempts"))
            ids.append(try await world.append("", kind: "odd.account", rule: ""))
        }
        return ids
    }

    @Test("an intact log verifies, whole, one account at a time, and in tiny batches")
    func intact() async throws {
        try await Self.withWorld { world in
            _ = try await Self.fill(world)
            let report = try await world.verify()
            #expect(report.isIntact, "\(report.summary)")
            #expect(report.rowsChecked == 16)
            #expect(report.chainsChecked == 4, "acc_1, acc_2, the account '' and the global chain")
            #expect(try await world.verify(batchSize: 3) == report)
            let one = try await world.verify(account: "acc_2", batchSize: 2)
            #expect(one.isIntact && one.rowsChecked == 4 && one.chainsChecked == 1)
            #expect(try await world.verify(account: "nobody").rowsChecked == 0)
            #expect(report.summary == "audit chain intact: 16 rows in 4 chains checked")
        }
    }

    @Test("the Swift hash of every row equals the trigger's, and each chain starts from the zero hash")
    func swiftMatchesTrigger() async throws {
        try await Self.withWorld { world in
            _ = try await Self.fill(world)
            let firsts = try await world.scalar("SELECT count(*) FROM recoup.audit_log WHERE chain_seq = 1 AND prev_hash = '\\x\(String(repeating: "00", count: 32))'", Int.self)
            #expect(firsts == 4)
            let rows = try await world.owner.withConnection { connection in
                try connection.query("SELECT \(AuditChainRow.selectList) FROM recoup.audit_log a ORDER BY audit_id")
                    .map { try AuditChainRow(row: $0, at: 0) }
            }
            #expect(rows.count == 16)
            for row in rows { #expect(row.expectedHash == row.rowHash, "audit_id \(row.auditID)") }
        }
    }

    @Test("a changed detail names exactly that row")
    func changedRow() async throws {
        try await Self.withWorld { world in
            let ids = try await Self.fill(world)
            try await world.tamper("UPDATE recoup.audit_log SET detail = '{\"round\": 9}' WHERE audit_id = \(ids[4])")
            let report = try await world.verify()
            #expect(report.firstBreak == AuditChain.Break(auditID: ids[4], chain: "a:acc_1", chainSeq: 2, kind: "event.applied",
                                                          problem: .rowChanged))
            #expect(!report.summary.contains("round"), "detail contents are never shown")
            #expect(try await world.verify(account: "acc_2").isIntact, "other chains still verify")
        }
    }

    /// (deleted, named next row, its seq, the seq expected there), indexes into `fill`'s ids.
    static let deletions = [(5, 9, Int64(3), Int64(2)), (0, 4, 2, 1)]

    @Test("a deleted middle or first row: the next row names the gap", arguments: deletions)
    func deletedRow(deleted: Int, named: Int, seq: Int64, expected: Int64) async throws {
        try await Self.withWorld { world in
            let ids = try await Self.fill(world)
            try await world.tamper("DELETE FROM recoup.audit_log WHERE audit_id = \(ids[deleted])")
            let broken = try #require(try await world.verify().firstBreak)
            #expect(broken.auditID == ids[named])
            #expect(broken.chainSeq == seq)
            #expect(broken.problem == .previousRowMissing(expectedSeq: expected))
        }
    }

    @Test("a deleted newest row: the head no longer matches, and names the missing row")
    func deletedNewest() async throws {
        try await Self.withWorld { world in
            let ids = try await Self.fill(world)
            try await world.tamper("DELETE FROM recoup.audit_log WHERE audit_id = \(ids[13])") // acc_2's newest, seq 4
            let report = try await world.verify()
            #expect(report.firstBreak == AuditChain.Break(auditID: ids[13], chain: "a:acc_2", chainSeq: 4, kind: nil,
                                                          problem: .headMismatch(lastSeq: 3, lastAuditID: ids[9])))
            #expect(report.summary.contains("audit_id \(ids[13])"))
        }
    }

    @Test("a whole chain deleted leaves a head without rows")
    func deletedChain() async throws {
        try await Self.withWorld { world in
            let ids = try await Self.fill(world)
            try await world.tamper("DELETE FROM recoup.audit_log WHERE account_id = 'acc_2'")
            let broken = try #require(try await world.verify().firstBreak)
            #expect(broken.chain == "a:acc_2" && broken.auditID == ids[13] && broken.chainSeq == 4)
            #expect(broken.problem == .headMismatch(lastSeq: nil, lastAuditID: nil))
        }
    }

    @Test("a row rewritten together with its own hash breaks the next row's link")
    func rewrittenWithHash() async throws {
        try await Self.withWorld { world in
            let ids = try await Self.fill(world)
            try await world.tamper("""
                UPDATE recoup.audit_log SET kind = 'event.forged', row_hash = recoup.audit_row_hash(prev_hash, chain_seq, audit_id,
                    occurred_at, recorded_at, account_id, invoice_id, event_id, 'event.forged', rule, detail)
                 WHERE audit_id = \(ids[4])
                """)
            let broken = try #require(try await world.verify().firstBreak)
            #expect(broken.auditID == ids[8])
            #expect(broken.chainSeq == 3)
            #expect(broken.problem == .linkBroken(previousAuditID: ids[4]))
        }
    }

    @Test("two rows swapped in place: caught as changed rows")
    func swapped() async throws {
        try await Self.withWorld { world in
            let ids = try await Self.fill(world)
            try await world.tamper("UPDATE recoup.audit_log SET chain_seq = -chain_seq WHERE audit_id IN (\(ids[0]), \(ids[4]))")
            try await world.tamper("UPDATE recoup.audit_log SET chain_seq = CASE WHEN audit_id = \(ids[0]) THEN 2 ELSE 1 END WHERE audit_id IN (\(ids[0]), \(ids[4]))")
            let broken = try #require(try await world.verify().firstBreak)
            #expect(broken.auditID == ids[4] && broken.problem == .rowChanged)
        }
    }

    @Test("the app role cannot write chain heads, and chain values it supplies are overwritten")
    func appRoleLimits() async throws {
        try await Self.withWorld { world in
            try await world.append("acc_1")
            for statement in ["UPDATE recoup.audit_chain_heads SET seq = 0", "DELETE FROM recoup.audit_chain_heads",
                              "INSERT INTO recoup.audit_chain_heads VALUES ('x', 1, '\\x00', 1)", "TRUNCATE recoup.audit_chain_heads"] {
                let error = await #expect(throws: PostgresError.self, "\(statement)") {
                    try await world.app.withConnection { try $0.execute(statement) }
                }
                #expect(error?.sqlState == "42501", "\(statement)")
            }
            _ = try await world.app.withConnection { connection in
                try connection.execute("""
                    INSERT INTO recoup.audit_log (occurred_at, account_id, kind, chain_seq, prev_hash, row_hash)
                    VALUES (now(), 'acc_1', 'forged', 99, '\\x01', '\\x02')
                    """)
            }
            #expect(try await world.scalar("SELECT max(chain_seq) FROM recoup.audit_log", Int.self) == 2)
            #expect(try await world.verify().isIntact)
        }
    }

    @Test("8 writers × 200 rows, on one shared account and on their own: intact while they write and after, seqs dense")
    func concurrentWriters() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in
            let database = try await owner.withConnection { try $0.query("SELECT current_database()").first!.decode(String.self, at: 0) }
            let app = PostgresPool(configuration: PostgresConfiguration(
                url: TestEnvironment.postgresURL(database: database, user: "recoup_app"), poolSize: 9), logger: MigrationTests.logger)
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<8 {
                        group.addTask {
                            for index in 0..<200 {
                                let account: String? = switch index % 4 { case 0, 1: "shared"; case 2: "own_\(writer)"; default: nil }
                                try await app.transaction { connection in
                                    try AuditLog.append(kind: "k", at: Date(), accountID: account, invoiceID: nil, eventID: "e\(writer).\(index)",
                                                        rule: nil, detail: .object(["i": .int(Int64(index))]), connection)
                                }
                            }
                        }
                    }
                    // Verifying while they write sees one snapshot: new rows never look like breaks.
                    for _ in 0..<5 {
                        let report = try await AuditChain.verify(batchSize: 50, pool: app)
                        #expect(report.isIntact, "\(report.summary)")
                    }
                    try await group.waitForAll()
                }
                let report = try await AuditChain.verify(batchSize: 97, pool: app)
                #expect(report.isIntact, "\(report.summary)")
                #expect(report.rowsChecked == 1600)
                #expect(report.chainsChecked == 10)
                let dense = try await owner.withConnection { connection in
                    try connection.query("""
                        SELECT count(*) FROM (SELECT coalesce('a:' || account_id, '') AS chain, count(*) AS n, max(chain_seq) AS top
                                                FROM recoup.audit_log GROUP BY 1) c
                          JOIN recoup.audit_chain_heads h USING (chain)
                         WHERE c.n = c.top AND h.seq = c.top
                        """).first!.decode(Int.self, at: 0)
                }
                #expect(dense == 10)
                #expect(try await owner.withConnection {
                    try $0.query("SELECT max(chain_seq) FROM recoup.audit_log WHERE account_id = 'shared'").first!.decode(Int.self, at: 0)
                } == 800)
            } catch {
                await app.close()
                throw error
            }
            await app.close()
        }
    }

    @Test("migration 6 chains the rows written under version 5, and new rows continue those chains")
    func backfill() async throws {
        try await Self.withWorld(migrations: Array(Migration.all.prefix(5))) { world in
            _ = try await Self.fill(world)
            _ = try await Migrator(logger: MigrationTests.logger).migrate(pool: world.owner, appRole: "recoup_app")
            let before = try await world.verify()
            #expect(before.isIntact, "\(before.summary)")
            #expect(before.rowsChecked == 16 && before.chainsChecked == 4)
            let next = try await world.append("acc_1")
            #expect(try await world.scalar("SELECT chain_seq FROM recoup.audit_log WHERE audit_id = \(next)", Int.self) == 5)
            #expect(try await world.verify().rowsChecked == 17)
            let oldest = try await world.scalar("SELECT min(audit_id) FROM recoup.audit_log", Int64.self)
            try await world.tamper("UPDATE recoup.audit_log SET rule = 'changed' WHERE audit_id = \(oldest)")
            #expect(try await world.verify().firstBreak?.auditID == oldest)
        }
    }

    @Test("property: the Swift SHA-256 agrees with PostgreSQL's sha256() on random messages")
    func sha256MatchesPostgres() async throws {
        try await Self.withWorld { world in
            var random = SeededGenerator(seed: 0x5AA256)
            let messages = (0..<300).map { _ in
                (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            let theirs = try await world.app.withConnection { connection in
                try messages.map { try connection.query("SELECT sha256($1::bytea)", [$0]).first!.decode([UInt8].self, at: 0) }
            }
            for (message, digest) in zip(messages, theirs) {
                #expect(SHA256.hash(message) == digest, "\(message.count) bytes: \(message.lowercaseHex)")
            }
        }
    }
}
