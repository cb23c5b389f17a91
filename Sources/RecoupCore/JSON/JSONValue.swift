/// A JSON document as Recoup reads and writes it. Numbers remember whether they were written
/// as integers (money is never a float); objects keep their member order and unique keys.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// An integer number.
    public static func int(_ value: Int64) -> JSONValue { .number(JSONNumber(value)) }

    /// An object from a dictionary, keys in ascending order so output stays deterministic.
    /// (A dictionary literal builds a `JSONObject` instead and keeps the written order.)
    @_disfavoredOverload
    public static func object(_ fields: [String: JSONValue]) -> JSONValue {
        .object(JSONObject(sortingKeysOf: fields))
    }

    /// The JSON type's name with an article, for reasons such as "expected an integer, got a string".
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number(let number):
            if number.int64Value != nil { return "an integer" }
            return number.isInteger ? "an integer beyond 64 bits" : "a number with a fraction or exponent"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    // MARK: - Access

    /// The member `key` of an object (nil for absent members and for non-objects).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value of a number written as an integer that fits in 64 bits.
    public var int64Value: Int64? {
        if case .number(let number) = self { return number.int64Value }
        return nil
    }

    /// A number as a `Double` (integers too); nil for anything else.
    public var doubleValue: Double? {
        if case .number(let number) = self { return number.doubleValue }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    // MARK: - Output

    /// Compact UTF-8 JSON, members in stored order.
    public var serializedBytes: [UInt8] { JSONSerializer.serialize(self) }

    /// Compact JSON text, members in stored order.
    public var serialized: String { String(decoding: JSONSerializer.serialize(self), as: UTF8.self) }

    /// `text` as a JSON string literal, quotes included.
    public static func quote(_ text: String) -> String {
        var out: [UInt8] = []
        JSONSerializer.writeString(text, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` as a JSON string literal to `out`.
    public static func quote(_ text: String, into out: inout String) {
        out += quote(text)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

extension JSONValue: CustomStringConvertible {
    public var description: String { serialized }
}
