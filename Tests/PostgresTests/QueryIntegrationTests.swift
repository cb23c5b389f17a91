import Foundation
import Testing
import Postgres
import TestSupport

@Suite("Queries against a real server")
struct QueryIntegrationTests {
    static let hostileStrings = [
        "O'Reilly",
        "Robert'); DROP TABLE things; --",
        "x'; DELETE FROM things WHERE '1'='1",
        "semi;colon; SELECT pg_sleep(10);",
        #"back\slash \' and "double" quotes, $1 $$ dollar $tag$"#,
        "zoë ✓ 🙂 日本",
        "",
        "   ",
    ]

    @Test("every type round-trips through parameterised insert and select, NULLs included")
    func roundTrip() async throws {
        try await withTestPool { pool, _ in
            try await pool.withConnection { connection in
                try connection.executeScript("""
                    CREATE TABLE things (
                        id     bigserial PRIMARY KEY,
                        t      text, i8 bigint, i4 integer, d double precision, b boolean,
                        ts     timestamptz, plain_ts timestamp, day date, by bytea, u uuid, j jsonb, n numeric
                    );
                    """)
            }
            let uuid = UUID()
            let date = Date(timeIntervalSince1970: 1_709_214_310.123456)
            let bytes: [UInt8] = [0, 1, 2, 0x7f, 0x80, 0xff]
            let json = PostgresJSON(#"{"amount": 12.5, "note": "it's; fine"}"#)
            let id = try await pool.withConnection { connection in
                try connection.query("""
                    INSERT INTO things (t, i8, i4, d, b, ts, plain_ts, day, by, u, j, n)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id
                    """, ["plain", Int64.min, Int32(-7), -2.5, true, date, date, date, bytes, uuid, json,
                          Decimal(string: "123456789.000001")!])[0].decode(Int64.self, at: 0)
            }
            let nullID = try await pool.withConnection { connection in
                try connection.query("""
                    INSERT INTO things (t, i8, i4, d, b, ts, plain_ts, day, by, u, j, n)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id
                    """, [String?.none, Int64?.none, Int32?.none, Double?.none, Bool?.none, Date?.none, Date?.none,
                          Date?.none, [UInt8]?.none, UUID?.none, PostgresValue.null, Decimal?.none])[0].decode(Int64.self, at: 0)
            }

            let rows = try await pool.withConnection { connection in
                try connection.query("SELECT * FROM things WHERE id = $1 OR id = $2 ORDER BY id", [id, nullID])
            }
            #expect(rows.count == 2)
            #expect(rows.columnNames.first == "id")
            let full = rows[0]
            #expect(try full.decode(String.self, column: "t") == "plain")
            #expect(try full.decode(Int64.self, column: "i8") == .min)
            #expect(try full.decode(Int32.self, column: "i4") == -7)
            #expect(try full.decode(Int.self, column: "i4") == -7)
            #expect(try full.decode(Double.self, column: "d") == -2.5)
            #expect(try full.decode(Bool.self, column: "b") == true)
            #expect(try full.decode(Date.self, column: "ts") == date)
            #expect(try full.decode(Date.self, column: "plain_ts") == date)
            #expect(try full.decode(Date.self, column: "day") == Date(timeIntervalSince1970: 1_709_164_800))
            #expect(try full.decode([UInt8].self, column: "by") == bytes)
            #expect(try full.decode(UUID.self, column: "u") == uuid)
            let storedJSON = try full.decode(PostgresJSON.self, column: "j")
            #expect(storedJSON.text.contains(#""note": "it's; fine""#))
            #expect(try full.decode(Decimal.self, column: "n") == Decimal(string: "123456789.000001")!)
            #expect(full.columns.first { $0.name == "ts" }?.typeName == "timestamptz")

            let empty = rows[1]
            for column in ["t", "i8", "i4", "d", "b", "ts", "plain_ts", "day", "by", "u", "j", "n"] {
                #expect(try empty.isNull(column: column), "\(column)")
            }
            #expect(try empty.decodeOptional(Date.self, column: "ts") == nil)
            #expect(try empty.decode(Int?.self, column: "i8") == nil)
            #expect(throws: PostgresError.self) { try empty.decode(Int.self, column: "i8") }
        }
    }

    @Test("quotes, semicolons and injection attempts are stored and matched verbatim")
    func hostileStringsAreData() async throws {
        try await withTestPool { pool, _ in
            try await pool.withConnection { connection in
                try connection.executeScript("CREATE TABLE things (id serial PRIMARY KEY, name text NOT NULL)")
                for string in Self.hostileStrings {
                    #expect(try connection.execute("INSERT INTO things (name) VALUES ($1)", [string]) == 1)
                }
            }
            let stored = try await pool.withConnection { connection in
                try connection.query("SELECT name FROM things ORDER BY id").map { try $0.decode(String.self, at: 0) }
            }
            #expect(stored == Self.hostileStrings)
            for string in Self.hostileStrings {
                let matches = try await pool.withConnection { connection in
                    try connection.query("SELECT count(*) FROM things WHERE name = $1", [string])[0].decode(Int.self, at: 0)
                }
                #expect(matches == 1, "\(string)")
            }
            // A parameter cannot smuggle a second statement, and the table survived.
            let injected = try await pool.withConnection { connection in
                try connection.query("SELECT count(*) FROM things WHERE name = $1", ["x' OR '1'='1"])[0].decode(Int.self, at: 0)
            }
            #expect(injected == 0)
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { connection in
                    try connection.execute("SELECT 1; DROP TABLE things", [])
                }
            }
            #expect(error?.sqlState == "42601")
            let count = try await pool.withConnection { try $0.query("SELECT count(*) FROM things")[0].decode(Int.self, at: 0) }
            #expect(count == Self.hostileStrings.count)
        }
    }

