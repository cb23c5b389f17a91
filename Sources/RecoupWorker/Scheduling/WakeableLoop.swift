import Logging
import Postgres
import ServiceLifecycle

/// The main loop of a polling service (the timer scheduler, the outbox relay): rounds of work
/// with a pause between them that a NOTIFY on `channels` cuts short; failing rounds are retried
/// with backoff; graceful shutdown lets the round in flight finish, then stops.
struct WakeableLoop: Sendable {
    let listenerConfiguration: PostgresConfiguration
    let channels: [String]
    let logger: Logger
    /// Whether a notification is worth a round before the pause ends (all are, by default).
    var wakesFor: @Sendable (PostgresNotification) -> Bool = { _ in true }

    /// Runs `round` until graceful shutdown or cancellation. A round returns how long to pause
    /// before the next one (zero: go on at once). `describe` renders a failure for the log
    /// without personal data.
    func run(describe: @escaping @Sendable (any Error) -> String,
             _ round: @escaping @Sendable () async throws -> Duration) async {
        await run(workers: 1, describe: describe) { _ in try await round() }
    }

    /// Runs `workers` loops of `round` (given the worker's index) side by side, woken together by
    /// one listener; each pauses, and backs off after failures, on its own.
    func run(workers: Int, describe: @escaping @Sendable (any Error) -> String,
             _ round: @escaping @Sendable (Int) async throws -> Duration) async {
        let wakes = (0..<max(1, workers)).map { _ in WakeSignal() }
        let stop = StopFlag()
        let listener = PostgresListener(configuration: listenerConfiguration, channels: channels, logger: logger)
        await withDiscardingTaskGroup { group in
            group.addTask { [wakesFor] in
                for await notification in listener.notifications where notification.isReconnect || wakesFor(notification) {
                    for wake in wakes { wake.signal() }
                }
            }
            await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { loops in
                    for (worker, wake) in wakes.enumerated() {
                        loops.addTask { await Self.loop(worker: worker, wake: wake, stop: stop, logger: logger, describe: describe, round) }
                    }
                }
            } onGracefulShutdown: {
                stop.set()
                for wake in wakes { wake.signal() }
            }
            await listener.stop()
        }
    }

    private static func loop(worker: Int, wake: WakeSignal, stop: StopFlag, logger: Logger,
                             describe: @Sendable (any Error) -> String,
                             _ round: @Sendable (Int) async throws -> Duration) async {
        var failures = 0
        while !stop.isSet && !Task.isCancelled {
            do {
                let pause = try await round(worker)
                failures = 0
                if pause > .zero { await wake.wait(timeout: pause) }
            } catch {
                failures += 1
                let delay = min(Duration.seconds(5), .milliseconds(100 * (1 << min(failures, 6))))
                logger.warning("round failed; retrying", metadata: [
                    "error": "\(describe(error))", "attempt": "\(failures)", "worker": "\(worker)",
                ])
                await wake.wait(timeout: delay)
            }
        }
    }
}
