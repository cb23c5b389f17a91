import FlyingFox
import Foundation
import Logging
import Postgres
import RecoupCore
import RecoupStore
import ServiceLifecycle

/// The admin HTTP endpoint, on localhost by default: `/healthz`, `/worklist?limit=N` and
/// `/accounts/ID/timeline` as JSON, read from the same database with the policy in force.
/// Read-only; it shares the daemon's pool and never holds locks.
struct AdminHTTPService: Service {
    let settings: RecoupConfiguration.AdminSettings
    let pool: PostgresPool
    let clock: StoreClock
    let reactions: ReactionsHolder
    let logger: Logger

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

    static func json(_ value: RecoupCore.JSONValue) -> HTTPResponse {
        HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: Data(value.serializedBytes))
    }

    static func problem(_ status: HTTPStatusCode, _ message: String) -> HTTPResponse {
        HTTPResponse(statusCode: status, headers: [.contentType: "application/json"],
                     body: Data(RecoupCore.JSONValue.object(["error": .string(message)]).serializedBytes))
    }
}
