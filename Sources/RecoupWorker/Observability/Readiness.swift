import Postgres
import RecoupCore
import RecoupStore

/// Whether this daemon can do its work now: every broker connection up, the database reachable,
/// and its schema at the version this build needs. `/readyz` serves it; systemd's READY=1
/// waits for the broker part of it.
struct Readiness: Sendable {
    /// One broker connection the daemon needs (a consumer or a publisher).
    struct Connection: Sendable {
        let name: String
        let isConnected: @Sendable () -> Bool
    }

    let connections: [Connection]
    let pool: PostgresPool

    /// The answer, with each part so an operator sees what is missing.
    struct Report: Sendable {
        var broker: [(name: String, connected: Bool)]
        /// nil when the database could not be reached.
        var schemaVersion: Int?
        var databaseError: String?
        var requiredSchemaVersion: Int

        var brokerReady: Bool { broker.allSatisfy(\.connected) }
        var databaseReady: Bool { schemaVersion != nil }
        var schemaCurrent: Bool { schemaVersion == requiredSchemaVersion }
        var ready: Bool { brokerReady && databaseReady && schemaCurrent }

        var json: JSONValue {
            var database: [String: JSONValue] = ["connected": .bool(databaseReady)]
            if let schemaVersion { database["schema_version"] = .number(JSONNumber(schemaVersion)) }
            database["schema_required"] = .number(JSONNumber(requiredSchemaVersion))
            database["schema_current"] = .bool(schemaCurrent)
            if let databaseError { database["error"] = .string(databaseError) }
            return .object([
                "ready": .bool(ready),
                "broker": .object(Dictionary(uniqueKeysWithValues: broker.map { ($0.name, JSONValue.bool($0.connected)) })),
                "database": .object(database),
            ])
        }
    }

    /// True when every broker connection is up (cheap: no I/O).
    var brokerConnected: Bool { connections.allSatisfy { $0.isConnected() } }

    /// Checks everything; the database with one connection attempt, so a server that is down
    /// answers "not ready" within the connect timeout rather than after the pool's retries.
    func check() async -> Report {
        var report = Report(broker: connections.map { ($0.name, $0.isConnected()) }, schemaVersion: nil,
                            databaseError: nil, requiredSchemaVersion: Migration.latestVersion)
        do {
            report.schemaVersion = try await pool.withConnection(connectAttempts: 1) { connection in
                try Migrator.currentVersion(connection)
            }
        } catch let error as PostgresError {
            report.databaseError = error.safeSummary
        } catch {
            report.databaseError = String(describing: type(of: error))
        }
        return report
    }
}
