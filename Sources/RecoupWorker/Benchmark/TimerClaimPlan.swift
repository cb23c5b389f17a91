import Foundation
import Postgres
import RecoupCore
import RecoupStore

/// The timer benchmark's index check: the plan PostgreSQL chooses for the scheduler's claim
/// query on the seeded table, which must not read `recoup.timers` sequentially.
extension TimerBenchmark {
    /// Explains `TimerStore.claimDueSQL` at `fireAt` with a batch of `limit`; throws `PlanError`
    /// if the plan scans `recoup.timers` sequentially. (A sort is the planner's choice for a small
    /// table; TimerStoreTests checks that a large tie is read in index order.)
    static func claimPlan(fireAt: Date, limit: Int, shares: Int, pool: PostgresPool) async throws -> ClaimPlan {
        try await pool.withConnection { connection in
            let text = try connection.query("EXPLAIN (FORMAT JSON) \(TimerStore.claimDueSQL)", [fireAt, limit, shares, 0]).first!
                .decode(String.self, at: 0)
            return try plan(text)
        }
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
