import Foundation

/// A Swift type that can be read from a column's text-format value.
///
/// `PostgresRow.decode` adds the column name and type to any error thrown here; errors never
/// quote the value itself (it may be personal data).
public protocol PostgresDecodable {
    /// Parses the server's text representation.
    static func decode(postgresText: String) throws -> Self
    /// The value for SQL NULL, or nil when the type cannot represent NULL (the default).
    /// `Optional` answers `.some(nil)`, which lets `decode(Int?.self, ...)` read NULLs.
    static var postgresNullValue: Self? { get }
}

extension PostgresDecodable {
    public static var postgresNullValue: Self? { nil }
}

extension PostgresDecodable {
    /// A decoding error naming only the target type (the row adds the column).
    static func invalidText(_ text: String) -> PostgresError {
        PostgresError(kind: .decoding, message: "a \(text.utf8.count)-byte value is not a valid \(Self.self)")
    }
}

extension String: PostgresDecodable {
    public static func decode(postgresText: String) throws -> String { postgresText }
}

extension Int64: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Int64 {
        guard let value = Int64(postgresText) else { throw invalidText(postgresText) }
        return value
    }
}

extension Int: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Int {
        guard let value = Int(postgresText) else { throw invalidText(postgresText) }
        return value
    }
}

extension Int32: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Int32 {
        guard let value = Int32(postgresText) else { throw invalidText(postgresText) }
        return value
    }
}

extension Int16: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Int16 {
        guard let value = Int16(postgresText) else { throw invalidText(postgresText) }
        return value
    }
}

extension Double: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Double {
        switch postgresText {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(postgresText) else { throw invalidText(postgresText) }
            return value
        }
    }
}

extension Bool: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Bool {
        switch postgresText {
        case "t", "true": return true
        case "f", "false": return false
        default: throw invalidText(postgresText)
        }
    }
}

extension Date: PostgresDecodable {
    /// Reads `timestamptz`, `timestamp` (as UTC) and `date` (midnight UTC) text.
    public static func decode(postgresText: String) throws -> Date {
        guard let date = PostgresTimestamp.parse(postgresText) else { throw invalidText(postgresText) }
        return date
    }
}

extension UUID: PostgresDecodable {
    public static func decode(postgresText: String) throws -> UUID {
        guard let uuid = UUID(uuidString: postgresText) else { throw invalidText(postgresText) }
        return uuid
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// Reads `bytea` in hex output form.
    public static func decode(postgresText: String) throws -> [UInt8] {
        guard let bytes = PostgresHex.decode(postgresText) else { throw invalidText(postgresText) }
        return bytes
    }
}

extension Data: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Data {
        Data(try [UInt8].decode(postgresText: postgresText))
    }
}

extension Decimal: PostgresDecodable {
    /// Reads `numeric` exactly (no binary floating point on the way).
    public static func decode(postgresText: String) throws -> Decimal {
        guard let value = PostgresDecimal.parse(postgresText) else { throw invalidText(postgresText) }
        return value
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Wrapped? {
        try Wrapped.decode(postgresText: postgresText)
    }

    public static var postgresNullValue: Wrapped?? { .some(nil) }
}
