import Testing
@testable import RecoupCore

@Suite("JSON parser")
struct JSONParserTests {
    static func literal(_ text: String) -> JSONValue { .number(JSONNumber(literal: text)!) }

    static let validDocuments: [(String, JSONValue)] = [
        ("{}", .object([:])),
        ("[]", .array([])),
        (" \t\r\n[ ] \n", .array([])),
        (#"{"a" : [1, -2, 3.5, 1e3, true, false, null]}"#,
         .object(["a": .array([.int(1), .int(-2), literal("3.5"), literal("1e3"), .bool(true), .bool(false), .null])])),
        (#""\u00e9\n\t\"\\\/\b\f\r""#, .string("é\n\t\"\\/\u{08}\u{0C}\r")),
        (#""\u0041\u00DF""#, .string("Aß")),
        (#""\ud83d\ude00 \uD834\uDD1E""#, .string("😀 𝄞")),
        (#""\u0000""#, .string("\u{0}")),
        (#""日本語 😀 é""#, .string("日本語 😀 é")),
        ("9223372036854775807", .int(Int64.max)),
        ("-9223372036854775808", .int(Int64.min)),
        ("9223372036854775808", literal("9223372036854775808")),
        ("-0", .int(0)),
        ("0", .int(0)),
        ("-0.0e-0", literal("-0.0e-0")),
        ("1E+2", literal("1E+2")),
        (#""plain""#, .string("plain")),
        ("true", .bool(true)),
        ("null", .null),
        (#"{"":1,"nested":{"list":[[],{}]}}"#, .object(["": .int(1), "nested": .object(["list": .array([.array([]), .object([:])])])])),
    ]

    @Test("valid documents parse to their values", arguments: validDocuments)
    func valid(text: String, expected: JSONValue) throws {
        #expect(try JSONParser.parse(text) == expected)
    }

    /// (document, a fragment of the reason, the byte offset reported)
    static let invalidDocuments: [(String, String, Int)] = [
        ("", "empty document", 0),
        ("   ", "empty document", 3),
        ("{", "unexpected end of input", 1),
        (#"{"a":1"#, "unexpected end of input", 6),
        (#"["abc"#, "unterminated string", 1),
        ("[1,]", "trailing comma", 3),
        (#"{"a":1,}"#, "trailing comma", 7),
        (#"{"a" 1}"#, "expected ':'", 5),
        (#"{1:2}"#, "expected a string key", 1),
        (#"{'a':2}"#, "expected a string key", 1),
        ("[1 2]", "expected ',' or ']'", 3),
        (#"{"a":1 "b":2}"#, "expected ',' or '}'", 7),
        ("[01]", "leading zero", 1),
        ("[-01]", "leading zero", 1),
        ("[1.]", "expected a digit after '.'", 1),
        ("[.5]", "unexpected character '.'", 1),
        ("[1e]", "exponent", 1),
        ("[1e+]", "exponent", 1),
        ("[+1]", "unexpected character '+'", 1),
        ("[-]", "expected a digit", 1),
        ("NaN", "unexpected character 'N'", 0),
        ("[Infinity]", "unexpected character 'I'", 1),
        ("-Infinity", "expected a digit", 0),
        (#""\x""#, "invalid escape", 1),
        (#""\u12""#, "truncated \\u escape", 1),
        (#""\u12G4""#, "invalid hex digit", 5),
        (#""\ud800""#, "lone surrogate", 1),
        (#""\ud800\u0041""#, "lone surrogate", 1),
        (#""\udc00x""#, "lone surrogate", 1),
        (#""\ud83d\ud83d""#, "lone surrogate", 1),
        ("\"a\u{01}b\"", "control character", 2),
        ("\"line\nbreak\"", "control character", 5),
        ("\"tab\there\"", "control character", 4),
        (#"{"a":1,"a":2}"#, "duplicate key", 7),
        (#"{"a":{"x":1,"y":2,"x":3}}"#, "duplicate key", 18),
        ("{} {}", "expected the end of the document", 3),
        ("[1] x", "expected the end of the document", 4),
        ("tru", "unexpected end of input in a literal", 3),
        ("trux", "invalid literal", 0),
        ("nul", "unexpected end of input in a literal", 3),
        ("nulL", "invalid literal", 0),
        ("\u{FEFF}{}", "byte order mark", 0),
    ]

    @Test("invalid documents are refused with a reason and an offset", arguments: invalidDocuments)
    func invalid(text: String, reason: String, offset: Int) {
        do {
            let value = try JSONParser.parse(text)
            Issue.record("accepted \(text.debugDescription) as \(value)")
        } catch {
            #expect(error.reason.contains(reason), "\(text.debugDescription): \(error.reason)")
            #expect(error.offset == offset, "\(text.debugDescription): \(error)")
        }
    }

    /// (bytes, offset of the offending byte)
    static let invalidUTF8Documents: [([UInt8], Int)] = [
        ([0x22, 0xFF, 0x22], 1),                    // never valid in UTF-8
        ([0x22, 0x61, 0x80, 0x22], 2),              // lone continuation byte
        ([0x22, 0xC3, 0x22], 1),                    // truncated two-byte sequence
        ([0x22, 0xC3], 1),                          // truncated at end of input
        ([0x22, 0xC0, 0xAF, 0x22], 1),              // overlong "/"
        ([0x22, 0xE0, 0x80, 0xAF, 0x22], 1),        // overlong three-byte form
        ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),        // an encoded surrogate (U+D800)
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // beyond U+10FFFF
        ([0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22], 1),
        ([0x22, 0x5C, 0x6E, 0xE2, 0x82, 0x22], 3),  // after an escape: the slow path validates too
    ]

    @Test("invalid UTF-8 inside a string is refused at the offending byte", arguments: invalidUTF8Documents)
    func invalidUTF8(bytes: [UInt8], offset: Int) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
        do {
            _ = try JSONParser.parse(bytes)
        } catch {
            #expect(error.reason.contains("invalid UTF-8"), "\(bytes): \(error)")
            #expect(error.offset == offset, "\(bytes): \(error)")
        }
    }

    @Test("UTF-8 at the edges of validity is accepted")
    func validUTF8Edges() throws {
        let cases: [([UInt8], String)] = [
            ([0xF4, 0x8F, 0xBF, 0xBF], "\u{10FFFF}"),
            ([0xEF, 0xBF, 0xBF], "\u{FFFF}"),
            ([0xED, 0x9F, 0xBF], "\u{D7FF}"),
            ([0xEE, 0x80, 0x80], "\u{E000}"),
            ([0xC2, 0x80], "\u{80}"),
            ([0xF0, 0x90, 0x80, 0x80], "\u{10000}"),
        ]
        for (bytes, expected) in cases {
            #expect(try JSONParser.parse([0x22] + bytes + [0x22]) == .string(expected))
            #expect(try JSONParser.parse([0x22, 0x5C, 0x74] + bytes + [0x22]) == .string("\t" + expected))
        }
    }

    @Test("a non-ASCII byte outside a string is refused")
    func nonASCIIOutsideStrings() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0xC3, 0xA9]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x5B, 0x31, 0xC2, 0xA0, 0x5D]) } // [1<NBSP>]
    }

    @Test("nesting is bounded: 64 levels parse, 65 do not, 100,000 do not crash")
    func depth() throws {
        let deepest = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONParser.parse(deepest) }
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError(offset: 64, reason: "nesting deeper than 64 levels")) { try JSONParser.parse(tooDeep) }
        let objects = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(objects) }
        let hostile = Array(repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(hostile) }
        let mixed = String(repeating: #"[{"k":"#, count: 50_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(mixed) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[[[[1]]]]", maximumDepth: 3) }
        #expect(try JSONParser.parse("[[[1]]]", maximumDepth: 3) == .array([.array([.array([.int(1)])])]))
    }

    @Test("numbers remember whether they were written as 64-bit integers")
    func integers() throws {
        func number(_ text: String) throws -> JSONNumber {
            guard case .number(let number) = try JSONParser.parse(text) else { throw JSONParseError(offset: 0, reason: "not a number") }
            return number
        }
        #expect(try number("1500").int64Value == 1500)
        #expect(try number("1500.0").int64Value == nil)
        #expect(try number("1.5").int64Value == nil)
        #expect(try number("1e3").int64Value == nil)
        #expect(try number("1e3").doubleValue == 1000)
        #expect(try number("99999999999999999999").int64Value == nil)
        #expect(try number("99999999999999999999").isInteger)
        #expect(try number("-9223372036854775809").int64Value == nil)
        #expect(try !number("2.50").isInteger)
        #expect(try number("1e400").doubleValue == nil)
        #expect(try number("2.50").description == "2.50")
        #expect(try JSONParser.parse("1.0") != JSONParser.parse("1"))
        #expect(JSONNumber(literal: "01") == nil)
        #expect(JSONNumber(literal: "1.") == nil)
        #expect(JSONNumber(literal: " 1") == nil)
        #expect(JSONNumber(literal: "-12")?.int64Value == -12)
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
    }

    @Test("objects keep the written key order and look keys up in large objects")
    func keyOrder() throws {
        let parsed = try JSONParser.parse(#"{"zeta":1,"alpha":2,"mid":3}"#)
        #expect(parsed.objectValue?.keys == ["zeta", "alpha", "mid"])
        #expect(parsed["alpha"] == .int(2))
        #expect(parsed["missing"] == nil)

        let members = (0..<300).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let large = try JSONParser.parse("{" + members + "}")
        #expect(large.objectValue?.count == 300)
        #expect(large["k0"] == .int(0))
        #expect(large["k299"] == .int(299))
        #expect(large.objectValue?.keys.first == "k0")
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{" + members + #","k150":0}"#) }
    }
}
