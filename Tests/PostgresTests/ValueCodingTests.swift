import Foundation
import Testing
@testable import Postgres

@Suite("Value encoding and decoding")
struct ValueCodingTests {
    // MARK: Encoding

    @Test("parameters encode to PostgreSQL text", arguments: [
        (PostgresValue.int(0), "0"),
        (.int(-42), "-42"),
        (.int(Int64.max), "9223372036854775807"),
        (.int(Int64.min), "-9223372036854775808"),
        (.double(1.5), "1.5"),
        (.double(-0.25), "-0.25"),
        (.double(.nan), "NaN"),
        (.double(.infinity), "Infinity"),
        (.double(-.infinity), "-Infinity"),
        (.bool(true), "t"),
        (.bool(false), "f"),
        (.bytes([]), "\\x"),
        (.bytes([0x00, 0xff, 0x10, 0xab]), "\\x00ff10ab"),
        (.text("it's; DROP TABLE x; --"), "it's; DROP TABLE x; --"),
        (.json("{\"a\":1}"), "{\"a\":1}"),
        (.timestamp(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000000Z"),
        (.timestamp(Date(timeIntervalSince1970: 1_709_214_310.123456)), "2024-02-29T13:45:10.123456Z"),
        (.timestamp(Date(timeIntervalSince1970: -0.000001)), "1969-12-31T23:59:59.999999Z"),
        (.timestamp(Date(timeIntervalSince1970: -62_135_596_800)), "0001-01-01T00:00:00.000000Z"),
    ])
    func encoding(value: PostgresValue, text: String) {
        #expect(value.postgresText == text)
    }

    @Test("Swift values map to the expected parameter cases")
    func bindables() {
        let uuid = UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!
        #expect(uuid.postgresValue == .text("e621e1f8-c36c-495a-93fc-0c247a3e6e5f"))
        #expect(Int32(-7).postgresValue == .int(-7))
        #expect(Int(12).postgresValue == .int(12))
        #expect([UInt8]([1, 2]).postgresValue == .bytes([1, 2]))
        #expect(Optional<String>.none.postgresValue == .null)
        #expect(Optional("x").postgresValue == .text("x"))
        #expect(PostgresValue.null.postgresText == nil)
        #expect(Decimal(string: "-1234.5600")!.postgresValue == .text("-1234.56"))
        // Typed parameters declare their type; text and JSON let the server infer it.
        #expect(PostgresValue.int(1).typeOID == 0)
        #expect(PostgresValue.double(1).typeOID == 701)
        #expect(PostgresValue.timestamp(Date()).typeOID == 1184)
        #expect(PostgresValue.text("x").typeOID == 0)
        #expect(PostgresValue.json("{}").typeOID == 0)
    }

    @Test("JSON helper encodes with sorted keys and decodes back")
    func json() throws {
        struct Payload: Codable, Equatable { var b: Int; var a: String }
        let json = try PostgresJSON(encoding: Payload(b: 2, a: "x"))
        #expect(json.text == #"{"a":"x","b":2}"#)
        #expect(json.postgresValue == .json(#"{"a":"x","b":2}"#))
        #expect(try json.decode(Payload.self) == Payload(b: 2, a: "x"))
    }

    // MARK: Decoding

    @Test("integers decode, including negatives and limits; overflow throws")
    func integers() throws {
        #expect(try Int.decode(postgresText: "-42") == -42)
        #expect(try Int64.decode(postgresText: "9223372036854775807") == .max)
        #expect(try Int32.decode(postgresText: "-2147483648") == .min)
        #expect(throws: PostgresError.self) { try Int32.decode(postgresText: "2147483648") }
        #expect(throws: PostgresError.self) { try Int.decode(postgresText: "4.5") }
        #expect(throws: PostgresError.self) { try Int.decode(postgresText: "") }
    }

    @Test("booleans decode from t/f; anything else throws")
    func booleans() throws {
        #expect(try Bool.decode(postgresText: "t") == true)
        #expect(try Bool.decode(postgresText: "f") == false)
        #expect(try Bool.decode(postgresText: "true") == true)
        #expect(throws: PostgresError.self) { try Bool.decode(postgresText: "yes") }
    }

    @Test("doubles decode, with special values")
    func doubles() throws {
        #expect(try Double.decode(postgresText: "1.5") == 1.5)
        #expect(try Double.decode(postgresText: "-1e-05") == -0.00001)
        #expect(try Double.decode(postgresText: "NaN").isNaN)
        #expect(try Double.decode(postgresText: "-Infinity") == -.infinity)
        #expect(try Decimal.decode(postgresText: "12345678901234567890.123") == Decimal(string: "12345678901234567890.123"))
    }

    @Test("timestamps decode from the server's ISO output", arguments: [
        ("2024-02-29 13:45:10+00", 1_709_214_310.0),
        ("2024-02-29 13:45:10.123456+00", 1_709_214_310.123456),
        ("2024-02-29 13:45:10.5+00", 1_709_214_310.5),
        ("2024-02-29 19:15:10.5+05:30", 1_709_214_310.5),
        ("2024-02-29 10:14:55-03:30:15", 1_709_214_310.0),
        ("2024-02-29 08:45:10-05", 1_709_214_310.0),
        ("2024-02-29T13:45:10.123456Z", 1_709_214_310.123456),
        ("2024-02-29 13:45:10", 1_709_214_310.0),
        ("2024-02-29", 1_709_164_800.0),
        ("1969-12-31 23:59:59.999999+00", -0.000001),
        ("1900-03-01 00:00:00+00", -2_203_891_200.0),
        ("2000-01-01 00:00:00.1234567+00", 946_684_800.123456),
    ])
    func timestamps(text: String, seconds: Double) throws {
        let date = try Date.decode(postgresText: text)
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_000_5)
    }

    @Test("malformed timestamps throw", arguments: [
        "2023-02-29 00:00:00+00", "2024-13-01", "2024-01-01 25:00:00", "2024-01-01 10:00:00+", "yesterday", "",
        "2024-01-01 10:00:00+00 garbage",
    ])
    func badTimestamps(text: String) {
        #expect(throws: PostgresError.self) { try Date.decode(postgresText: text) }
    }

    @Test("infinity maps to the distant dates")
    func infiniteTimestamps() throws {
        #expect(try Date.decode(postgresText: "infinity") == .distantFuture)
        #expect(try Date.decode(postgresText: "-infinity") == .distantPast)
    }

    @Test("timestamps round-trip through text with microsecond precision")
    func timestampRoundTrip() throws {
        for _ in 0..<500 {
            let micros = Int64.random(in: -5_000_000_000_000_000...5_000_000_000_000_000)
            let date = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
            let text = try #require(PostgresValue.timestamp(date).postgresText)
            let back = try Date.decode(postgresText: text)
            #expect(abs(back.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_001, "\(text)")
        }
    }

    @Test("bytea decodes from hex; malformed hex throws")
    func bytea() throws {
        #expect(try [UInt8].decode(postgresText: "\\x00FF10ab") == [0x00, 0xff, 0x10, 0xab])
        #expect(try [UInt8].decode(postgresText: "\\x") == [])
        #expect(throws: PostgresError.self) { try [UInt8].decode(postgresText: "\\x0") }
        #expect(throws: PostgresError.self) { try [UInt8].decode(postgresText: "\\xzz") }
        #expect(throws: PostgresError.self) { try [UInt8].decode(postgresText: "abc") }
        let bytes = (0...255).map { UInt8($0) }
        #expect(try [UInt8].decode(postgresText: PostgresValue.bytes(bytes).postgresText!) == bytes)
    }

    @Test("UUIDs decode in either case")
    func uuids() throws {
        let uuid = UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!
        #expect(try UUID.decode(postgresText: "e621e1f8-c36c-495a-93fc-0c247a3e6e5f") == uuid)
        #expect(throws: PostgresError.self) { try UUID.decode(postgresText: "not-a-uuid") }
    }

    // MARK: Rows

    private func row(_ columns: [(String, UInt32)], _ values: [String?]) -> PostgresRow {
        PostgresRow(columns: columns.map { PostgresColumn(name: $0.0, typeOID: $0.1) }, values: values)
    }

    @Test("rows decode by index and name, NULLs as optionals")
    func rowDecoding() throws {
        let row = row([("id", 20), ("name", 25), ("note", 25)], ["7", "Zoë", nil])
        #expect(try row.decode(Int.self, at: 0) == 7)
        #expect(try row.decode(String.self, column: "name") == "Zoë")
        #expect(try row.decodeOptional(String.self, column: "note") == nil)
        #expect(try row.decodeOptional(Int.self, at: 0) == 7)
        #expect(try row.decode(String?.self, column: "note") == nil)
        #expect(row.isNull(at: 2))
        #expect(try !row.isNull(column: "id"))
        #expect(row.columnNames == ["id", "name", "note"])
    }

    @Test("decoding errors name the column and its type, never the value")
    func decodingErrorsHideValues() throws {
        let row = row([("card_holder", 25), ("amount", 1700)], ["Jane Secret", nil])
        let wrongType = #expect(throws: PostgresError.self) { try row.decode(Int.self, column: "card_holder") }
        #expect(wrongType?.kind == .decoding)
        #expect(wrongType?.message.contains("card_holder") == true)
        #expect(wrongType?.message.contains("text") == true)
        #expect(wrongType?.message.contains("Jane") == false)
        #expect(wrongType?.description.contains("Secret") == false)

        let null = #expect(throws: PostgresError.self) { try row.decode(Decimal.self, at: 1) }
        #expect(null?.kind == .decoding)
        #expect(null?.message.contains("amount") == true)
        #expect(null?.message.contains("NULL") == true)

        let missing = #expect(throws: PostgresError.self) { try row.decode(Int.self, column: "nope") }
        #expect(missing?.kind == .usage)
        let outOfRange = #expect(throws: PostgresError.self) { try row.decode(Int.self, at: 9) }
        #expect(outOfRange?.kind == .usage)
    }
}
