import ArgumentParser
import Foundation
import RecoupWorker

extension BenchCommand {
    /// `recoupctl bench timers`: issue 7's timer scale. Seeds real journeys with many pending
    /// stage timers, a slice of them due, checks that the scheduler's claim query finds them
    /// through an index, and fires the due ones as recoupd's scheduler would, in timers per second.
    struct Timers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fire due journey stage timers among many pending ones, as recoupd's scheduler does (use a fresh bench database).",
            discussion: """
                Seeds the database (it must hold no pending timer): a few accounts and invoices recorded through the \
                recorder, copied set-based to --due accounts each with one invoice whose first stage is due, and next \
                month's invoices of the same accounts for the rest of --pending. Then VACUUM ANALYZE, EXPLAIN of the claim \
                query (it fails if recoup.timers would be scanned sequentially), and the firing on the controlled clock.
                """)
        @OptionGroup var options: ConfigOption
        @Option(name: .long, help: "Pending stage timers in all (the due ones included).") var pending = 1_000_000
        @Option(name: .long, help: "Of them, due now: one per account, each doing its stage's real work.") var due = 100_000
        @Option(name: .long, help: "Scheduler loops firing at once, each on a connection of its own and its share of the accounts (default: processing.timer_loops, as recoupd runs).")
        var workers: Int?

        func validate() throws {
            guard due > 0, pending >= due else { throw ValidationError("--due must be at least 1 and --pending at least --due") }
            if let workers { guard (1...64).contains(workers) else { throw ValidationError("--workers must be between 1 and 64") } }
        }

        func run() async throws {
            let (configuration, policy) = try BenchCommand.load(options)
            let workers = self.workers ?? configuration.processing.timerLoops
            // Written at once, not buffered: a firing stopped midway keeps what was found before it.
            let say: @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data("\($0)\n".utf8)) }
            let report = try await TimerBenchmark.run(
                pending: pending, due: due, workers: workers, configuration: configuration, policy: policy,
                logger: makeLogger(configuration), announce: say) { line in
                FileHandle.standardError.write(Data("\(line)\n".utf8))
            }
            report.firing.lines.forEach(say)
        }
    }
}
