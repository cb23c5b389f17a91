import Postgres
import Testing

/// Each distinct statement is prepared once per session and then run by name; a statement the
/// schema outgrew is prepared again; switched off, nothing is prepared.
@Suite("Prepared statements")
struct PreparedStatementTests {
    static let lookup = "SELECT name FROM items WHERE id = $1"

    /// Runs `body` on the one session of a fresh database holding `items` (1: 'one', 2: null).
    static func withItems(preparedStatements: Bool = true, _ body: @escaping @Sendable (PostgresConnection) throws -> Void) async throws {
        try await withTestPool(poolSize: 1, preparedStatements: preparedStatements) { pool, _ in
            try await pool.withConnection { connection in
                try connection.executeScript("CREATE TABLE items (id bigint PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'one'), (2, NULL)")
                try body(connection)
            }
        }
    }

    /// The statements this session has prepared, by text.
    static func preparedTexts(_ connection: PostgresConnection) throws -> [String] {
        try connection.query("SELECT statement FROM pg_prepared_statements ORDER BY prepare_time").map { try $0.decode(String.self, at: 0) }
    }

    @Test("a repeated statement is prepared once and answers like an unnamed one, null parameters included")
    func preparedOnce() async throws {
        try await Self.withItems { connection in
            for _ in 0..<3 {
                #expect(try connection.query(Self.lookup, [Int64(1)]).first?.decodeOptional(String.self, at: 0) == "one")
                #expect(try connection.query(Self.lookup, [Int64(2)]).first?.decodeOptional(String.self, at: 0) == nil)
            }
            let typed = "SELECT coalesce($1, 'none')"
            #expect(try connection.query(typed, [String?.none]).first?.decode(String.self, at: 0) == "none")
            #expect(try connection.query(typed, ["given"]).first?.decode(String.self, at: 0) == "given")
            let texts = try Self.preparedTexts(connection)
            #expect(texts.filter { $0 == Self.lookup }.count == 1)
            // A typed null binds with its type, so both calls share one statement.
            #expect(texts.filter { $0 == typed }.count == 1)
        }
    }

    @Test("a failed prepare in an aborted transaction is not remembered; a table changed under a statement is prepared again")
    func recovers() async throws {
        try await Self.withItems { connection in
            try connection.executeScript("BEGIN")
            #expect(throws: PostgresError.self) { try connection.query("SELECT 1/0") }
            #expect(throws: PostgresError.self) { try connection.query(Self.lookup, [Int64(1)]) }
            try connection.executeScript("ROLLBACK")
            #expect(try connection.query(Self.lookup, [Int64(1)]).count == 1, "prepared now, after the failed attempt")

            let all = "SELECT * FROM items WHERE id = $1"
            #expect(try connection.query(all, [Int64(1)]).columns.count == 2)
            try connection.executeScript("ALTER TABLE items ADD COLUMN price bigint")
            // The server refuses the old plan once (0A000); the next call prepares afresh.
            do {
                _ = try connection.query(all, [Int64(1)])
            } catch let error as PostgresError {
                #expect(error.sqlState == "0A000", "\(error)")
            }
            #expect(try connection.query(all, [Int64(1)]).columns.count == 3)
        }
    }

    @Test("switched off (for a pooler in transaction mode), nothing is prepared")
    func off() async throws {
        try await Self.withItems(preparedStatements: false) { connection throws in
            for _ in 0..<3 { #expect(try connection.query(Self.lookup, [Int64(1)]).count == 1) }
            #expect(try Self.preparedTexts(connection).isEmpty)
        }
    }

    @Test("a statement planned on every run is never prepared, beside one that is")
    func plannedEachRun() async throws {
        try await Self.withItems { connection throws in
            let each = "SELECT name FROM items WHERE id >= $1 ORDER BY id", update = "UPDATE items SET name = name WHERE id = $1"
            for _ in 0..<3 {
                #expect(try connection.query(each, [Int64(1)], planning: .eachRun).count == 2)
                #expect(try connection.execute(update, [Int64(1)], planning: .eachRun) == 1)
                #expect(try connection.query(Self.lookup, [Int64(1)]).count == 1)
            }
            let texts = try Self.preparedTexts(connection)
            #expect(texts.contains(Self.lookup) && !texts.contains(each) && !texts.contains(update), "\(texts)")
        }
    }
}
