import Foundation
import RecoupCore
import RecoupStore
import RecoupWorker
import Testing
import TestSupport

/// What systemd and a monitoring system see of a running `recoupd`: sd_notify messages on a
/// fake `NOTIFY_SOCKET`, `/readyz` and `/metrics` from the admin endpoint.
@Suite("systemd, readiness and metrics, end to end", .serialized)
struct OperationsEndToEndTests {
    @Test("READY=1 once connected, WATCHDOG=1 pings, STOPPING=1 as soon as SIGTERM arrives, then exit 0")
    func notifyLifecycle() async throws {
        try await DaemonHarness.with(name: "notify") { world in
            let socket = try NotifySocket()
            defer { socket.close() }
            try world.start(environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "1000000"])

            let untilReady = try await socket.receive(until: { $0.contains("READY=1") }, timeout: .seconds(60))
            #expect(untilReady.last?.contains("READY=1") == true, "got \(untilReady)")
            #expect(untilReady.last?.contains("STATUS=consuming 3 queues") == true)

            // Half of WATCHDOG_USEC: about two pings in the next 1.5 s.
            var pings = 0
            let pingDeadline = ContinuousClock.now + .seconds(10)
            while pings < 2, ContinuousClock.now < pingDeadline {
                pings += try await socket.receive(until: { $0 == "WATCHDOG=1" }, timeout: .seconds(3)).filter { $0 == "WATCHDOG=1" }.count
            }
            #expect(pings >= 2)

            try world.signal(SIGTERM)
            let afterTerm = try await socket.receive(until: { $0.contains("STOPPING=1") }, timeout: .seconds(15))
            #expect(afterTerm.last?.hasPrefix("STOPPING=1") == true, "got \(afterTerm)")
            #expect(!afterTerm.contains { $0.contains("READY=1") })
            let (status, _) = try await world.stop(signal: SIGTERM)
            #expect(status == 0)
        }
    }

    @Test("/readyz reports broker, database and schema; /metrics is valid Prometheus text that counts what happened")
    func readinessAndMetrics() async throws {
        // The controlled clock stands before the invoices' due date, so no timer fires while the
        // test compares the scraped count with the table (with wall time, one did: 10 vs 8).
        try await DaemonHarness.with(name: "metrics", clock: "controlled") { world in
            try await world.startMigrated()
            try await world.clock("set", "2026-11-20T10:00:00Z")
            try await world.publish([
                TestEvent.accountUpdated("acc_m", version: 1),
                TestEvent.invoiceCreated("in_m1", account: "acc_m"),
                TestEvent.invoiceCreated("in_m2", account: "acc_m"),
                .raw(Array("not json".utf8), routingKey: "invoice.created"),
            ])
            try await world.waitForInbox(3)
            try await world.waitUntil("the dead letter") { try await world.admin.messageCount(queue: "recoup.invoices.dlq") == 1 }

            let ready = try await world.adminGET("/readyz")
            #expect(ready.status == 200)
            let report = try JSONParser.parse(ready.body)
            #expect(report["ready"] == .bool(true))
            #expect(report["database"]?["schema_current"] == .bool(true))
            #expect(report["database"]?["schema_version"]?.int64Value == Int64(Migration.latestVersion))
            let broker = report["broker"]?.objectValue
            #expect(broker?.count == 5 && broker?.allSatisfy { $0.value == .bool(true) } == true, "\(String(describing: broker))")

            let scraped = try await world.adminGET("/metrics")
            #expect(scraped.status == 200)
            let metrics = try PrometheusTextParser.parse(String(decoding: scraped.body, as: UTF8.self))
            #expect(metrics.value("recoup_events_total", ["type": "invoice.created", "outcome": "applied"]) == 2)
            #expect(metrics.value("recoup_events_total", ["type": "account.updated", "outcome": "applied"]) == 1)
            #expect(metrics.value("recoup_dead_letters_total", ["queue": "recoup.invoices", "class": "malformed"]) == 1)
            // All four went through the invoices queue: three processed, one dead-lettered.
            #expect(metrics.value("recoup_event_processing_seconds_count", ["queue": "recoup.invoices"]) == 4)
            #expect(metrics.value("recoup_database_up") == 1)
            #expect(metrics.samples("recoup_broker_connected").count == 5)
            #expect(metrics.samples("recoup_broker_connected").allSatisfy { $0.value == 1 })
            // Two invoices due 2026-11-30: their journeys put timers in the table, none due yet.
            let pendingTimers = try await world.count(
                "SELECT count(*) FROM recoup.timers WHERE fired_at IS NULL AND cancelled_at IS NULL")
            #expect(pendingTimers > 0)
            #expect(metrics.value("recoup_timers_pending") == Double(pendingTimers))
            #expect(metrics.value("recoup_timers_due") == 0)
            #expect(metrics.value("recoup_outbox_pending") != nil)
            // The daemon's own memory, as the benchmark and dashboards read it: a few MB at least.
            let resident = metrics.value("process_resident_memory_bytes") ?? 0
            #expect(resident > 5_000_000 && resident < 2_000_000_000, "\(resident)")
            let started = metrics.value("process_start_time_seconds") ?? 0
            #expect(abs(started - Date().timeIntervalSince1970) < 600)
            try await world.stop()
        }
    }

    @Test("with the broker down /readyz says 503 and which connections are down, systemd's STATUS says why; both recover")
    func brokerDown() async throws {
        let broker = try await ScratchBroker.start(name: "readyz")
        do {
            try await DaemonHarness.with(name: "readyz", broker: broker) { world in
                let socket = try NotifySocket()
                defer { socket.close() }
                try world.start(environment: ["NOTIFY_SOCKET": socket.path])
                _ = try await socket.receive(until: { $0.contains("READY=1") }, timeout: .seconds(60))
                #expect(try await world.adminGET("/readyz").status == 200)

                try await broker.stop()
                let waiting = try await socket.receive(until: { $0.contains("STATUS=waiting for RabbitMQ") }, timeout: .seconds(30))
                #expect(waiting.last?.contains("waiting for RabbitMQ") == true, "got \(waiting)")
                let down = try await world.adminGET("/readyz")
                #expect(down.status == 503)
                let report = try JSONParser.parse(down.body)
                #expect(report["ready"] == .bool(false))
                #expect(report["database"]?["connected"] == .bool(true))
                #expect(report["broker"]?.objectValue?.contains { $0.value == .bool(false) } == true)
                let metrics = try PrometheusTextParser.parse(String(decoding: try await world.adminGET("/metrics").body, as: UTF8.self))
                #expect(metrics.samples("recoup_broker_connected").contains { $0.value == 0 })
                #expect(world.isRunning, "the daemon rides out the outage")

                try await broker.startAgain()
                let back = try await socket.receive(until: { $0.contains("STATUS=consuming") }, timeout: .seconds(60))
                #expect(back.last?.contains("STATUS=consuming 3 queues") == true, "got \(back)")
                try await world.waitUntil("ready again", timeout: .seconds(30)) {
                    try await world.adminGET("/readyz").status == 200
                }
                try await world.stop()
            }
        } catch {
            await broker.destroy()
            throw error
        }
        await broker.destroy()
    }
}
