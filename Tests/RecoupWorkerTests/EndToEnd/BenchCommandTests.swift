import Foundation
import Postgres
import RecoupCore
import RecoupWorker
import Testing
import TestSupport

/// `recoupctl bench ceilings` and `bench run` run for real on a small scale, so the benchmark does not rot
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

    @Test("bench run drives a real recoupd through a small burst: every event committed, outbound seen with latencies, memory read")
    func endToEnd() async throws {
        try await DaemonHarness.with(name: "benchrun", clock: "controlled") { world in
            #expect(try await world.recoupctl(["migrate"]).status == 0)
            // Afternoon in both of the mix's time zones: payment-failure notices go out at once
            // instead of waiting out quiet hours, so the run has latency samples whenever it runs.
            #expect(try await world.recoupctl(["clock", "set", "2026-12-01T15:00:00Z"]).status == 0)
            try world.start()
            try await world.waitUntil("recoupd to be ready") { (try? await world.adminGET("/readyz").status) == 200 }

            // The relay ceiling is left to the test above: its purge of freshly declared quorum
            // queues now and then meets RabbitMQ's noproc race (541), which is not this test's subject.
            let run = try await world.recoupctl(["bench", "run", "--invoices", "200", "--ceiling-events", "20", "--relay-messages", "0"])
            #expect(run.status == 0, "\(run.err)")
            let events = BenchmarkMix(invoices: 200, accounts: 200, runID: "t").events.count
            let lines = run.out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            let runID = try #require(lines.first?.split(separator: " ").last.map(String.init), "\(run.out)")
            #expect(lines.first == "Recoup end-to-end benchmark, run \(runID)")
            for prefix in ["mix: 200 invoices over 200 accounts, \(events) events (", "published: \(events) in ",
                           "committed: \(events) in ", "steady, 10 % to 90 % committed: ", "outbound: ",
                           "latency publish -> outbound, ", "publish -> recording started: ", "recording started -> outbound: ",
                           "recoupd resident memory: ",
                           "PostgreSQL, one event's transaction at a time: 20 in ",
                           "RabbitMQ relay ceiling: skipped", "to the PostgreSQL ceiling: ", "to the relay ceiling: n/a"] {
                #expect(lines.contains { $0.hasPrefix(prefix) }, "no line starts with \"\(prefix)\" in:\n\(run.out)")
            }
            #expect(lines.contains { $0.hasPrefix("to the PostgreSQL ceiling: ") && $0.hasSuffix("x") }, "\(run.out)")
            // The burst really went through the daemon, apart from the ceiling's own rows.
            #expect(try await world.count("SELECT count(*) FROM recoup.inbox WHERE starts_with(event_id, $1)", ["bench_\(runID)_evt_"]) == events)
            #expect(try await world.count("SELECT count(*) FROM recoup.invoices WHERE starts_with(invoice_id, $1)", ["bench_\(runID)_in_"]) == 200)

            // The same figures as JSON, without ceilings (the ratios say they are unknown), paced.
            // The mix's first customer notices are for the expired cards of invoices 885 to 894
            // (declines before them are retried silently). A notice needs the account and the
            // invoice recorded first; in a burst the payment-failures queue overtakes them, at a
            // pace the daemon keeps up with it does not.
            let json = try await world.recoupctl(["bench", "run", "--invoices", "900", "--accounts", "100", "--rate", "200",
                                                  "--ceiling-events", "0", "--relay-messages", "0", "--json"])
            #expect(json.status == 0, "\(json.err)")
            let report = try JSONParser.parse(json.out)
            let small = BenchmarkMix(invoices: 900, accounts: 100, runID: "t").events.count
            #expect(report["committed"]?["count"]?.int64Value == Int64(small), "\(json.out)")
            #expect(Self.double(report["rate"]) == 200, "\(json.out)")
            #expect((report["latency_ms"]?["samples"]?.int64Value ?? 0) >= 1, "\(json.out)")
            #expect((Self.double(report["latency_ms"]?["p99"]) ?? 0) > 0, "\(json.out)")
            // The harness daemon runs the controlled clock, so no sample can be split at its
            // recording start: the report says so instead of splitting by a clock that is not wall time.
            #expect(report["latency_ms"]?["not_split"]?.int64Value == report["latency_ms"]?["samples"]?.int64Value, "\(json.out)")
            #expect(report["latency_ms"]?["before_recording"]?["samples"]?.int64Value == 0, "\(json.out)")
            #expect((Self.double(report["resident_bytes"]?["end"]) ?? 0) > 0, "\(json.out)")
            #expect(report["ceilings"]?["postgres"] == .null && report["ratios"]?["relay"] == .null, "\(json.out)")
            let outbound = try #require(report["outbound"]?["count"]?.int64Value)
            #expect(outbound >= 1)
            let smallRun = try #require(report["run_id"]?.stringValue)
            #expect(try await world.count("SELECT count(*) FROM recoup.outbox WHERE starts_with(account_id, $1)", ["bench_\(smallRun)_"]) == outbound)

            // With no daemon consuming, the run gives up and says how far it got.
            try await world.stop()
            let stalled = try await world.recoupctl(["bench", "run", "--invoices", "10", "--ceiling-events", "0", "--relay-messages", "0",
                                                     "--metrics-url", "none", "--stall-timeout", "2"])
            #expect(stalled.status != 0)
            #expect(stalled.err.contains("recoupd committed no new event for 2 s: 0 of "), "\(stalled.err)")
        }
    }

    @Test("bench run refuses a production configuration and a daemon it cannot reach")
    func refusals() async throws {
        try await DaemonHarness.with(name: "benchrefuse") { world in
            let production = world.directory.appendingPathComponent("production.yaml").path
            let text = try String(contentsOfFile: world.configPath, encoding: .utf8)
            try text.replacingOccurrences(of: "environment: development", with: "environment: production")
                .write(toFile: production, atomically: true, encoding: .utf8)
            let refused = try await world.recoupctl(["bench", "run", "--invoices", "10"], config: production)
            #expect(refused.status != 0)
            #expect(refused.err.contains("runs only with environment: development"), "\(refused.err)")

            let unreachable = try await world.recoupctl(["bench", "run", "--invoices", "10", "--ceiling-events", "0", "--relay-messages", "0"])
            #expect(unreachable.status != 0)
            #expect(unreachable.err.contains("cannot read recoupd's metrics at http://127.0.0.1:\(world.adminPort)/metrics"), "\(unreachable.err)")
        }
    }

    static func double(_ value: JSONValue?) -> Double? {
        if case .number(let number)? = value { return number.doubleValue }
        return nil
    }
}
