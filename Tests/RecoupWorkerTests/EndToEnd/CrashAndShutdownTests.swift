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
    /// A stream of `count` events over `accounts` accounts: account updates with rising
    /// versions, invoices created then updated, and payments, whose final state is known.
    static func stream(count: Int, accounts: Int, prefix: String) -> (events: [TestEvent], paymentsPerInvoice: [String: Int]) {
        var events: [TestEvent] = []
        var payments: [String: Int] = [:]
        var version: [String: Int] = [:]
        var index = 0
        while events.count < count {
            let account = "\(prefix)_acc_\(index % accounts)"
            let invoice = "\(prefix)_in_\(index % (accounts * 3))"
            switch index % 4 {
            case 0:
                version[account, default: 0] += 1
                events.append(.accountUpdated(account, version: version[account]!, id: "\(prefix)_evt_\(index)"))
            case 1:
                version[invoice, default: 0] += 1
                events.append(.invoiceCreated(invoice, account: account, version: version[invoice]!,
                                              amount: 10_000 + index, id: "\(prefix)_evt_\(index)",
                                              type: version[invoice] == 1 ? "invoice.created" : "invoice.updated"))
            case 2:
                events.append(.make("payment.succeeded", id: "\(prefix)_evt_\(index)", data: [
                    "payment_id": "\(prefix)_py_\(index)", "invoice_id": invoice, "account_id": account,
                    "amount_minor": 100, "currency": "EUR", "succeeded_at": "2026-11-22T10:00:00Z",
                ]))
                payments[invoice, default: 0] += 100
            default:
                events.append(.make("crm.signal", id: "\(prefix)_evt_\(index)", data: [
                    "account_id": account, "kind": "support_ticket_opened", "priority": "normal",
                ]))
            }
            index += 1
        }
        return (events, payments)
    }

    /// After a run: exactly one inbox row and one audit row per event id, and payment sums that
    /// count every payment exactly once.
    static func expectExactlyOnce(_ world: DaemonHarness, count: Int, payments: [String: Int]) async throws {
        #expect(try await world.count("SELECT count(*) FROM recoup.inbox") == count)
        #expect(try await world.count("SELECT count(DISTINCT event_id) FROM recoup.audit_log WHERE kind LIKE 'event.%'") == count)
        #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind LIKE 'event.%'") == count)
        // Every payment is 100 minor units, so the rows must number the sum over 100.
        #expect(try await world.count("SELECT count(*) FROM recoup.payments") == payments.values.reduce(0, +) / 100)
        let sums = try await world.query { connection in
            try connection.query("SELECT invoice_id, payments_received_minor FROM recoup.invoices WHERE payments_received_minor > 0")
                .map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
        }
        #expect(Dictionary(uniqueKeysWithValues: sums) == payments)
        for queue in ["recoup.invoices.dlq", "recoup.payment-failures.dlq", "recoup.replies.dlq"] {
            #expect(try await world.admin.messageCount(queue: queue) == 0, "\(queue) should be empty")
        }
    }

    @Test("SIGTERM in the middle of a stream: exit 0 within the bound, nothing lost after restart")
    func sigterm() async throws {
        try await DaemonHarness.with(name: "term", extraConfig: Self.throttled) { world in
            let (events, payments) = Self.stream(count: 3_000, accounts: 50, prefix: "t")
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
            try await Self.expectExactlyOnce(world, count: events.count, payments: payments)
            try await world.stop()
        }
    }

    @Test("10,000 events, SIGKILL in the middle, restart: exactly 10,000 processed ids, no duplicate state")
    func sigkillTenThousand() async throws {
        try await DaemonHarness.with(name: "kill", extraConfig: Self.throttled) { world in
            let (events, payments) = Self.stream(count: 10_000, accounts: 200, prefix: "k")
            try await world.publish(events)
            try world.start()
            try await world.waitForInbox(3_000, timeout: .seconds(240))

            try await world.stop(signal: SIGKILL)
            let processedAtKill = try await world.count("SELECT count(*) FROM recoup.inbox")
            #expect(processedAtKill < events.count, "the kill should land mid-stream")

            try world.start()
            try await world.waitForInbox(events.count, timeout: .seconds(300))
            try await Self.expectExactlyOnce(world, count: events.count, payments: payments)
            try await world.stop()
        }
    }
}
