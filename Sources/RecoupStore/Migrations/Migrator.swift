import Logging
import Postgres

/// Brings the database schema up to `Migration.latestVersion`.
///
/// Safe when several instances start at once: the whole run holds a session-level advisory
/// lock, so the second instance waits and then finds nothing to do.
public struct Migrator: Sendable {
    /// The advisory lock key every Recoup migrator agrees on.
    static let lockKey: Int64 = 0x5245_434F_5550 // "RECOUP"

    public let migrations: [Migration]
    public let logger: Logger

    public init(migrations: [Migration] = Migration.all, logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// What a run did.
    public struct Report: Sendable, Equatable {
        public var appliedVersions: [Int]
        public var currentVersion: Int
    }

    public enum Failure: Error, CustomStringConvertible {
        case invalidRoleName(String)
        case roleMissing(String)
        case schemaNewerThanBuild(database: Int, build: Int)
        case migrationFailed(version: Int, name: String, underlying: any Error)

        public var description: String {
            switch self {
            case .invalidRoleName(let role):
                "application role name \(role.debugDescription) is not a plain SQL identifier ([a-z_][a-z0-9_]*)"
            case .roleMissing(let role):
                "application role \(role) does not exist; create it first (Deploy/local-servers does for local servers)"
            case .schemaNewerThanBuild(let database, let build):
                "the database schema is at version \(database) but this build knows only up to \(build); deploy the newer build"
            case .migrationFailed(let version, let name, let underlying):
                "migration \(version) (\(name)) failed: \(underlying)"
            }
        }
    }

    /// Applies every pending migration, then grants `appRole` what the daemon needs (and only
    /// INSERT/SELECT on the audit log). Run as the schema owner.
    public func migrate(pool: PostgresPool, appRole: String?) async throws -> Report {
        if let appRole, !Self.isPlainIdentifier(appRole) { throw Failure.invalidRoleName(appRole) }
        let migrations = self.migrations
        let logger = self.logger
        return try await pool.withConnection { connection in
            _ = try connection.query("SELECT pg_advisory_lock($1)", [Self.lockKey])
            defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }

            try connection.executeScript("""
                CREATE SCHEMA IF NOT EXISTS recoup;
                CREATE TABLE IF NOT EXISTS recoup.schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                );
                """)
            let applied = Set(try connection.query("SELECT version FROM recoup.schema_migrations")
                .map { try $0.decode(Int.self, at: 0) })
            let build = migrations.last?.version ?? 0
            if let newest = applied.max(), newest > build {
                throw Failure.schemaNewerThanBuild(database: newest, build: build)
            }

            var report = Report(appliedVersions: [], currentVersion: applied.max() ?? 0)
            for migration in migrations where !applied.contains(migration.version) {
                do {
                    try connection.executeScript("BEGIN")
                    try connection.executeScript(migration.sql)
                    try connection.execute(
                        "INSERT INTO recoup.schema_migrations (version, name) VALUES ($1, $2)",
                        [migration.version, migration.name])
                    try connection.executeScript("COMMIT")
                } catch {
                    try? connection.executeScript("ROLLBACK")
                    throw Failure.migrationFailed(version: migration.version, name: migration.name, underlying: error)
                }
                logger.info("migration applied", metadata: [
                    "version": "\(migration.version)", "name": "\(migration.name)",
                ])
                report.appliedVersions.append(migration.version)
                report.currentVersion = migration.version
            }

            if let appRole {
                let exists = try connection.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [appRole])
                guard exists.count == 1 else { throw Failure.roleMissing(appRole) }
                let role = "\"\(appRole)\""
                try connection.executeScript("""
                    GRANT USAGE ON SCHEMA recoup TO \(role);
                    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA recoup TO \(role);
                    REVOKE UPDATE, DELETE, TRUNCATE ON recoup.audit_log FROM \(role);
                    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON recoup.schema_migrations FROM \(role);
                    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA recoup TO \(role);
                    """)
            }
            return report
        }
    }

    /// The schema version the database is at (0 when Recoup never migrated it).
    public static func currentVersion(pool: PostgresPool) async throws -> Int {
        try await pool.withConnection { connection in try currentVersion(connection) }
    }

    /// The schema version, read on `connection`.
    public static func currentVersion(_ connection: PostgresConnection) throws -> Int {
        let exists = try connection.query("SELECT to_regclass('recoup.schema_migrations') IS NOT NULL")
        guard try exists.first?.decode(Bool.self, at: 0) == true else { return 0 }
        let rows = try connection.query("SELECT coalesce(max(version), 0) FROM recoup.schema_migrations")
        return try rows.first?.decode(Int.self, at: 0) ?? 0
    }

    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        let lower = Set("abcdefghijklmnopqrstuvwxyz_".unicodeScalars)
        let rest = lower.union("0123456789".unicodeScalars)
        return lower.contains(first) && name.unicodeScalars.allSatisfy(rest.contains)
    }
}
