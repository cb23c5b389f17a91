import Foundation
import Testing
@testable import Postgres
import TestSupport

@Suite("Pool behaviour against a real server")
struct PoolIntegrationTests {
    @Test("transaction: a throwing body rolls back and is not retried")
    func rollbackOnThrow() async throws {
        try await withTestPool { pool, _ in
            try await pool.withConnection { try $0.executeScript("CREATE TABLE t (x int)") }
            let attempts = AtomicCounter()
            await #expect(throws: ExpectedFailure.self) {
                try await pool.transaction { connection in
                    attempts.increment()
                    try connection.execute("INSERT INTO t VALUES ($1)", [1])
                    try connection.execute("INSERT INTO t VALUES ($1)", [2])
                    throw ExpectedFailure()
                }
            }
            #expect(attempts.current == 1)
            let count = try await pool.withConnection { try $0.query("SELECT count(*) FROM t")[0].decode(Int.self, at: 0) }
            #expect(count == 0)
            // A successful one commits.
            let inserted = try await pool.transaction(isolation: .repeatableRead) { connection in
                try connection.execute("INSERT INTO t VALUES ($1), ($2)", [3, 4])
            }
            #expect(inserted == 2)
            let after = try await pool.withConnection { try $0.query("SELECT count(*) FROM t")[0].decode(Int.self, at: 0) }
            #expect(after == 2)
        }
    }

    @Test("transaction: a swallowed server error makes COMMIT fail instead of silently rolling back")
    func swallowedErrorSurfaces() async throws {
        try await withTestPool { pool, _ in
            try await pool.withConnection { try $0.executeScript("CREATE TABLE t (x int)") }
            let error = await #expect(throws: PostgresError.self) {
                try await pool.transaction { connection in
                    try connection.execute("INSERT INTO t VALUES ($1)", [1])
                    _ = try? connection.query("SELECT 1 / 0")
                    return 1
                }
            }
            #expect(error?.sqlState == "22012")
            let count = try await pool.withConnection { try $0.query("SELECT count(*) FROM t")[0].decode(Int.self, at: 0) }
            #expect(count == 0)
        }
    }

    @Test("withConnection: a transaction left open is rolled back before the next borrower")
    func leftOpenTransactionIsRolledBack() async throws {
        try await withTestPool(poolSize: 1) { pool, _ in
            try await pool.withConnection { connection in
                try connection.executeScript("CREATE TABLE t (x int)")
                try connection.executeScript("BEGIN")
                try connection.execute("INSERT INTO t VALUES ($1)", [1])
            }
            let (inTransaction, count) = try await pool.withConnection { connection in
                (connection.isInTransaction, try connection.query("SELECT count(*) FROM t")[0].decode(Int.self, at: 0))
            }
            #expect(!inTransaction)
            #expect(count == 0)
        }
    }

    @Test("a real serialization failure between two serializable transactions is retried; both commit")
    func serializationFailureIsRetried() async throws {
        try await withTestPool(poolSize: 2) { pool, _ in
            try await pool.withConnection { connection in
                try connection.executeScript("CREATE TABLE acct (id int PRIMARY KEY, v int NOT NULL)")
                try connection.execute("INSERT INTO acct VALUES (1, 10), (2, 20)")
            }
            // Each transaction reads the sum of both rows and writes it into its own row: run
            // side by side (the barrier makes both read before either writes) this is write
            // skew, which SERIALIZABLE must refuse for one of them.
            let barrier = ThreadBarrier(parties: 2)
            let attempts = AtomicCounter()
            @Sendable func writeSum(into id: Int, _ connection: PostgresConnection, firstAttempt: Bool) throws {
                let sum = try connection.query("SELECT sum(v) FROM acct")[0].decode(Int.self, at: 0)
                if firstAttempt { barrier.arriveAndWait() }
                try connection.execute("UPDATE acct SET v = $1 WHERE id = $2", [sum, id])
            }
            async let first: Int = pool.transaction(isolation: .serializable) { connection in
                let attempt = attempts.increment()
                try writeSum(into: 1, connection, firstAttempt: attempt <= 2)
                return 1
            }
            async let second: Int = pool.transaction(isolation: .serializable) { connection in
                let attempt = attempts.increment()
                try writeSum(into: 2, connection, firstAttempt: attempt <= 2)
                return 2
            }
            let results = try await [first, second]
            #expect(results == [1, 2])
            #expect(attempts.current >= 3, "one transaction must have been retried")
            let values = try await pool.withConnection { connection in
                try connection.query("SELECT v FROM acct ORDER BY id").map { try $0.decode(Int.self, at: 0) }
            }
            // Only the two serial orders are acceptable: 1 then 2 gives [30, 50]; 2 then 1 gives [40, 30].
            #expect(values == [30, 50] || values == [40, 30], "\(values)")
        }
    }

    @Test("a killed connection is detected and the next withConnection reconnects")
    func reconnectAfterTermination() async throws {
        try await withTestPool(poolSize: 1) { pool, _ in
            let firstPID = try await pool.withConnection { $0.backendPID }
            let terminated = try await withAdminPool { admin in
                try await admin.withConnection { connection in
                    // The two-argument form waits (up to 5 s) until the backend has exited.
                    try connection.query("SELECT pg_terminate_backend($1, 5000)", [firstPID])[0].decode(Bool.self, at: 0)
                }
            }
            #expect(terminated)
            let (secondPID, value) = try await pool.withConnection { connection in
                (connection.backendPID, try connection.query("SELECT 1")[0].decode(Int.self, at: 0))
            }
            #expect(value == 1)
            #expect(secondPID != firstPID)
            #expect(pool.isHealthy)
        }
    }

    @Test("a transaction whose connection dies mid-body reconnects and re-runs")
    func transactionRetriesLostConnection() async throws {
        try await withTestPool(poolSize: 1) { pool, _ in
            try await pool.withConnection { try $0.executeScript("CREATE TABLE t (x int)") }
            let attempts = AtomicCounter()
            let pids = try await pool.transaction { connection in
                let attempt = attempts.increment()
                try connection.execute("INSERT INTO t VALUES ($1)", [attempt])
                if attempt == 1 {
                    // The session kills itself: the next statement sees the connection gone.
                    _ = try connection.query("SELECT pg_terminate_backend(pg_backend_pid())")
                }
                return connection.backendPID
            }
            #expect(attempts.current == 2)
            #expect(pids > 0)
            let rows = try await pool.withConnection { connection in
                try connection.query("SELECT x FROM t").map { try $0.decode(Int.self, at: 0) }
            }
            #expect(rows == [2], "the first attempt's insert must have been rolled back with its session")
        }
    }

    @Test("the pool never runs more than poolSize bodies at once and serves 200 concurrent callers")
    func boundedConcurrency() async throws {
        let poolSize = 3
        try await withTestPool(poolSize: poolSize) { pool, _ in
            let gauge = ConcurrencyGauge()
            let sum = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            // No current task means this is not the Swift concurrency pool.
                            let inTask = withUnsafeCurrentTask { $0 != nil }
                            gauge.enter(thread: "\(pthread_self())", inTask: inTask)
                            defer { gauge.leave() }
                            _ = try connection.query("SELECT pg_sleep(0.002)")
                            return try connection.query("SELECT $1::int", [index])[0].decode(Int.self, at: 0)
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            let (maximum, total) = gauge.snapshot
            // Bodies run only on the pool's own threads, never on the concurrency pool.
            #expect(gauge.threads.count <= poolSize)
            #expect(gauge.bodiesInTasks == 0)
            #expect(sum == (0..<200).reduce(0, +))
            #expect(total == 200)
            #expect(maximum <= poolSize)
            #expect(maximum >= 2, "callers should have run side by side")
            let backends = try await pool.withConnection { connection in
                try connection.query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")[0].decode(Int.self, at: 0)
            }
            #expect(backends <= poolSize)
        }
    }

    // The waits below are for states the test itself brings about, so they get as long as a
    // starved machine may need to schedule a task; the time limit catches a real hang.
    @Test("a caller cancelled while queued never runs its body", .timeLimit(.minutes(10)))
    func cancelledWhileQueued() async throws {
        try await withTestPool(poolSize: 1) { pool, _ in
            let ran = AtomicCounter()
            let started = AtomicCounter()
            let gate = ThreadGate()
            defer { gate.open() } // a failed expectation must not leave the pool thread blocked
            // The only connection stays busy until the test opens the gate, however long the
            // test takes to get there (a timed-out gate would free the connection and let the
            // queued body run); the blocker reports whether it was really let go by the test.
            let blocker = Task {
                try await pool.withConnection { connection in
                    started.increment()
                    let released = gate.wait()
                    return (released, try connection.query("SELECT 1")[0].decode(Int.self, at: 0))
                }
            }
            try #require(await eventually(timeout: .seconds(300)) { started.current == 1 })
            let queued = Task {
                try await pool.withConnection { _ in ran.increment() }
            }
            // Cancel only once the call is really waiting in the queue behind the blocker.
            try #require(await eventually(timeout: .seconds(300)) { pool.queuedCallCount == 1 })
            queued.cancel()
            // The cancellation handler withdraws the job at once, on this thread.
            #expect(pool.queuedCallCount == 0)
            await #expect(throws: CancellationError.self) { try await queued.value }
            gate.open()
            let (released, value) = try await blocker.value
            #expect(released, "the blocker held the only connection until the test let it go")
            #expect(value == 1)
            #expect(try await pool.withConnection { _ in 1 } == 1)
            #expect(ran.current == 0)
        }
    }

    @Test("a caller cancelled before its call is queued never runs its body")
    func cancelledBeforeQueued() async throws {
        try await withTestPool(poolSize: 1) { pool, _ in
            let ran = AtomicCounter()
            let caller = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await pool.withConnection { _ in ran.increment() }
            }
            await #expect(throws: CancellationError.self) { try await caller.value }
            let value = try await pool.withConnection { _ in 1 }
            #expect(value == 1)
            #expect(ran.current == 0)
            #expect(pool.queuedCallCount == 0)
        }
    }

    @Test("close() finishes, then later calls fail with .closed")
    func closeFailsLaterCalls() async throws {
        let database = try await makeTestDatabase()
        do {
            try await closeFailsLaterCalls(database: database)
        } catch {
            try? await dropTestDatabase(database)
            throw error
        }
        try await dropTestDatabase(database)
    }

    private func closeFailsLaterCalls(database: String) async throws {
        let pool = PostgresPool(configuration: testConfiguration(database: database, poolSize: 2), logger: quietLogger)
        #expect(await pool.ping())
        #expect(pool.isHealthy)
        // Work submitted before close() completes.
        async let inFlight = pool.withConnection { connection in
            try connection.query("SELECT pg_sleep(0.1), 7")[0].decode(Int.self, at: 1)
        }
        try await Task.sleep(for: .milliseconds(20))
        await pool.close()
        #expect(try await inFlight == 7)

        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { _ in 1 }
        }
        #expect(error?.kind == .closed)
        let transactionError = await #expect(throws: PostgresError.self) {
            try await pool.transaction { _ in 1 }
        }
        #expect(transactionError?.kind == .closed)
        #expect(!pool.isHealthy)
        #expect(await !pool.ping())
        await pool.close() // idempotent
        let sessions = try await runCommand([
            "psql", "-X", "-At", TestEnvironment.postgresSuperuserURL(), "-c",
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '\(database)'",
        ])
        #expect(sessions.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    /// Nothing listens on port 1: connections are refused at once.
    private static let unreachableURL = "postgresql://recoup_app:recoup_app@127.0.0.1:1/recoup"

    // A hang (a call retrying or waiting for ever) fails on the time limit instead of stalling
    // the whole run.
    @Test("with the server unreachable, calls fail with a connection error instead of hanging",
          .timeLimit(.minutes(5)))
    func unreachableServer() async throws {
        let pool = PostgresPool(
            configuration: PostgresConfiguration(url: Self.unreachableURL, poolSize: 2,
                                                 connectTimeoutSeconds: 2, applicationName: "unreachable"),
            logger: quietLogger)
        let start = ContinuousClock.now
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { _ in 1 }
        }
        #expect(error?.kind == .connection)
        #expect(error?.isTransient == true)
        #expect(error?.description.contains("recoup_app:recoup_app") == false)
        let transactionError = await #expect(throws: PostgresError.self) {
            try await pool.transaction(maxAttempts: 3) { _ in 1 }
        }
        #expect(transactionError?.kind == .connection)
        // The pool itself needs about 0.3 s here: refused connects fail at once, and the
        // backoff adds at most 0.3 s over withConnection's 3 connect attempts and 60 ms over the
        // transaction's 3 tries. Even connects that ran into connect_timeout (2 s) would total
        // under 15 s. On a saturated machine, every resumption of this test may also wait
        // seconds for a cooperative thread, so the bound is generous: it only has to tell
        // "returned" from "never returns".
        #expect(ContinuousClock.now - start < .seconds(120))
        #expect(!pool.isHealthy)
        #expect(await !pool.ping())
        await pool.close()
    }

    @Test("a call that cannot connect lets go of its body before the caller resumes")
    func failedConnectReleasesBody() async throws {
        // The caller lends its body to a pool thread under withoutActuallyEscaping, which traps
        // if the body is still referenced when the caller resumes. When connecting fails, the
        // body never runs, so the pool must drop it before resuming the caller. (Without that,
        // this test crashed 10 runs out of 10; two connect attempts, with a backoff between
        // them, make the caller win the race.)
        let pool = PostgresPool(
            configuration: PostgresConfiguration(url: Self.unreachableURL, poolSize: 2, connectTimeoutSeconds: 2,
                                                 connectAttempts: 2, applicationName: "unreachable"),
            logger: quietLogger)
        for _ in 0..<10 {
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { _ in 1 }
            }
            #expect(error?.kind == .connection)
        }
        await pool.close()
    }
}
