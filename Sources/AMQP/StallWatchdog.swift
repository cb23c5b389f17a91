import Foundation
import Synchronization

/// Breaks off a rabbitmq-c call that blocks too long, by shutting its socket down from another
/// thread (the call then fails and the connection is dropped and rebuilt).
///
/// Why: in rabbitmq-c 0.11 `amqp_basic_publish` waits with no deadline for incoming bytes once
/// the receive-heartbeat deadline has passed, and any send blocks while the peer stops reading.
/// Only `shutdown(2)` is called on the descriptor, never `close`, and only while the call is
/// registered: the owner unregisters (under the same lock) before its socket can be closed, so a
/// reused descriptor number is never touched.
final class StallWatchdog: Sendable {
    static let shared = StallWatchdog()

    private struct Watch {
        var descriptor: Int32
        var deadline: ContinuousClock.Instant
        var fired = false
    }

    private struct State {
        var nextID: UInt64 = 0
        var watches: [UInt64: Watch] = [:]
        var started = false
    }

    private let state = Mutex(State())
    private let period: Duration

    init(period: Duration = .milliseconds(100)) {
        self.period = period
    }

    /// Runs `body` (a blocking call on `descriptor`); if it takes longer than `limit`, the socket is
    /// shut down so the call returns. `stalled` tells whether that happened.
    func guarding<T>(descriptor: Int32, limit: Duration, _ body: () -> T) -> (result: T, stalled: Bool) {
        guard descriptor >= 0 else { return (body(), false) }
        let (id, start) = state.withLock { state -> (UInt64, Bool) in
            state.nextID += 1
            state.watches[state.nextID] = Watch(descriptor: descriptor, deadline: .now + limit)
            let start = !state.started
            state.started = true
            return (state.nextID, start)
        }
        if start { startThread() }
        let result = body()
        let stalled = state.withLock { $0.watches.removeValue(forKey: id)?.fired ?? false }
        return (result, stalled)
    }

    private func startThread() {
        let thread = Thread { [self] in
            while true {
                let now = ContinuousClock.now
                state.withLock { state in
                    for (id, watch) in state.watches where !watch.fired && watch.deadline <= now {
                        _ = shutdown(watch.descriptor, Int32(SHUT_RDWR))
                        state.watches[id]?.fired = true
                    }
                }
                Thread.sleep(forTimeInterval: Double(period.components.seconds) + Double(period.components.attoseconds) / 1e18)
            }
        }
        thread.name = "amqp stall watchdog"
        thread.start()
    }
}
