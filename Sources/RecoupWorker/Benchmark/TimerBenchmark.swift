import Foundation
import Logging
import Postgres
import RecoupCore
import RecoupStore
import Synchronization

/// Timer scale (issue 7): a large table of pending journey stage timers, a slice of them due,
/// fired by Recoup's own `TimerRunner` in batches as recoupd's scheduler fires them, measured in
/// timers fired per second. The claim query's plan is checked first: the due timers must be
/// found through an index, never by scanning the table.
///
/// The due timers do the real work of a stage (guards, template render, outbox message,
/// contact log, audit), because the population is made of real journeys: a few accounts and
/// invoices are recorded through the recorder, then copied with new ids (`TimerBenchmarkSeed`).
///
/// Runs on the database's controlled clock whatever `clock:` the configuration names: the
/// stages' guards (quiet hours, weekdays) read the local time, so wall time would make the
/// work, and the figure, depend on when the benchmark is run. Writes real rows: point it at a
/// fresh bench database.
public enum TimerBenchmark {
    /// The figure issue 7 sets for 100,000 due timers among 1,000,000 pending.
    public static let targetPerSecond = 2_000.0

    /// How the population was made.
    public struct Seeding: Sendable {
        public var accounts: Int
        public var invoices: Int
        /// Of `invoices`, recorded through the recorder; the others are their copies.
        public var recorded: Int
        public var pending: Int
        public var due: Int
        /// The controlled clock's time for the firing: every due invoice's first stage has come.
        public var fireAt: Date
        public var seconds: Double
        /// Of `seconds`, spent in VACUUM ANALYZE.
        public var analyzeSeconds: Double

        public var line: String {
            "seeded: \(pending) pending stage timers, \(due) due at \(Timestamps.format(fireAt)), for \(invoices) invoices "
                + "of \(accounts) accounts (\(recorded) recorded through the recorder, the rest copied) in "
                + "\(formatSeconds(seconds)) s (VACUUM ANALYZE \(formatSeconds(analyzeSeconds)) s)"
        }
    }

    /// The plan PostgreSQL chose for the scheduler's claim query on the seeded table.
    public struct ClaimPlan: Sendable {
        /// Node types from the top, each with the relation and index it reads, if any.
        public var nodes: [String]
        public var summary: String { nodes.joined(separator: " > ") }
        public var line: String { "claim plan: \(summary) (no sequential scan of recoup.timers)" }
    }

    /// What firing every due timer did.
    public struct Firing: Sendable {
        public var fired: Int
        public var failed: Int
        public var batches: Int
        public var workers: Int
        public var batchSize: Int
        public var seconds: Double
        public var perSecond: Double { seconds > 0 ? Double(fired + failed) / seconds : 0 }
        /// Read after the firing: timers still pending, those of them due, outbox rows written.
        public var pendingAfter: Int
        public var dueAfter: Int
        public var outboxMessages: Int

        public var lines: [String] {
            [
                "fired: \(fired) fired, \(failed) failed in \(formatSeconds(seconds)) s = \(String(format: "%.0f", perSecond))/s "
                    + "(\(workers) worker\(workers == 1 ? "" : "s"), \(batches) batch\(batches == 1 ? "" : "es") of up to \(batchSize), "
                    + "as recoupd's scheduler claims them)",
                "after: \(pendingAfter) pending, \(dueAfter) due; \(outboxMessages) outbox messages queued by the firing",
                "target (issue 7): \(String(format: "%.0f", targetPerSecond))/s for 100000 due among 1000000 pending: "
                    + (perSecond >= targetPerSecond ? "met" : "not met"),
            ]
        }
    }

    /// Everything one run found: how the population was made, the claim plan, the firing.
    public struct Report: Sendable {
        public var seeding: Seeding
        public var plan: ClaimPlan
        public var firing: Firing

        /// The report as printed, one finding a line.
        public var lines: [String] { [seeding.line, plan.line] + firing.lines }
    }

    static func formatSeconds(_ seconds: Double) -> String { String(format: "%.2f", seconds) }

    /// Seeds `pending` stage timers with `due` of them due (one per account), checks the claim
    /// plan, then fires every due timer with `workers` scheduler loops, each on a connection of
    /// its own. `announce` hears the seeding's and the plan's lines as soon as they are known (a
    /// long firing that is interrupted keeps them); `progress` a line every ten seconds of firing.
    public static func run(pending: Int, due: Int, workers: Int, configuration: RecoupConfiguration, policy: LoadedPolicy,
                           logger: Logger, announce: @Sendable (String) -> Void,
                           progress: @escaping @Sendable (String) -> Void) async throws -> Report {
        let holder = ReactionsHolder(policy.reactions)
        let seeded = ContinuousClock.now
        let (templates, layout, analyzeSeconds) = try await seed(pending: pending, due: due, holder: holder,
                                                                 configuration: configuration, logger: logger)
        let fireAt = templates.fireAt
        let runner = TimerRunner(clock: .controlled, holder: holder)
        let firingPool = configuration.postgresConfiguration(applicationName: applicationName, poolSize: workers)
        return try await using(PostgresPool(configuration: firingPool, logger: logger), close: { await $0.close() }) { pool in
            let counts = try await pool.transaction { connection in
                try StoreClock.set(fireAt, connection)
                return try population(fireAt: fireAt, connection)
            }
            guard counts.pending == pending, counts.due == due else {
                throw SeedError("seeded \(counts.pending) pending timers with \(counts.due) due; asked for \(pending) with \(due)")
            }
            let seeding = Seeding(accounts: due, invoices: layout.dueInvoices + layout.futureInvoices,
                                  recorded: templates.items.count, pending: counts.pending, due: counts.due, fireAt: fireAt,
                                  seconds: (ContinuousClock.now - seeded).seconds, analyzeSeconds: analyzeSeconds)
            // The daemon's own batch size, so the two cannot drift.
            let batchSize = TimerSchedulerService.batchSize
            announce(seeding.line)
            let plan = try await claimPlan(fireAt: fireAt, limit: batchSize, shares: workers, pool: pool)
            announce(plan.line)
            var firing = try await fire(workers: workers, batchSize: batchSize, runner: runner, due: due, pool: pool, progress: progress)
            let after = try await pool.withConnection { connection in
                (try population(fireAt: fireAt, connection),
                 try connection.query("SELECT count(*) FROM recoup.outbox WHERE created_at = $1", [fireAt]).first!.decode(Int.self, at: 0))
            }
            firing.pendingAfter = after.0.pending
            firing.dueAfter = after.0.due
            firing.outboxMessages = after.1
            return Report(seeding: seeding, plan: plan, firing: firing)
        }
    }

