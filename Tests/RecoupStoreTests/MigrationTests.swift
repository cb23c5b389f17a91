import Foundation
import Logging
import Postgres
import RecoupCore
import Testing
import TestSupport
@testable import RecoupStore

/// Migrations against the real local PostgreSQL, each test in a database of its own.
@Suite("Migrations")
struct MigrationTests {
    static let logger = Logger(label: "test.migrations")

    static func withDatabase(_ body: (_ owner: PostgresPool, _ app: PostgresPool) async throws -> Void) async throws {
        // psql runs off the cooperative pool: blocking one of its few threads stalls every test.
        let database = try await TestEnvironment.offPool { try TestEnvironment.makeDatabase(prefix: "mig") }
        let owner = PostgresPool(configuration: PostgresConfiguration(
            url: TestEnvironment.postgresURL(database: database, user: "recoup_owner"), poolSize: 2), logger: logger)
        let app = PostgresPool(configuration: PostgresConfiguration(
            url: TestEnvironment.postgresURL(database: database, user: "recoup_app"), poolSize: 1), logger: logger)
        do {
            try await body(owner, app)
        } catch {
            await owner.close(); await app.close()
            _ = try? await TestEnvironment.offPool { try TestEnvironment.dropDatabase(database) }
            throw error
        }
        await owner.close(); await app.close()
        try await TestEnvironment.offPool { try TestEnvironment.dropDatabase(database) }
    }

    /// `withDatabase` with every migration applied, the app role granted: where most store tests start.
    static func withMigratedDatabase(_ body: (_ owner: PostgresPool, _ app: PostgresPool) async throws -> Void) async throws {
        try await withDatabase { owner, app in
            _ = try await Migrator(logger: logger).migrate(pool: owner, appRole: "recoup_app")
            try await body(owner, app)
        }
    }

    @Test("migrating twice applies once; the version is the build's latest")
    func idempotent() async throws {
        try await Self.withDatabase { owner, _ in
            let migrator = Migrator(logger: Self.logger)
            let first = try await migrator.migrate(pool: owner, appRole: "recoup_app")
            #expect(first.appliedVersions == Migration.all.map(\.version))
            let second = try await migrator.migrate(pool: owner, appRole: "recoup_app")
            #expect(second.appliedVersions.isEmpty)
            #expect(second.currentVersion == Migration.latestVersion)
            #expect(try await Migrator.currentVersion(pool: owner) == Migration.latestVersion)
        }
    }

    @Test("four instances migrating at once: each migration applied exactly once, nobody fails")
    func concurrent() async throws {
        try await Self.withDatabase { owner, _ in
            let database = try await owner.withConnection { try $0.query("SELECT current_database()").first!.decode(String.self, at: 0) }
            let reports = try await withThrowingTaskGroup(of: Migrator.Report.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let pool = PostgresPool(configuration: PostgresConfiguration(
                            url: TestEnvironment.postgresURL(database: database, user: "recoup_owner"), poolSize: 1), logger: Self.logger)
                        do {
                            let report = try await Migrator(logger: Self.logger).migrate(pool: pool, appRole: "recoup_app")
                            await pool.close()
                            return report
                        } catch {
                            await pool.close()
                            throw error
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(reports.flatMap(\.appliedVersions).sorted() == Migration.all.map(\.version))
            let rows = try await owner.withConnection { try $0.query("SELECT count(*) FROM recoup.schema_migrations").first!.decode(Int.self, at: 0) }
            #expect(rows == Migration.all.count)
        }
    }

    @Test("the application role can append to the audit log but not change or delete it")
    func auditAppendOnly() async throws {
        try await MigrationTests.withMigratedDatabase { owner, app in
            try await app.withConnection { connection in
                try AuditLog.append(kind: "test", at: Date(), accountID: "acc", invoiceID: nil, eventID: "e1",
                                    rule: nil, detail: .object(["k": .string("v")]), connection)
            }
            for statement in ["UPDATE recoup.audit_log SET kind = 'x'", "DELETE FROM recoup.audit_log", "TRUNCATE recoup.audit_log"] {
                await #expect(throws: PostgresError.self, "\(statement) as the app role") {
                    try await app.withConnection { try $0.execute(statement) }
                }
                let error = await #expect(throws: PostgresError.self, "\(statement) as the owner") {
                    try await owner.withConnection { try $0.execute(statement) }
                }
                #expect(error?.sqlState == "42501")
            }
            let count = try await owner.withConnection { try $0.query("SELECT count(*), min(kind) FROM recoup.audit_log").first! }
            #expect(try count.decode(Int.self, at: 0) == 1)
            #expect(try count.decode(String.self, at: 1) == "test")
        }
    }

    @Test("an unknown application role is a clear error; a hostile one is refused before SQL")
    func roles() async throws {
        try await Self.withDatabase { owner, _ in
            await #expect(throws: Migrator.Failure.self) {
                _ = try await Migrator(logger: Self.logger).migrate(pool: owner, appRole: "no_such_role_here")
            }
            do {
                _ = try await Migrator(logger: Self.logger).migrate(pool: owner, appRole: "x\"; DROP TABLE y; --")
                Issue.record("a hostile role name must be refused")
            } catch let failure as Migrator.Failure {
                #expect("\(failure)".contains("not a plain SQL identifier"))
            }
        }
    }
}
