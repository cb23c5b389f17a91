import Foundation

/// Reads typed fields out of one JSON object of an inbound message and turns every problem
/// into an `EventRejection` naming the field by its JSON path.
///
/// The boundary between the classes:
/// - `schema` — the message does not have the contract's shape: a required field is absent or
///   null, a field has the wrong JSON type (including a fraction or exponent, or more than 64
///   bits, where an integer is required), an id or decline code is the empty string.
/// - `semantic` — the shape is right but the value is not acceptable: negative amounts and
///   versions, unknown currencies, impossible dates, timestamps that are not RFC 3339, unknown
///   time zones, enumeration values outside their set, numbers out of range, text too long or
///   containing NUL, ids containing control characters.
///
/// An optional field that is present but null is treated as absent. Fields not read here are
/// ignored. Reasons name fields and JSON types, never values.
struct FieldReader {
    let object: JSONObject
    /// The JSON path of this object ("data", "data.method", "data.installments[2]"), or "" for
    /// the envelope.
    let path: String

    static let maxIDBytes = 200
    static let maxShortTextBytes = 2_000
    static let maxLongTextBytes = 64 * 1024
    static let maxListCount = 1_000

    init(_ object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    // MARK: - Presence

    /// The value of `key`, or nil when it is absent or null.
    func value(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    func requiredValue(_ key: String) throws(EventRejection) -> JSONValue {
        switch object[key] {
        case nil: throw EventRejection(.schema, "\(name(key)): required field is missing")
        case .null?: throw EventRejection(.schema, "\(name(key)): required field is null")
        case let value?: return value
        }
    }

    func optional<T>(_ key: String, _ convert: (JSONValue, String) throws(EventRejection) -> T) throws(EventRejection) -> T? {
        guard let value = value(key) else { return nil }
        return try convert(value, name(key))
    }

    func required<T>(_ key: String, _ convert: (JSONValue, String) throws(EventRejection) -> T) throws(EventRejection) -> T {
        try convert(try requiredValue(key), name(key))
    }

    // MARK: - Typed fields

    func string(_ key: String, max: Int = maxShortTextBytes) throws(EventRejection) -> String? {
        try optional(key) { (value, field) throws(EventRejection) in try Self.text(value, field, max: max) }
    }

    func requiredString(_ key: String, max: Int = maxShortTextBytes) throws(EventRejection) -> String {
        try required(key) { (value, field) throws(EventRejection) in try Self.text(value, field, max: max) }
    }

    func id(_ key: String) throws(EventRejection) -> String? { try optional(key, Self.identifier) }
    func requiredID(_ key: String) throws(EventRejection) -> String { try required(key, Self.identifier) }

    func bool(_ key: String) throws(EventRejection) -> Bool? { try optional(key, Self.boolean) }

    func amount(_ key: String) throws(EventRejection) -> Int64? { try optional(key, Self.nonNegative) }
    func requiredAmount(_ key: String) throws(EventRejection) -> Int64 { try required(key, Self.nonNegative) }
    func requiredVersion() throws(EventRejection) -> Int64 { try required("version", Self.nonNegative) }

    func int(_ key: String, in range: ClosedRange<Int64>) throws(EventRejection) -> Int? {
        try optional(key) { (value, field) throws(EventRejection) in
            let number = try Self.integer(value, field)
            guard range.contains(number) else {
                throw EventRejection(.semantic, "\(field): must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return Int(number)
        }
    }

    func timestamp(_ key: String) throws(EventRejection) -> Date? { try optional(key, Self.timestamp) }
    func requiredTimestamp(_ key: String) throws(EventRejection) -> Date { try required(key, Self.timestamp) }

    func date(_ key: String) throws(EventRejection) -> LocalDate? { try optional(key, Self.date) }
    func requiredDate(_ key: String) throws(EventRejection) -> LocalDate { try required(key, Self.date) }

    func currency(_ key: String) throws(EventRejection) -> Currency? { try optional(key, Self.currency) }
    func requiredCurrency(_ key: String) throws(EventRejection) -> Currency { try required(key, Self.currency) }

    func choice<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type) throws(EventRejection) -> E? where E.RawValue == String {
        try optional(key) { (value, field) throws(EventRejection) in try Self.choice(value, field, E.self) }
    }

    func requiredChoice<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type) throws(EventRejection) -> E where E.RawValue == String {
        try required(key) { (value, field) throws(EventRejection) in try Self.choice(value, field, E.self) }
    }

    func timeZone(_ key: String) throws(EventRejection) -> String? { try optional(key, Self.timeZone) }
    func locale(_ key: String) throws(EventRejection) -> String? { try optional(key, Self.locale) }
    func url(_ key: String) throws(EventRejection) -> String? { try optional(key, Self.url) }

    func object(_ key: String) throws(EventRejection) -> FieldReader? { try optional(key, Self.object) }
    func requiredObject(_ key: String) throws(EventRejection) -> FieldReader { try required(key, Self.object) }

    /// An array whose elements are read by `element` (given the element and its path).
    func list<T>(_ key: String, _ element: (JSONValue, String) throws(EventRejection) -> T) throws(EventRejection) -> [T]? {
        try optional(key) { (value, field) throws(EventRejection) in try Self.list(value, field, element) }
    }

    func requiredList<T>(_ key: String, _ element: (JSONValue, String) throws(EventRejection) -> T) throws(EventRejection) -> [T] {
        try required(key) { (value, field) throws(EventRejection) in try Self.list(value, field, element) }
    }

    // MARK: - Conversions: (value, field path) → typed value or rejection

    static func wrongType(_ field: String, expected: String, got value: JSONValue) -> EventRejection {
        EventRejection(.schema, "\(field): expected \(expected), got \(value.typeName)")
    }

    static func text(_ value: JSONValue, _ field: String, max: Int) throws(EventRejection) -> String {
        guard case .string(let text) = value else { throw wrongType(field, expected: "a string", got: value) }
        let utf8 = text.utf8
        guard utf8.count <= max else { throw EventRejection(.semantic, "\(field): too long (over \(max) bytes)") }
        guard !utf8.contains(0) else { throw EventRejection(.semantic, "\(field): contains a NUL character") }
        return text
    }

    /// Ids are non-empty, at most 200 bytes, and free of control characters (they end up in
    /// logs, headers and keys).
    static func identifier(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let text = try text(value, field, max: maxIDBytes)
        guard !text.isEmpty else { throw EventRejection(.schema, "\(field): must not be empty") }
        guard !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw EventRejection(.semantic, "\(field): contains a control character")
        }
        return text
    }

    static func boolean(_ value: JSONValue, _ field: String) throws(EventRejection) -> Bool {
        guard case .bool(let flag) = value else { throw wrongType(field, expected: "a boolean", got: value) }
        return flag
    }

    static func integer(_ value: JSONValue, _ field: String) throws(EventRejection) -> Int64 {
        guard case .number(let number) = value, let integer = number.int64Value else {
            throw wrongType(field, expected: "an integer", got: value)
        }
        return integer
    }

    /// Amounts (minor units) and versions.
    static func nonNegative(_ value: JSONValue, _ field: String) throws(EventRejection) -> Int64 {
        let number = try integer(value, field)
        guard number >= 0 else { throw EventRejection(.semantic, "\(field): must not be negative") }
        return number
    }

    static func timestamp(_ value: JSONValue, _ field: String) throws(EventRejection) -> Date {
        let text = try text(value, field, max: 64)
        guard let date = Timestamp.parse(text) else {
            throw EventRejection(.semantic, "\(field): not an RFC 3339 timestamp with a time zone offset")
        }
        return date
    }

    static func date(_ value: JSONValue, _ field: String) throws(EventRejection) -> LocalDate {
        let text = try text(value, field, max: 64)
        guard let date = LocalDate(text) else { throw EventRejection(.semantic, "\(field): not a real date in YYYY-MM-DD form") }
        return date
    }

    static func currency(_ value: JSONValue, _ field: String) throws(EventRejection) -> Currency {
        let text = try text(value, field, max: 64)
        guard let currency = Currency(code: text) else {
            throw EventRejection(.semantic, "\(field): not an ISO 4217 currency code with minor units")
        }
        return currency
    }

    static func choice<E: RawRepresentable & CaseIterable>(_ value: JSONValue, _ field: String, _: E.Type) throws(EventRejection) -> E
    where E.RawValue == String {
        let text = try text(value, field, max: 256)
        guard let choice = E(rawValue: text) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
            throw EventRejection(.semantic, "\(field): must be one of \(allowed)")
        }
        return choice
    }

