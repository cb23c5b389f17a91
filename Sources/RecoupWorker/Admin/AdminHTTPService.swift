import FlyingFox
import Foundation
import Logging
import Postgres
import RecoupCore
import RecoupStore
import ServiceLifecycle
import Synchronization

/// The admin HTTP endpoint, on localhost by default: `/healthz` (the process answers),
/// `/readyz` (broker and database connected, schema current), `/metrics` (Prometheus text), and
/// `/worklist?limit=N` and `/accounts/ID/timeline` as JSON, read from the same database with the
/// policy in force. Read-only; it shares the daemon's pool and never holds locks.
struct AdminHTTPService: Service {
    let settings: RecoupConfiguration.AdminSettings
    let pool: PostgresPool
    let clock: StoreClock
    let reactions: ReactionsHolder
    let readiness: Readiness
    let counters: Counters
    let logger: Logger
    /// The backlog counts every pending timer and outbox row: kept this long, so a scraper polling
    /// every second (a dashboard, the benchmark) does not keep a database core busy counting.
    static let backlogMaxAge: Duration = .seconds(5)
    let backlogCache = Cached<Backlog>()

    func run() async throws {
        let server = HTTPServer(address: try .inet(ip4: settings.address, port: UInt16(settings.port)), timeout: 15,
                                logger: .disabled)
        await routes(on: server)
        let address = "\(settings.address):\(settings.port)"
        do {
            try await withGracefulShutdownHandler {
                logger.info("admin HTTP listening", metadata: ["address": "\(address)"])
                try await server.run()
            } onGracefulShutdown: {
                Task { await server.stop(timeout: 2) }
            }
        } catch {
            // Stopping the server on shutdown ends `run()` with a cancellation: that is the
            // normal way out, not a failure of the daemon.
            if Task.isShuttingDownGracefully || Task.isCancelled || error is CancellationError { return }
            // The worker's job matters more than its window: without the endpoint it keeps
            // consuming, and says so until it stops.
            logger.error("admin HTTP cannot listen; recoupd runs on without it",
                         metadata: ["address": "\(address)", "error": "\(String(describing: error).prefix(200))"])
            try await gracefulShutdown()
        }
    }

    private func routes(on server: HTTPServer) async {
        await server.appendRoute("GET /healthz") { _ in
            HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain"], body: Data("ok\n".utf8))
        }
        await server.appendRoute("GET /readyz") { _ in
            let report = await readiness.check()
            var response = Self.json(report.json)
            if !report.ready { response.statusCode = .serviceUnavailable }
            return response
        }
        await server.appendRoute("GET /metrics") { _ in
            let text = PrometheusText.render(counters, samples: await scrapeSamples())
            return HTTPResponse(statusCode: .ok, headers: [.contentType: PrometheusText.contentType], body: Data(text.utf8))
        }
        await server.appendRoute("GET /worklist") { (request: HTTPRequest) in
            let limit = request.query["limit"].flatMap(Int.init) ?? 20
            guard (1...1_000).contains(limit) else { return Self.problem(.badRequest, "limit: expected 1...1000") }
            let policy = reactions.current.replies?.escalation ?? EscalationPolicy()
            let items = try await pool.withConnection { connection in
                try Worklist.top(limit, now: try clock.now(connection), policy: policy, connection)
            }
            return Self.json(RecoupCore.JSONValue.array(items.map(\.json)))
        }
        await server.appendRoute("GET /accounts/:account/timeline") { (request: HTTPRequest) in
            guard let account = request.routeParameters["account"], !account.isEmpty, account.count <= 200 else {
                return Self.problem(.badRequest, "account: expected an account id")
            }
            let entries = try await pool.withConnection { connection in try Timeline.entries(accountID: account, connection) }
            return Self.json(RecoupCore.JSONValue.array(entries))
        }
    }

    /// The gauges read at scrape time: the process, each broker connection, and the backlog from the
    /// database (one connection attempt; without the database only `recoup_database_up 0`).
    private func scrapeSamples() async -> [PrometheusText.Sample] {
        var samples = readiness.connections.map {
            PrometheusText.Sample(.brokerConnected, $0.isConnected() ? 1 : 0, labels: ["connection": $0.name])
        } + ProcessStats.samples
        let clock = self.clock, backlogCache = self.backlogCache
        let read = try? await pool.withConnection(connectAttempts: 1) { connection in
            (try Migrator.currentVersion(connection),
             try backlogCache.value(maxAge: Self.backlogMaxAge) { try Backlog.read(now: try clock.now(connection), connection) })
        }
        guard let (version, backlog) = read else {
            samples.append(.init(.databaseUp, 0))
            return samples
        }
        samples.append(.init(.databaseUp, version == Migration.latestVersion ? 1 : 0))
        let gauges: [(MetricFamily, Double)] = [
            (.outboxPending, Double(backlog.outboxPending)), (.outboxLag, backlog.outboxLagSeconds),
            (.timersPending, Double(backlog.timersPending)), (.timersDue, Double(backlog.timersDue)),
            (.timersLate, Double(backlog.timersLate)),
        ]
        samples += gauges.map { PrometheusText.Sample($0.0, $0.1) }
        return samples
    }

    static func json(_ value: RecoupCore.JSONValue) -> HTTPResponse {
        HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: Data(value.serializedBytes))
    }

    static func problem(_ status: HTTPStatusCode, _ message: String) -> HTTPResponse {
        HTTPResponse(statusCode: status, headers: [.contentType: "application/json"],
                     body: Data(RecoupCore.JSONValue.object(["error": .string(message)]).serializedBytes))
    }
}

/// A value read at most once per `maxAge`; reads in between get the last one.
final class Cached<Value: Sendable>: Sendable {
    private let state = Mutex<(value: Value, at: ContinuousClock.Instant)?>(nil)

    /// The value read less than `maxAge` ago, or a new one from `read` (which may throw; then
    /// nothing is kept).
    func value(maxAge: Duration, read: () throws -> Value) rethrows -> Value {
        let now = ContinuousClock.now
        if let kept = state.withLock({ $0 }), now - kept.at < maxAge { return kept.value }
        let value = try read()
        state.withLock { $0 = (value, now) }
        return value
    }
}
