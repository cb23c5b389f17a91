import PropertySupport
import Testing
@testable import RecoupCore

@Suite("JSON serializer")
struct JSONRoundTripTests {
    static let seed: UInt64 = 0x5EED_2026_1122
    static let cases = 2_000

    @Test("serialize → parse gives back an equal value, and serializing again gives the same bytes")
    func roundTrip() throws {
        var random = SeededGenerator(seed: Self.seed)
        for index in 0..<Self.cases {
            let value = RandomJSON.value(depth: 0, using: &random)
            let bytes = JSONSerializer.serialize(value)
            let parsed: JSONValue
            do {
                parsed = try JSONParser.parse(bytes)
            } catch {
                Issue.record("seed \(Self.seed) case \(index): \(error) for \(String(decoding: bytes, as: UTF8.self))")
                return
            }
            #expect(parsed == value, "seed \(Self.seed) case \(index)")
            #expect(JSONSerializer.serialize(parsed) == bytes, "seed \(Self.seed) case \(index): not byte-stable")
        }
    }

    @Test("output is compact, in stored key order, with only the required escapes")
    func exactOutput() {
        let value: JSONValue = .object([
            "zeta": .array([.int(-12), .bool(true), .null, .number(JSONNumber(0.5)!)]),
            "alpha": .string("quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{07} del \u{7F} é 😀 /"),
        ])
        let expected = #"{"zeta":[-12,true,null,0.5],"alpha":"quote \" backslash \\ newline \n tab \t nul \u0000 bell \u0007 del "#
            + "\u{7F} é 😀 /\"}"
        #expect(value.serialized == expected)
        #expect(value.serializedBytes == Array(expected.utf8))
        #expect(JSONValue.int(Int64.min).serialized == "-9223372036854775808")
        #expect(JSONValue.int(Int64.max).serialized == "9223372036854775807")
        #expect(JSONValue.int(0).serialized == "0")
        #expect(JSONValue.quote("a\"b") == #""a\"b""#)
    }

    @Test("an object built from a dictionary has sorted keys; a literal keeps its order")
    func dictionaryOrder() {
        let fields: [String: JSONValue] = ["b": .int(2), "a": .int(1), "c": .int(3)]
        #expect(JSONValue.object(fields).serialized == #"{"a":1,"b":2,"c":3}"#)
        #expect(JSONValue.object(["b": .int(2), "a": .int(1)]).serialized == #"{"b":2,"a":1}"#)
    }

    @Test("object members can be replaced, appended and removed; equality ignores order")
    func objectEditing() {
        var object: JSONObject = ["a": .int(1), "b": .int(2)]
        object["a"] = .string("x")
        object["c"] = .null
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(JSONValue.object(object).serialized == #"{"a":"x","c":null}"#)
        #expect(JSONObject([("c", .null), ("a", .string("x"))]) == object)
        #expect(object.insertNew("a", .int(9)) == false)
        #expect(object["a"] == .string("x"))

        var large = JSONObject()
        for index in 0..<40 { large["k\(index)"] = .int(Int64(index)) }
        large["k7"] = nil
        #expect(large.count == 39)
        #expect(large["k8"] == .int(8))
        #expect(large["k7"] == nil)
        #expect(large.keys.last == "k39")
    }
}

/// Random JSON values covering every case, with strings full of characters that need escaping.
enum RandomJSON {
    static let alphabet: [Unicode.Scalar] = [
        "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "ß", "€", "日",
        "\u{FFFF}", "\u{10FFFF}", "😀", "\u{2028}", "{", "}", "[", "]", ":", ",",
    ]

    static func value(depth: Int, using random: inout SeededGenerator) -> JSONValue {
        let containers = depth < 6
        switch Int.random(in: 0..<(containers ? 9 : 6), using: &random) {
        case 0: return .null
        case 1: return .bool(random.chance(1, in: 2))
        case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &random))
        case 3: return number(using: &random)
        case 4, 5: return .string(string(using: &random))
        case 6: return .array((0..<Int.random(in: 0...5, using: &random)).map { _ in value(depth: depth + 1, using: &random) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                object[string(using: &random)] = value(depth: depth + 1, using: &random)
            }
            return .object(object)
        }
    }

    static func number(using random: inout SeededGenerator) -> JSONValue {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return .int(Int64.random(in: -1_000...1_000, using: &random))
        case 1:
            let double = Double(bitPattern: random.next())
            return double.isFinite ? .number(JSONNumber(double)!) : .int(7)
        case 2: return .number(JSONNumber(literal: "\(UInt64.max)\(Int.random(in: 0...99_999, using: &random))")!)
        default:
            let mantissa = Int.random(in: -99_999...99_999, using: &random)
            let exponent = Int.random(in: -400...400, using: &random)
            return .number(JSONNumber(literal: "\(mantissa).5e\(exponent)")!)
        }
    }

    static func string(using random: inout SeededGenerator) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...12, using: &random) {
            scalars.append(alphabet[Int.random(in: 0..<alphabet.count, using: &random)])
        }
        return String(scalars)
    }
}
