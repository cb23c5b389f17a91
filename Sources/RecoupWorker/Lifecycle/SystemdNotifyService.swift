import Logging
import ServiceLifecycle

/// Tells systemd how the daemon is doing (`Type=notify`): `READY=1` once every broker
/// connection is up, `STATUS=` lines as that changes, `WATCHDOG=1` at half the interval systemd
/// asked for, and `STOPPING=1` the moment graceful shutdown begins.
///
/// It is the last service of the group, so it is the first to hear of the shutdown. Watchdog
/// pings come from the same cooperative pool the workers run on: a daemon whose tasks no longer
/// get scheduled stops pinging and is restarted.
struct SystemdNotifyService: Service {
    let notifier: SystemdNotifier
    let readiness: Readiness
    let queues: Int
    let logger: Logger

    /// How often the broker state is looked at before READY and for STATUS changes.
    static let pollInterval: Duration = .milliseconds(250)

    func run() async throws {
        guard notifier.socketPath != nil else {
            try? await gracefulShutdown()
            return
        }
        notifier.notify("STATUS=connecting to RabbitMQ and PostgreSQL")
        await cancelWhenGracefulShutdown {
            await notifyUntilShutdown()
        }
        notifier.notify("STOPPING=1\nSTATUS=stopping: finishing work in flight")
        logger.info("told systemd: stopping")
    }

    private func notifyUntilShutdown() async {
        var readySent = false
        var lastStatus = ""
        var nextPing = ContinuousClock.now
        while !Task.isCancelled {
            let connected = readiness.brokerConnected
            let status = connected
                ? "consuming \(queues) queues"
                : "waiting for RabbitMQ (the broker connection is down; work resumes when it is back)"
            if connected && !readySent {
                notifier.notify("READY=1\nSTATUS=\(status)")
                logger.info("told systemd: ready")
                readySent = true
                lastStatus = status
            } else if status != lastStatus {
                notifier.notify("STATUS=\(status)")
                lastStatus = status
            }
            if let interval = notifier.watchdogInterval, ContinuousClock.now >= nextPing {
                notifier.notify("WATCHDOG=1")
                nextPing = ContinuousClock.now + interval
            }
            var wait = Self.pollInterval
            if let interval = notifier.watchdogInterval { wait = min(wait, interval) }
            do { try await Task.sleep(for: wait) } catch { return }
        }
    }
}
