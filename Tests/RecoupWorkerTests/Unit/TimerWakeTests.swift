import Foundation
import Postgres
import RecoupStore
@testable import RecoupWorker
import Testing

/// Which notifications cut the timer scheduler's pause short: planning a journey announces
/// stages due days later, hundreds a second in a burst, and each wasted round costs both loops
/// a claim and a look at the next due time.
@Suite("timer scheduler wake-ups")
struct TimerWakeTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func timers(dueIn seconds: Double?) -> PostgresNotification {
        PostgresNotification(channel: TimerStore.notifyChannel,
                             payload: seconds.map { "\(now.timeIntervalSince1970 + $0)" } ?? "", backendPID: 1, isReconnect: false)
    }

    @Test("a timer due before the next poll wakes the loops; one due later waits for the poll", arguments: [
        (-30.0, true), (0.0, true), (0.4, true), (1.0, true), (1.5, false), (3 * 86_400.0, false),
    ])
    func byDueTime(seconds: Double, wakes: Bool) {
        #expect(TimerSchedulerService.wakes(for: Self.timers(dueIn: seconds), now: Self.now, horizon: .seconds(1)) == wakes)
    }

    @Test("a payload that does not say when, or the clock moving, always wakes them")
    func otherwise() {
        #expect(TimerSchedulerService.wakes(for: Self.timers(dueIn: nil), now: Self.now, horizon: .seconds(1)))
        let clock = PostgresNotification(channel: StoreClock.notifyChannel, payload: "advance", backendPID: 1, isReconnect: false)
        #expect(TimerSchedulerService.wakes(for: clock, now: Self.now, horizon: .seconds(1)))
    }
}