    /// An IANA zone name Foundation knows. The name is checked to be made of the characters
    /// zone names use (letters, digits, `_ + -`, `/` between parts) before Foundation sees it,
    /// so no path-like input (`../`) reaches the zone database lookup.
    static func timeZone(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let text = try text(value, field, max: 64)
        var plausible = !text.isEmpty
        var previous: UInt8 = UInt8(ascii: "/")
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "-"):
                break
            case UInt8(ascii: "/") where previous != UInt8(ascii: "/"):
                break
            default:
                plausible = false
            }
            previous = byte
        }
        if previous == UInt8(ascii: "/") { plausible = false }
        guard plausible, TimeZone(identifier: text) != nil else {
            throw EventRejection(.semantic, "\(field): not a known IANA time zone")
        }
        return text
    }

    /// A BCP 47-shaped language tag (`en-US`, `de`, `zh-Hant-TW`); `_` is accepted as a separator.
    static func locale(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let text = try text(value, field, max: 35)
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).flatMap {
            $0.split(separator: "_", omittingEmptySubsequences: false)
        }
        let wellFormed = parts.enumerated().allSatisfy { index, part in
            (1...8).contains(part.utf8.count)
                && part.utf8.allSatisfy { byte in
                    let letter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
                    return letter || (index > 0 && byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                }
        }
        guard wellFormed, let first = parts.first, first.utf8.count >= 2 else {
            throw EventRejection(.semantic, "\(field): not a language tag such as en-US")
        }
        return text
    }

    /// An absolute http or https URL without spaces or control characters (it is sent to customers).
    static func url(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let text = try text(value, field, max: 2_048)
        let lowered = text.lowercased()
        let schemeLength = lowered.hasPrefix("https://") ? 8 : lowered.hasPrefix("http://") ? 7 : 0
        guard schemeLength > 0, text.utf8.count > schemeLength,
              !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw EventRejection(.semantic, "\(field): not an absolute http(s) URL")
        }
        return text
    }

    static func object(_ value: JSONValue, _ field: String) throws(EventRejection) -> FieldReader {
        guard case .object(let object) = value else { throw wrongType(field, expected: "an object", got: value) }
        return FieldReader(object, path: field)
    }

    static func list<T>(_ value: JSONValue, _ field: String, _ element: (JSONValue, String) throws(EventRejection) -> T) throws(EventRejection) -> [T] {
        guard case .array(let elements) = value else { throw wrongType(field, expected: "an array", got: value) }
        guard elements.count <= maxListCount else {
            throw EventRejection(.semantic, "\(field): more than \(maxListCount) elements")
        }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (index, item) in elements.enumerated() {
            result.append(try element(item, "\(field)[\(index)]"))
        }
        return result
    }
}