    /// `application_name` of every session the benchmark opens.
    static let applicationName = "recoupctl-bench-timers"

    /// Records the templates and copies them into the asked population (refusing a database
    /// that holds pending timers already: they would be counted), then VACUUM ANALYZE as the
    /// schema owner. Returns the templates, the layout and the seconds VACUUM ANALYZE took.
    private static func seed(pending: Int, due: Int, holder: ReactionsHolder, configuration: RecoupConfiguration,
                             logger: Logger) async throws -> (Templates, Layout, Double) {
        // The admin pool is opened first, so a missing admin URL fails before any seeding.
        try await configuration.withAdminPool(applicationName: applicationName, for: "VACUUM ANALYZE the seeded tables",
                                              logger: logger) { admin in
            let runID = "timers_" + String(UUID().uuidString.prefix(8)).lowercased()
            let (templates, layout) = try await configuration.withCommandPool(applicationName: applicationName, logger: logger) { pool in
                try await RecoupDaemon.requireCurrentSchema(pool: pool)
                let stillPending = try await pool.withConnection { connection in
                    try connection.query("SELECT count(*) FROM recoup.timers WHERE fired_at IS NULL AND cancelled_at IS NULL")
                        .first!.decode(Int.self, at: 0)
                }
                guard stillPending == 0 else {
                    throw SeedError("the database holds \(stillPending) pending timers already; the benchmark counts on a fresh one")
                }
                let recorder = EventRecorder(clock: .controlled, holder: holder)
                let templates = try await recordTemplates(count: min(20, due), runID: runID, recorder: recorder, pool)
                let layout = try Layout(pending: pending, due: due, templates: templates.items)
                try await copy(templates, layout: layout, prefix: "bench_\(runID)", pool)
                return (templates, layout)
            }
            let analyzed = ContinuousClock.now
            // Without it autovacuum would take on the million new rows in the middle of the firing.
            try await admin.withConnection { connection in
                let tables = try connection.query("SELECT tablename FROM pg_tables WHERE schemaname = 'recoup' ORDER BY 1")
                    .map { "recoup." + (try connection.quoteIdentifier(try $0.decode(String.self, at: 0))) }
                try connection.executeScript("VACUUM ANALYZE \(tables.joined(separator: ", "))")
            }
            return (templates, layout, (ContinuousClock.now - analyzed).seconds)
        }
    }

    /// Pending timers, and how many of them are due at `fireAt`.
    private static func population(fireAt: Date, _ connection: PostgresConnection) throws -> (pending: Int, due: Int) {
        let row = try connection.query("""
            SELECT count(*), count(*) FILTER (WHERE due_at <= $1)
              FROM recoup.timers WHERE fired_at IS NULL AND cancelled_at IS NULL
            """, [fireAt]).first!
        return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1))
    }

    // MARK: firing

    /// What the batches of one worker did.
    private struct Tally: Sendable {
        var fired = 0, failed = 0, batches = 0
    }

    /// `workers` loops, each claiming its share of the accounts' timers and firing them in
    /// batches, a transaction each, until it finds nothing due, as recoupd's scheduler does
    /// while it has a backlog.
    private static func fire(workers: Int, batchSize: Int, runner: TimerRunner, due: Int, pool: PostgresPool,
                             progress: @escaping @Sendable (String) -> Void) async throws -> Firing {
        let done = Done()
        let started = ContinuousClock.now
        let total = try await withThrowingTaskGroup(of: Tally?.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var tally = Tally()
                    while true {
                        let report = try await runner.fireDue(limit: batchSize, share: (worker, of: workers), pool: pool)
                        guard report.claimed > 0 else { return tally }
                        tally.fired += report.fired
                        tally.failed += report.failed
                        tally.batches += 1
                        done.count.wrappingAdd(report.claimed, ordering: .relaxed)
                    }
                }
            }
            group.addTask {
                while (try? await Task.sleep(for: .seconds(10))) != nil {
                    let count = done.count.load(ordering: .relaxed)
                    let rate = Double(count) / (ContinuousClock.now - started).seconds
                    progress("fired \(count) of \(due) so far (\(String(format: "%.0f", rate))/s)")
                }
                return nil
            }
            var total = Tally(), finished = 0
            while finished < workers, let result = try await group.next() {
                guard let tally = result else { continue }
                total.fired += tally.fired
                total.failed += tally.failed
                total.batches += tally.batches
                finished += 1
            }
            group.cancelAll()
            return total
        }
        return Firing(fired: total.fired, failed: total.failed, batches: total.batches, workers: workers, batchSize: batchSize,
                      seconds: (ContinuousClock.now - started).seconds, pendingAfter: 0, dueAfter: 0, outboxMessages: 0)
    }

    /// Timers claimed so far, over every worker, for the progress lines.
    private final class Done: Sendable {
        let count = Atomic<Int>(0)
    }

}
