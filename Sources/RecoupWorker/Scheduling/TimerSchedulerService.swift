import Foundation
import Logging
import Postgres
import RecoupStore
import ServiceLifecycle

/// Fires due timers (retries, delayed notices) by the Recoup clock. Polls the timers table at
/// least every `pollInterval`, and wakes at once on NOTIFY when the controlled clock moves or a
/// timer is added. Several instances may run: timers are claimed with SKIP LOCKED.
///
/// A database outage is waited out with backoff; graceful shutdown lets the batch in flight
/// commit and then stops.
final class TimerSchedulerService: Service {
    let pool: PostgresPool
    let runner: TimerRunner
    let listenerConfiguration: PostgresConfiguration
    let counters: Counters
    let logger: Logger
    /// Loops firing side by side, each its share of the accounts (`processing.timer_loops`).
    let loops: Int
    /// Timers claimed and fired per transaction (the timer benchmark fires in batches of it).
    static let batchSize = 200
    let pollInterval: Duration = .seconds(1)

    init(pool: PostgresPool, runner: TimerRunner, loops: Int, listenerConfiguration: PostgresConfiguration, counters: Counters,
         logger: Logger) {
        self.pool = pool
        self.loops = max(1, loops)
        self.runner = runner
        self.listenerConfiguration = listenerConfiguration
        self.counters = counters
        var logger = logger
        logger[metadataKey: "service"] = "timers"
        self.logger = logger
    }

    func run() async throws {
        var loop = WakeableLoop(listenerConfiguration: listenerConfiguration,
                                channels: [StoreClock.notifyChannel, TimerStore.notifyChannel], logger: logger)
        if runner.clock == .system {
            let horizon = pollInterval
            loop.wakesFor = { Self.wakes(for: $0, now: Date(), horizon: horizon) }
        }
        let loops = self.loops
        await loop.run(workers: loops, describe: TimerRunner.summary(of:)) { [self] worker in
            let runner = self.runner, batchSize = Self.batchSize
            let report = try await runner.fireDue(limit: batchSize, share: (worker, of: loops), pool: pool)
            record(report)
            if report.claimed == batchSize { return .zero }
            // Wall time: sleep until the next timer is due, polling at least every interval.
            // The controlled clock moves only by NOTIFY, which ends the pause at once.
            if runner.clock == .system, let next = report.nextDueAt {
                return min(pollInterval, .milliseconds(max(5, Int(next.timeIntervalSince(Date()) * 1000))))
            }
            return pollInterval
        }
        logger.info("timer scheduler stopped")
    }

    /// Whether a notification should cut the pause short (wall-clock time): every journey planned
    /// announces timers due days from now, which are not worth a round; one due before the next
    /// poll is, and so is the clock moving or a payload that does not say.
    static func wakes(for notification: PostgresNotification, now: Date, horizon: Duration) -> Bool {
        guard notification.channel == TimerStore.notifyChannel, let due = TimerStore.notifiedDueAt(notification.payload) else {
            return true
        }
        return due.timeIntervalSince(now) <= horizon.seconds
    }

    private func record(_ report: TimerRunner.Report) {
        guard report.claimed > 0 else { return }
        counters.increment(.timersFired, by: report.fired)
        if report.failed > 0 {
            counters.increment(.timersFailed, by: report.failed)
            logger.error("timers failed", metadata: ["count": "\(report.failed)"])
        }
        Effects.count(report.effects, counters)
        logger.debug("timers fired", metadata: ["fired": "\(report.fired)", "at": "\(report.now.formatted(.iso8601))"])
    }
}
