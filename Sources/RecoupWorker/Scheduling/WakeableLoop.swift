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

    /// Runs `round` until graceful shutdown or cancellation. A round returns how long to pause
    /// before the next one (zero: go on at once). `describe` renders a failure for the log
    /// without personal data.
    func run(describe: @escaping @Sendable (any Error) -> String,
             _ round: @escaping @Sendable () async throws -> Duration) async {
        let wake = WakeSignal()
        let stop = StopFlag()
        let listener = PostgresListener(configuration: listenerConfiguration, channels: channels, logger: logger)
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in listener.notifications { wake.signal() }
            }
            await withGracefulShutdownHandler {
                var failures = 0
                while !stop.isSet && !Task.isCancelled {
                    do {
                        let pause = try await round()
                        failures = 0
                        if pause > .zero { await wake.wait(timeout: pause) }
                    } catch {
                        failures += 1
                        let delay = min(Duration.seconds(5), .milliseconds(100 * (1 << min(failures, 6))))
                        logger.warning("round failed; retrying", metadata: ["error": "\(describe(error))", "attempt": "\(failures)"])
                        await wake.wait(timeout: delay)
                    }
                }
            } onGracefulShutdown: {
                stop.set()
                wake.signal()
            }
            await listener.stop()
        }
    }
}
