import Foundation
import Testing
@testable import RecoupCore

@Suite("JSON parser")
struct JSONParserTests {
    @Test("valid documents", arguments: [
        (#"{}"#, JSONValue.object([:])),
        (#"[]"#, .array([])),
        (#" {"a" : [1, -2, 3.5, 1e3, true, false, null]} "#,
         .object(["a": .array([.int(1), .int(-2), .double(3.5), .double(1000), .bool(true), .bool(false), .null])])),
        (#""\u00e9\n\t\"\\\/""#, .string("é\n\t\"\\/")),
        (#""\ud83d\ude00""#, .string("😀")),
        (#"9223372036854775807"#, .int(Int64.max)),
        (#"9223372036854775808"#, .double(9_223_372_036_854_775_808)),
        (#"-0"#, .int(0)),
        (#""日本語""#, .string("日本語")),
    ])
    func valid(text: String, expected: JSONValue) throws {
        #expect(try JSONParser.parse(Array(text.utf8)) == expected)
    }

    @Test("invalid documents are refused with a reason", arguments: [
        "", "{", "[1,]", #"{"a":1,}"#, #"{"a" 1}"#, "[01]", "[1.]", "[.5]", "[1e]", "NaN", "[Infinity]",
        #""\x""#, #""\u12""#, #""\ud800""#, #""\udc00x""#, "\"a\u{01}b\"", #"{"a":1,"a":2}"#, "{} {}",
        "tru", "nul", "[1 2]", #"{1:2}"#, "\u{FEFF}{}", "[1e999]",
    ])
    func invalid(text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(bytes) }
        }
    }

    @Test("nesting is bounded: 64 levels parse, 65 do not, 100,000 do not crash")
    func depth() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONParser.parse(Array(ok.utf8)) }
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(deep.utf8)) }
        let hostile = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(hostile.utf8)) }
    }

    /// Property: serializing any value and parsing it back gives the same value.
    @Test("serialize then parse round-trips random values")
    func roundTrip() throws {
        var rng = JSONTestRNG(seed: 20_261_122)
        for iteration in 0..<2_000 {
            let value = JSONTestRNG.value(&rng, depth: 0)
            let parsed = try JSONParser.parse(Array(value.serialized.utf8))
            #expect(parsed == value, "iteration \(iteration), seed 20261122")
        }
    }
}

/// Seeded generator of random JSON values (reproducible; the seed is in the failure message).
struct JSONTestRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }

    static func value(_ rng: inout JSONTestRNG, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &rng))
        case 3: return .double(Double(Int.random(in: -1_000_000...1_000_000, using: &rng)) / 64 + 0.5)
        case 4:
            let scalars = (0..<Int.random(in: 0..<12, using: &rng)).map { _ in
                [Unicode.Scalar(UInt8.random(in: 0...0x7F, using: &rng)), "é", "😀", "\"", "\\", "\u{7}"].randomElement(using: &rng)!
            }
            return .string(String(String.UnicodeScalarView(scalars)))
        case 5: return .array((0..<Int.random(in: 0..<4, using: &rng)).map { _ in value(&rng, depth: depth + 1) })
        default:
            var fields: [String: JSONValue] = [:]
            for index in 0..<Int.random(in: 0..<4, using: &rng) { fields["k\(index)"] = value(&rng, depth: depth + 1) }
            return .object(fields)
        }
    }
}
