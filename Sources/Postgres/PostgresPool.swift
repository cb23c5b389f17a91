import Foundation
import Logging

/// Transaction isolation level for `PostgresPool.transaction`.
public enum PostgresIsolation: Sendable, Hashable {
    case readCommitted, repeatableRead, serializable

    var beginStatement: String {
        switch self {
        case .readCommitted: "BEGIN ISOLATION LEVEL READ COMMITTED"
        case .repeatableRead: "BEGIN ISOLATION LEVEL REPEATABLE READ"
        case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
        }
    }
}

/// A fixed pool of PostgreSQL connections, each owned by its own thread.
///
/// Blocking libpq calls run only on those threads, never on the Swift concurrency pool.
/// Callers queue closures; at most `poolSize` run at once. Connections open lazily and are
/// reopened before use when found broken.
public final class PostgresPool: Sendable {
    /// The configuration the pool was made with.
    public let configuration: PostgresConfiguration
    private let logger: Logger
    private let queue = JobQueue()
    private let health = PoolHealth()
    private let exits: ExitLatch

    /// Starts `poolSize` (at least 1) connection threads; connects on first use.
    public init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        var poolLogger = logger
        poolLogger[metadataKey: "pg_application"] = "\(configuration.applicationName)"
        self.logger = poolLogger
        let size = max(1, configuration.poolSize)
        exits = ExitLatch(count: size)
        for index in 0..<size {
            let thread = Thread { [queue, health, exits, poolLogger] in
                let worker = PoolWorker(configuration: configuration, logger: poolLogger, health: health)
                while let job = queue.next() {
                    job.run(worker)
                }
                worker.shutdown()
                exits.arrive()
            }
            thread.name = "pg-\(configuration.applicationName)-\(index)"
            thread.start()
        }
    }

    deinit {
        // Without close(), let the threads drain and end rather than wait forever.
        queue.close()
    }

    /// Lends a connection to `body`, which runs synchronously on that connection's thread.
    ///
    /// Does not re-run `body`. A broken connection is reopened first (up to
    /// `configuration.connectAttempts` tries, then a `.connection` error); a transaction the
    /// body leaves open is rolled back. Throws `.closed` after `close()`.
    public func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await submit(connectAttempts: configuration.connectAttempts, body)
    }

    /// `withConnection` with at most `connectAttempts` tries to (re)open a broken connection:
    /// for health checks, which should answer "down" quickly rather than wait for the server.
    public func withConnection<T: Sendable>(
        connectAttempts: Int, _ body: @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await submit(connectAttempts: max(1, connectAttempts), body)
    }

    /// Runs `body` between BEGIN and COMMIT (ROLLBACK when it throws), retrying the whole
    /// transaction on serialization failures, deadlocks and lost connections.
    ///
    /// Retries re-run `body`, so it must be idempotent or guarded (e.g. by an inbox row in the
    /// same transaction). A COMMIT that loses the connection has an unknown outcome and is
    /// retried too, which such a guard makes safe. Backoff is jittered exponential from 20 ms;
    /// after `maxAttempts` the last error is thrown.
    public func transaction<T: Sendable>(
        isolation: PostgresIsolation = .readCommitted,
        maxAttempts: Int = 5,
        _ body: @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await submit(connectAttempts: 1) { connection in
                    try Self.runTransaction(on: connection, isolation: isolation, body)
                }
            } catch let error as PostgresError where error.isTransient && attempt < maxAttempts {
                let delay = Backoff.delay(attempt: attempt, base: .milliseconds(20), cap: .seconds(1))
                logger.debug("retrying transaction after transient failure", metadata: [
                    "attempt": "\(attempt)", "sqlstate": "\(error.sqlState ?? "-")", "kind": "\(error.kind)",
                ])
                try await Task.sleep(for: delay)
                attempt += 1
            }
        }
    }

    /// Finishes jobs already queued, fails later calls with `.closed`, closes every
    /// connection and waits for the pool threads to end. Safe to call more than once.
    public func close() async {
        queue.close()
        await exits.wait()
        health.set(false)
    }

    /// True when the pool is open and its latest connection attempt or use succeeded
    /// (false until the first connection). A cheap readiness signal; `ping()` checks for real.
    public var isHealthy: Bool {
        !queue.isClosed && health.isUp
    }

    /// Runs `SELECT 1` on a pooled connection (one connect attempt): true if it worked.
    public func ping() async -> Bool {
        do {
            return try await withConnection(connectAttempts: 1) { connection in
                try connection.query("SELECT 1").count == 1
            }
        } catch {
            return false
        }
    }

    // MARK: Internals

    /// Calls waiting for a free connection thread (for tests and diagnostics).
    var queuedCallCount: Int { queue.pendingCount }

    private static func runTransaction<T>(
        on connection: PostgresConnection,
        isolation: PostgresIsolation,
        _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        if connection.isInTransaction {
            throw PostgresError.usage("a transaction is already open on this connection")
        }
        connection.resetErrorTracking()
        // BEGIN goes out with the body's first statement, and the body's queued writes with COMMIT.
        try connection.enqueue(isolation.beginStatement)
        func rollBack() {
            connection.pending.removeAll()
            if connection.isInTransaction { try? connection.executeScript("ROLLBACK") }
        }
        let value: T
        let commit: PostgresResult
        do {
            value = try body(connection)
            commit = try connection.query("COMMIT")
        } catch {
            rollBack()
            throw error
        }
        if commit.commandTag == "ROLLBACK" {
            // The body swallowed an error, so the server rolled the transaction back. Report
            // that error (a swallowed 40001 is then retried like any other).
            throw connection.lastError ?? PostgresError.usage(
                "the transaction had failed, so COMMIT rolled it back")
        }
        return value
    }

    /// Queues `body` for the next free connection thread and waits for its result. A caller
    /// cancelled while still queued gets `CancellationError` and its body never runs.
    private func submit<T: Sendable>(
        connectAttempts: Int,
        _ body: @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        // `body` only has to outlive this call: the box drops it before the caller resumes, so
        // it never escapes even though another thread runs it.
        try await withoutActuallyEscaping(body) { body in
            let box = BodyBox(body)
            let ticket = JobTicket()
            let queue = self.queue
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                    let job = PoolJob(
                        ticket: ticket,
                        run: { worker in
                            let result = Result { try worker.lend(connectAttempts: connectAttempts) { try box.callOnce($0) } }
                            // When connecting failed, the body never ran and the box still
                            // holds it: let go before the caller resumes, or it would escape.
                            box.discard()
                            continuation.resume(with: result)
                        },
                        fail: { error in
                            box.discard()
                            continuation.resume(throwing: error)
                        })
                    switch queue.submit(job) {
                    case .queued: break
                    case .closed: job.fail(PostgresError.closed())
                    case .cancelled: job.fail(CancellationError())
                    }
                }
            } onCancel: {
                queue.cancel(ticket)?.fail(CancellationError())
            }
        }
    }
}

/// Holds a borrowed closure for the one thread that runs (or discards) it, and lets go of it
/// before the waiting caller resumes (so `withoutActuallyEscaping` holds).
private final class BodyBox<T>: @unchecked Sendable {
    private var body: (@Sendable (PostgresConnection) throws -> T)?

    init(_ body: @escaping @Sendable (PostgresConnection) throws -> T) { self.body = body }

    func callOnce(_ connection: PostgresConnection) throws -> T {
        guard let body else { throw PostgresError.usage("a pool job ran twice") }
        self.body = nil
        return try body(connection)
    }

    func discard() { body = nil }
}
