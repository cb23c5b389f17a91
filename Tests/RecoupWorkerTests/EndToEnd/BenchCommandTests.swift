import Foundation
import Testing
import TestSupport

/// `recoupctl bench ceilings` runs for real on a small scale, so the benchmark does not rot
/// between the runs written down in BENCHMARKS.md. Its speed is not judged here.
@Suite("recoupctl bench, end to end", .serialized)
struct BenchCommandTests {
    @Test("bench ceilings records real event transactions and relays real messages, then tidies its queues")
    func ceilings() async throws {
        try await DaemonHarness.with(name: "bench") { world in
            #expect(try await world.recoupctl(["migrate"]).status == 0)
            let run = try await world.recoupctl(["bench", "ceilings", "--events", "40", "--messages", "300"])
            #expect(run.status == 0, "\(run.err)")
            let lines = run.out.split(separator: "\n")
            #expect(lines.contains { $0.hasPrefix("PostgreSQL, one event's transaction at a time: 40 in ") && $0.hasSuffix("/s") }, "\(run.out)")
            #expect(lines.contains { $0.hasPrefix("RabbitMQ relay, quorum to quorum with confirms: 300 in ") }, "\(run.out)")
            // The recorder ran: every bench event is in the inbox, each planned like a real invoice.
            #expect(try await world.count("SELECT count(*) FROM recoup.inbox WHERE event_id LIKE 'bench_%'") == 40)
            #expect(try await world.count("SELECT count(*) FROM recoup.invoices WHERE invoice_id LIKE 'bench_%'") == 40)
            #expect(try await world.admin.messageCount(queue: "recoup.bench.relay-source") == 0)
            #expect(try await world.admin.messageCount(queue: "recoup.bench.relay-target") == 0)

            let refused = try await world.recoupctl(["bench", "ceilings", "--events", "0"])
            #expect(refused.status != 0)
        }
    }
}
