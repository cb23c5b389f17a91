import Foundation

/// A query parameter, sent to the server in text format.
///
/// Parameters travel separately from the SQL text (`$1`, `$2`, ...), so no value is ever
/// interpreted as SQL.
public enum PostgresValue: Sendable, Equatable {
    case null
    /// Sent untyped: the server infers the type from context (text, varchar, uuid, enum, ...).
    case text(String)
    /// Sent untyped, so the server reads it as whatever the context needs (`integer` function
    /// arguments, `bigint` columns, ...). Cast (`$1::bigint`) where there is no context.
    case int(Int64)
    /// Sent as `double precision`.
    case double(Double)
    /// Sent as `boolean`.
    case bool(Bool)
    /// Sent as `bytea` in hex form (`\x...`).
    case bytes([UInt8])
    /// Sent as `timestamptz`, ISO-8601 in UTC with microseconds.
    case timestamp(Date)
    /// Sent untyped: becomes `json` or `jsonb` from context.
    case json(String)

    /// PostgreSQL type OIDs used when sending parameters (0 = let the server infer).
    enum TypeOID {
        static let unspecified: UInt32 = 0
        static let bool: UInt32 = 16
        static let bytea: UInt32 = 17
        static let float8: UInt32 = 701
        static let timestamptz: UInt32 = 1184
    }

    /// The OID declared for this parameter.
    var typeOID: UInt32 {
        switch self {
        case .null, .text, .json, .int: TypeOID.unspecified
        case .double: TypeOID.float8
        case .bool: TypeOID.bool
        case .bytes: TypeOID.bytea
        case .timestamp: TypeOID.timestamptz
        }
    }

    /// The text-format wire representation; nil for NULL.
    public var postgresText: String? {
        switch self {
        case .null: return nil
        case .text(let string), .json(let string): return string
        case .int(let value): return String(value)
        case .double(let value):
            if value.isNaN { return "NaN" }
            if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
            return "\(value)"
        case .bool(let value): return value ? "t" : "f"
        case .bytes(let bytes): return PostgresHex.encode(bytes)
        case .timestamp(let date): return PostgresTimestamp.format(date)
        }
    }
}

/// A Swift value usable as a query parameter.
public protocol PostgresBindable: Sendable {
    /// The value to send.
    var postgresValue: PostgresValue { get }
}

extension PostgresValue: PostgresBindable {
    public var postgresValue: PostgresValue { self }
}

extension String: PostgresBindable {
    public var postgresValue: PostgresValue { .text(self) }
}

extension Substring: PostgresBindable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}

extension Int: PostgresBindable {
    public var postgresValue: PostgresValue { .int(Int64(self)) }
}

extension Int64: PostgresBindable {
    public var postgresValue: PostgresValue { .int(self) }
}

extension Int32: PostgresBindable {
    public var postgresValue: PostgresValue { .int(Int64(self)) }
}

extension Int16: PostgresBindable {
    public var postgresValue: PostgresValue { .int(Int64(self)) }
}

extension Double: PostgresBindable {
    public var postgresValue: PostgresValue { .double(self) }
}

extension Bool: PostgresBindable {
    public var postgresValue: PostgresValue { .bool(self) }
}

extension Date: PostgresBindable {
    public var postgresValue: PostgresValue { .timestamp(self) }
}

extension Array: PostgresBindable where Element == UInt8 {
    public var postgresValue: PostgresValue { .bytes(self) }
}

extension Data: PostgresBindable {
    public var postgresValue: PostgresValue { .bytes([UInt8](self)) }
}

extension UUID: PostgresBindable {
    public var postgresValue: PostgresValue { .text(uuidString.lowercased()) }
}

extension Decimal: PostgresBindable {
    /// Sent untyped in plain decimal notation (for `numeric` columns, exact).
    public var postgresValue: PostgresValue { .text(PostgresDecimal.format(self)) }
}

extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    public var postgresValue: PostgresValue {
        switch self {
        case .none: .null
        case .some(let wrapped): wrapped.postgresValue
        }
    }
}

/// A JSON document as text, sent so the server reads it as `json`/`jsonb`, and decoded from
/// either.
public struct PostgresJSON: PostgresBindable, PostgresDecodable, Hashable {
    /// The JSON text, exactly as sent or received.
    public var text: String

    public init(_ text: String) { self.text = text }

    /// Encodes `value` with `encoder` (sorted keys by default, for stable output).
    public init<T: Encodable>(encoding value: T, encoder: JSONEncoder? = nil) throws {
        let encoder = encoder ?? {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return encoder
        }()
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes the document into `type`.
    public func decode<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }

    public var postgresValue: PostgresValue { .json(text) }

    public static func decode(postgresText: String) throws -> PostgresJSON { PostgresJSON(postgresText) }
}

/// Hex form of `bytea` (`\x0aff...`), the server's default `bytea_output`.
enum PostgresHex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(2 + bytes.count * 2)
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "x"))
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses `\x` followed by an even number of hex digits; nil otherwise.
    static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"),
              utf8.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Locale-independent decimal text for `numeric`.
enum PostgresDecimal {
    static func format(_ value: Decimal) -> String {
        // Decimal's description is locale-independent ("." separator, no grouping).
        value.description
    }

    static func parse(_ text: String) -> Decimal? {
        guard !text.isEmpty, text != "NaN" else { return nil }
        let allowed = Set("0123456789.-+eE".utf8)
        guard text.utf8.allSatisfy(allowed.contains) else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }
}