    @Test("a NUL character in a parameter is refused, not truncated")
    func nulIsRefused() async throws {
        try await withTestPool { pool, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { connection in
                    try connection.query("SELECT $1::text", ["before\u{0}after"])
                }
            }
            #expect(error?.kind == .usage)
        }
    }

    @Test("a syntax error is a server error with SQLSTATE 42601 and the connection stays usable")
    func syntaxError() async throws {
        try await withTestPool(poolSize: 1) { pool, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try $0.query("SELEC 1") }
            }
            #expect(error?.kind == .server)
            #expect(error?.sqlState == "42601")
            #expect(error?.isTransient == false)
            let scriptError = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try $0.executeScript("CREATE TABLE a (x int); CREATE TABLEX b (y int)") }
            }
            #expect(scriptError?.sqlState == "42601")
            let value = try await pool.withConnection { try $0.query("SELECT 41 + 1")[0].decode(Int.self, at: 0) }
            #expect(value == 42)
        }
    }

    @Test("a unique violation is 23505 and names the constraint")
    func uniqueViolation() async throws {
        try await withTestPool { pool, _ in
            try await pool.withConnection { connection in
                try connection.executeScript("CREATE TABLE inbox (message_id text CONSTRAINT inbox_pk PRIMARY KEY)")
                try connection.execute("INSERT INTO inbox VALUES ($1)", ["m-1"])
            }
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try $0.execute("INSERT INTO inbox VALUES ($1)", ["m-1"]) }
            }
            #expect(error?.sqlState == "23505")
            #expect(error?.isUniqueViolation == true)
            #expect(error?.constraint == "inbox_pk")
            #expect(error?.kind == .server)
            #expect(error?.detail?.contains("m-1") == true)
            #expect(error?.description.contains("m-1") == false)
        }
    }

    @Test("sessions run in UTC and affected-row counts are reported")
    func sessionSettings() async throws {
        try await withTestPool { pool, _ in
            let (zone, nowText, affected, tag) = try await pool.withConnection { connection in
                try connection.executeScript("CREATE TABLE n (x int); INSERT INTO n SELECT generate_series(1, 5)")
                let zone = try connection.query("SHOW TimeZone")[0].decode(String.self, at: 0)
                let now = try connection.query("SELECT now()::text")[0].decode(String.self, at: 0)
                let result = try connection.query("UPDATE n SET x = x + 1 WHERE x > $1", [2])
                return (zone, now, result.affectedRows, result.commandTag)
            }
            #expect(zone == "UTC")
            #expect(nowText.hasSuffix("+00"))
            #expect(affected == 3)
            #expect(tag == "UPDATE 3")
        }
    }

    @Test("the statement timeout applies to pooled sessions (57014, not transient)")
    func statementTimeout() async throws {
        try await withTestPool(poolSize: 1, statementTimeout: .milliseconds(100)) { pool, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try $0.query("SELECT pg_sleep(2)") }
            }
            #expect(error?.sqlState == "57014")
            #expect(error?.isTransient == false)
        }
    }

    @Test("quoteIdentifier makes any name a safe identifier")
    func quoteIdentifier() async throws {
        try await withTestPool { pool, _ in
            let names = try await pool.withConnection { connection in
                let table = try connection.quoteIdentifier(#"we"ird; DROP"#)
                try connection.executeScript("CREATE TABLE \(table) (x int)")
                return try connection.query("SELECT relname FROM pg_class WHERE relname = $1", [#"we"ird; DROP"#])
                    .map { try $0.decode(String.self, at: 0) }
            }
            #expect(names == [#"we"ird; DROP"#])
        }
    }
}
