import AMQP
import Foundation
import Postgres
import RecoupWorker
import Testing

/// Stopping `recoupd` in the middle of a stream — gracefully or not — loses nothing and
/// duplicates nothing.
@Suite("recoupd crash and shutdown, end to end", .serialized)
struct CrashAndShutdownTests {
    /// Few lanes and a small prefetch slow the daemon down enough that the signal lands while it
    /// is still working through the stream, even when CI starves the test process of CPU.
    static let throttled = """
        processing:
          lanes: 1
        """
    @Test("SIGTERM in the middle of a stream: exit 0 within the bound, nothing lost after restart")
    func sigterm() async throws {
        try await DaemonHarness.with(name: "term", extraConfig: Self.throttled) { world in
            let stream = EventStream.mixed(count: 3_000, accounts: 50, prefix: "t")
            let (events, payments) = (stream.events, stream.paymentsPerInvoice)
            try await world.publish(events)
            try world.start()
            try await world.waitForInbox(300, timeout: .seconds(120))

            let (status, elapsed) = try await world.stop(signal: SIGTERM)
            let processedAtStop = try await world.count("SELECT count(*) FROM recoup.inbox")
            #expect(processedAtStop < events.count, "the signal should land mid-stream")
            #expect(status == 0)
            #expect(elapsed < .seconds(15), "graceful shutdown took \(elapsed), bound is 15 s")
            #expect(world.logLines(run: 1).contains { $0.contains("graceful shutdown") })
            #expect(world.logLines(run: 1).contains { $0.contains("recoupd stopped") })

            try world.start()
            try await world.waitForInbox(events.count, timeout: .seconds(180))
            try await world.expectExactlyOnce(count: events.count, payments: payments)
            try await world.stop()
        }
    }

    @Test("10,000 events, SIGKILL in the middle, restart: exactly 10,000 processed ids, no duplicate state")
    func sigkillTenThousand() async throws {
        try await DaemonHarness.with(name: "kill", extraConfig: Self.throttled) { world in
            let stream = EventStream.mixed(count: 10_000, accounts: 200, prefix: "k")
            let (events, payments) = (stream.events, stream.paymentsPerInvoice)
            try await world.publish(events)
            try world.start()
            try await world.waitForInbox(3_000, timeout: .seconds(240))

            try await world.stop(signal: SIGKILL)
            let processedAtKill = try await world.count("SELECT count(*) FROM recoup.inbox")
            #expect(processedAtKill < events.count, "the kill should land mid-stream")

            try world.start()
            try await world.waitForInbox(events.count, timeout: .seconds(300))
            try await world.expectExactlyOnce(count: events.count, payments: payments)
            try await world.stop()
        }
    }
}
