import Postgres
import Testing

/// Queued writes (`enqueue`) go out with the next statement that needs an answer, in order, in
/// one pipeline: what a later read sees, what a failure does to the transaction, and that
/// nothing queued is lost or sent twice.
@Suite("Pipelined writes")
struct PipelineTests {
    /// Runs `body` on a fresh database holding `t (id serial, x int UNIQUE)`.
    static func withTable(_ body: (PostgresPool) async throws -> Void) async throws {
        try await withTestPool(poolSize: 1) { pool, _ in
            try await pool.withConnection { try $0.executeScript("CREATE TABLE t (id serial PRIMARY KEY, x int UNIQUE)") }
            try await body(pool)
        }
    }

    static func values(_ pool: PostgresPool) async throws -> [Int] {
        try await pool.withConnection { connection in
            try connection.query("SELECT x FROM t ORDER BY id").map { try $0.decode(Int.self, at: 0) }
        }
    }

    @Test("queued writes run in order before the read that sends them, and commit with the transaction")
    func orderAndVisibility() async throws {
        try await Self.withTable { pool in
            let (seen, queuedBeforeRead) = try await pool.transaction { connection in
                for x in [3, 1, 2] { try connection.enqueue("INSERT INTO t (x) VALUES ($1)", [x]) }
                let queued = connection.queuedStatementCount
                let seen = try connection.query("SELECT x FROM t ORDER BY id").map { try $0.decode(Int.self, at: 0) }
                try connection.enqueue("INSERT INTO t (x) VALUES ($1)", [4])
                return (seen, queued)
            }
            #expect(queuedBeforeRead == 4, "BEGIN and the three inserts wait for the read")
            #expect(seen == [3, 1, 2])
            #expect(try await Self.values(pool) == [3, 1, 2, 4], "the write queued last went out with COMMIT")
        }
    }

    @Test("a queued write that fails is thrown by the statement that sends it, and its transaction rolls back whole")
    func failureRollsBack() async throws {
        try await Self.withTable { pool in
            try await pool.withConnection { try $0.execute("INSERT INTO t (x) VALUES (7)") }
            let error = await #expect(throws: PostgresError.self) {
                try await pool.transaction(maxAttempts: 1) { connection in
                    try connection.enqueue("INSERT INTO t (x) VALUES ($1)", [8])
                    try connection.enqueue("INSERT INTO t (x) VALUES ($1)", [7])
                    try connection.enqueue("INSERT INTO t (x) VALUES ($1)", [9])
                    _ = try connection.query("SELECT count(*) FROM t")
                }
            }
            #expect(error?.sqlState == "23505", "the unique violation, not the aborted statements after it")
            #expect(try await Self.values(pool) == [7], "8 and 9 were rolled back with it")
            // The session is clean for the next borrower.
            try await pool.transaction { try $0.enqueue("INSERT INTO t (x) VALUES ($1)", [10]) }
            #expect(try await Self.values(pool) == [7, 10])
        }
    }

    @Test("outside a transaction, queued writes are sent before the connection goes back; a body that throws sends nothing")
    func sentOnReturnDroppedOnThrow() async throws {
        struct Stop: Error {}
        try await Self.withTable { pool in
            try await pool.withConnection { try $0.enqueue("INSERT INTO t (x) VALUES ($1)", [1]) }
            await #expect(throws: Stop.self) {
                try await pool.transaction(maxAttempts: 1) { connection in
                    try connection.enqueue("INSERT INTO t (x) VALUES ($1)", [2])
                    throw Stop()
                }
            }
            #expect(try await Self.values(pool) == [1])
            #expect(try await pool.withConnection { $0.isInTransaction } == false)
        }
    }

    @Test("more writes than one pipeline holds are sent in several, all of them once")
    func manyWrites() async throws {
        try await Self.withTable { pool in
            let count = PostgresConnection.pipelineLimit * 2 + 17
            try await pool.transaction { connection in
                for x in 0..<count { try connection.enqueue("INSERT INTO t (x) VALUES ($1)", [x]) }
                #expect(connection.queuedStatementCount < PostgresConnection.pipelineLimit)
            }
            #expect(try await Self.values(pool) == Array(0..<count))
        }
    }

    @Test("a connection lost with writes queued: the transaction runs again on a new session and each write lands once")
    func lostConnection() async throws {
        try await Self.withTable { pool in
            let attempts = AtomicCounter()
            try await pool.transaction { connection in
                let attempt = attempts.increment()
                try connection.enqueue("INSERT INTO t (x) VALUES ($1)", [1])
                if attempt == 1 {
                    // Killed by the statement its queued write travels with.
                    _ = try connection.query("SELECT pg_terminate_backend(pg_backend_pid())")
                }
                try connection.enqueue("INSERT INTO t (x) VALUES ($1)", [2])
            }
            #expect(attempts.current == 2)
            #expect(try await Self.values(pool) == [1, 2])
        }
    }

    @Test("independent reads go out together, after the queued writes, each answered in its place")
    func severalReads() async throws {
        try await Self.withTable { pool in
            let results = try await pool.transaction { connection in
                try connection.enqueue("INSERT INTO t (x) VALUES ($1)", [5])
                return try connection.queries([
                    ("SELECT count(*) FROM t", []),
                    ("SELECT x FROM t WHERE x = $1", [5]),
                    ("SELECT x FROM t WHERE x = $1", [6]),
                ]).map { result in try result.map { try $0.decode(Int.self, at: 0) } }
            }
            #expect(results == [[1], [5], []])
            await #expect(throws: PostgresError.self) {
                try await pool.transaction(maxAttempts: 1) { connection in
                    _ = try connection.queries([("SELECT 1", []), ("SELECT 1/0", []), ("SELECT 2", [])])
                }
            }
        }
    }
}
