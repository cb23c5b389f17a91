import Foundation
import Logging
import Postgres
import RecoupCore
import RecoupStore
import Synchronization

/// The timer benchmark's index check: the plan PostgreSQL chooses for the scheduler's claim
/// query on the seeded table, which must not read `recoup.timers` sequentially.
extension TimerBenchmark {
    /// Explains the claim query exactly as `TimerStore.claimDue` sends it, at `fireAt` with a
    /// batch of `limit`; throws `PlanError` if any node scans `recoup.timers` sequentially.
    ///
    /// RecoupStore keeps the query's text to itself, so it is read back from the server: one
    /// connection claims a batch with the real `claimDue` and waits, in its transaction (rolled
    /// back afterwards, so nothing stays claimed), while a second reads that session's latest
    /// statement in `pg_stat_activity`. A change to the claim query is then explained as
    /// changed; one to its parameters ($1 the time, $2 the limit) makes EXPLAIN fail loudly.
    static func claimPlan(fireAt: Date, limit: Int, configuration: PostgresConfiguration, logger: Logger) async throws -> ClaimPlan {
        var configuration = configuration
        configuration.poolSize = 2
        return try await using(PostgresPool(configuration: configuration, logger: logger), close: { await $0.close() }) { pool in
            let query = try await claimQuery(fireAt: fireAt, limit: limit, pool)
            return try await pool.withConnection { connection in
                let text = try connection.query("EXPLAIN (FORMAT JSON) \(query)", [fireAt, limit]).first!.decode(String.self, at: 0)
                return try plan(text)
            }
        }
    }

    /// The text of the statement `TimerStore.claimDue` sends, from `pool` (two connections).
    private static func claimQuery(fireAt: Date, limit: Int, _ pool: PostgresPool) async throws -> String {
        let claimer = Claimer()
        return try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                try await pool.withConnection { connection in
                    do {
                        try connection.executeScript("BEGIN")
                        _ = try TimerStore.claimDue(now: fireAt, limit: limit, connection)
                    } catch {
                        claimer.pid.store(-1, ordering: .releasing)
                        throw error
                    }
                    claimer.pid.store(connection.backendPID, ordering: .releasing)
                    _ = claimer.read.wait(timeout: .now() + 30)
                    try connection.executeScript("ROLLBACK")
                }
                return nil
            }
            group.addTask {
                defer { claimer.read.signal() }
                let deadline = ContinuousClock.now + .seconds(30)
                var pid = claimer.pid.load(ordering: .acquiring)
                while pid == 0 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                    pid = claimer.pid.load(ordering: .acquiring)
                }
                guard pid > 0 else { return nil }
                let claimerPID = pid
                return try await pool.withConnection { connection in
                    try connection.query("SELECT query FROM pg_stat_activity WHERE pid = $1", [claimerPID]).first?.decode(String.self, at: 0)
                }
            }
            var query: String?
            for try await text in group { query = query ?? text }
            guard let query, query.contains("recoup.timers") else {
                throw PlanError(description: "could not read the claim query back from pg_stat_activity (got \(query?.prefix(80) ?? "nothing"))")
            }
            return query
        }
    }

    /// How the claiming session and the reading one meet: the claimer's backend pid once it has
    /// claimed (-1 if it failed), and the reader's word that it has read the query.
    private final class Claimer: Sendable {
        let pid = Atomic<Int>(0)
        let read = DispatchSemaphore(value: 0)
    }

    /// The node types of an `EXPLAIN (FORMAT JSON)` result, checked for a sequential scan of the timers.
    static func plan(_ explained: String) throws -> ClaimPlan {
        guard let root = (try JSONParser.parse(explained)).arrayValue?.first?["Plan"] else {
            throw PlanError(description: "EXPLAIN gave no plan: \(explained.prefix(200))")
        }
        var nodes: [String] = []
        var scans: [String] = []
        func walk(_ node: JSONValue) {
            let type = node["Node Type"]?.stringValue ?? "?"
            let relation = node["Relation Name"]?.stringValue
            var label = type
            if let index = node["Index Name"]?.stringValue { label += " using \(index)" }
            if let relation { label += " on \(relation)" }
            nodes.append(label)
            if type.contains("Seq Scan"), relation == "timers" { scans.append(label) }
            for child in node["Plans"]?.arrayValue ?? [] { walk(child) }
        }
        walk(root)
        guard scans.isEmpty else {
            throw PlanError(description: "the claim query scans recoup.timers sequentially: \(nodes.joined(separator: " > "))")
        }
        return ClaimPlan(nodes: nodes)
    }

    /// The claim query would scan the timers table, or its plan could not be had.
    public struct PlanError: Error, CustomStringConvertible {
        public let description: String
    }
}
