import Foundation

/// Reads typed fields out of a JSON object, producing CONTRACT.md's error classes with the
/// field's JSON path: missing or wrongly typed → `schema`; present but not acceptable →
/// `semantic`. Messages name fields and JSON types, never values.
struct FieldReader {
    let fields: [String: JSONValue]
    let path: String

    static let maxIDLength = 200
    static let maxShortText = 2_000
    static let maxLongText = 64 * 1024

    init(_ fields: [String: JSONValue], path: String) {
        self.fields = fields
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func present(_ key: String) -> JSONValue? {
        guard let value = fields[key], value != .null else { return nil }
        return value
    }

    private func required(_ key: String) throws(EventRejection) -> JSONValue {
        guard let value = present(key) else { throw EventRejection(.schema, "\(name(key)): required field is missing") }
        return value
    }

    private func wrongType(_ key: String, expected: String, got value: JSONValue) -> EventRejection {
        EventRejection(.schema, "\(name(key)): expected \(expected), got \(value.typeName)")
    }

    // MARK: strings

    func string(_ key: String, max: Int = maxShortText) throws(EventRejection) -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let text) = value else { throw wrongType(key, expected: "a string", got: value) }
        guard text.utf8.count <= max else { throw EventRejection(.semantic, "\(name(key)): longer than \(max) bytes") }
        guard !text.utf8.contains(0) else { throw EventRejection(.semantic, "\(name(key)): contains a NUL character") }
        return text
    }

    func requiredString(_ key: String, max: Int = maxShortText) throws(EventRejection) -> String {
        _ = try required(key)
        return try string(key, max: max)!
    }

    /// An identifier: a non-empty string of at most 200 bytes.
    func id(_ key: String) throws(EventRejection) -> String? {
        guard let text = try string(key, max: Self.maxIDLength) else { return nil }
        guard !text.isEmpty else { throw EventRejection(.schema, "\(name(key)): must not be empty") }
        return text
    }

    func requiredID(_ key: String) throws(EventRejection) -> String {
        _ = try required(key)
        return try id(key)!
    }

    // MARK: numbers

    func int(_ key: String) throws(EventRejection) -> Int64? {
        guard let value = present(key) else { return nil }
        guard case .int(let number) = value else { throw wrongType(key, expected: "an integer", got: value) }
        return number
    }

    func requiredInt(_ key: String) throws(EventRejection) -> Int64 {
        _ = try required(key)
        return try int(key)!
    }

    /// An amount in minor units: an integer, never negative.
    func amount(_ key: String) throws(EventRejection) -> Int64? {
        guard let number = try int(key) else { return nil }
        guard number >= 0 else { throw EventRejection(.semantic, "\(name(key)): amount must not be negative") }
        return number
    }

    func requiredAmount(_ key: String) throws(EventRejection) -> Int64 {
        _ = try required(key)
        return try amount(key)!
    }

    func requiredVersion(_ key: String = "version") throws(EventRejection) -> Int64 {
        let version = try requiredInt(key)
        guard version >= 0 else { throw EventRejection(.semantic, "\(name(key)): version must not be negative") }
        return version
    }

    func smallInt(_ key: String, in range: ClosedRange<Int>) throws(EventRejection) -> Int? {
        guard let number = try int(key) else { return nil }
        guard number >= Int64(range.lowerBound), number <= Int64(range.upperBound) else {
            throw EventRejection(.semantic, "\(name(key)): must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return Int(number)
    }

    func bool(_ key: String) throws(EventRejection) -> Bool? {
        guard let value = present(key) else { return nil }
        guard case .bool(let flag) = value else { throw wrongType(key, expected: "a boolean", got: value) }
        return flag
    }

    // MARK: structured

    func object(_ key: String) throws(EventRejection) -> FieldReader? {
        guard let value = present(key) else { return nil }
        guard case .object(let fields) = value else { throw wrongType(key, expected: "an object", got: value) }
        return FieldReader(fields, path: name(key))
    }

    func requiredObject(_ key: String) throws(EventRejection) -> FieldReader {
        _ = try required(key)
        return try object(key)!
    }

    func array(_ key: String) throws(EventRejection) -> [JSONValue]? {
        guard let value = present(key) else { return nil }
        guard case .array(let values) = value else { throw wrongType(key, expected: "an array", got: value) }
        guard values.count <= 1_000 else { throw EventRejection(.semantic, "\(name(key)): more than 1000 items") }
        return values
    }

    /// An array of objects, each read by `read` with its index in the path.
    func objects<T>(_ key: String, _ read: (FieldReader) throws(EventRejection) -> T) throws(EventRejection) -> [T]? {
        guard let values = try array(key) else { return nil }
        var result: [T] = []
        for (index, value) in values.enumerated() {
            guard case .object(let fields) = value else {
                throw EventRejection(.schema, "\(name(key))[\(index)]: expected an object, got \(value.typeName)")
            }
            result.append(try read(FieldReader(fields, path: "\(name(key))[\(index)]")))
        }
        return result
    }

    func strings(_ key: String) throws(EventRejection) -> [String]? {
        guard let values = try array(key) else { return nil }
        var result: [String] = []
        for (index, value) in values.enumerated() {
            guard case .string(let text) = value else {
                throw EventRejection(.schema, "\(name(key))[\(index)]: expected a string, got \(value.typeName)")
            }
            guard text.utf8.count <= Self.maxShortText, !text.utf8.contains(0) else {
                throw EventRejection(.semantic, "\(name(key))[\(index)]: too long or contains a NUL character")
            }
            result.append(text)
        }
        return result
    }

    // MARK: domain values

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _: T.Type) throws(EventRejection) -> T? where T.RawValue == String {
        guard let raw = try string(key, max: 100) else { return nil }
        guard let value = T(rawValue: raw) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: " | ")
            throw EventRejection(.semantic, "\(name(key)): not one of \(allowed)")
        }
        return value
    }

    func requiredChoice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws(EventRejection) -> T where T.RawValue == String {
        _ = try required(key)
        return try choice(key, type)!
    }

    func currency(_ key: String) throws(EventRejection) -> Currency? {
        guard let code = try string(key, max: 10) else { return nil }
        guard let currency = Currency(code: code) else {
            throw EventRejection(.semantic, "\(name(key)): not an ISO 4217 currency code")
        }
        return currency
    }

    func requiredCurrency(_ key: String) throws(EventRejection) -> Currency {
        _ = try required(key)
        return try currency(key)!
    }

    func timestamp(_ key: String) throws(EventRejection) -> Date? {
        guard let text = try string(key, max: 64) else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw EventRejection(.semantic, "\(name(key)): not an RFC 3339 timestamp with a time zone offset")
        }
        return date
    }

    func requiredTimestamp(_ key: String) throws(EventRejection) -> Date {
        _ = try required(key)
        return try timestamp(key)!
    }

    func date(_ key: String) throws(EventRejection) -> LocalDate? {
        guard let text = try string(key, max: 32) else { return nil }
        guard let date = LocalDate(text) else { throw EventRejection(.semantic, "\(name(key)): not a real YYYY-MM-DD date") }
        return date
    }

    func requiredDate(_ key: String) throws(EventRejection) -> LocalDate {
        _ = try required(key)
        return try date(key)!
    }

    func timeZone(_ key: String) throws(EventRejection) -> String? {
        guard let text = try string(key, max: 64) else { return nil }
        guard TimeZone(identifier: text) != nil else { throw EventRejection(.semantic, "\(name(key)): not an IANA time zone") }
        return text
    }

    func url(_ key: String) throws(EventRejection) -> String? {
        try string(key, max: 2_048)
    }
}
