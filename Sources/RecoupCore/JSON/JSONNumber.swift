/// A JSON number as it was written.
///
/// Recoup counts money in integer minor units, so a number remembers whether it was written as
/// an integer: `1500` is an integer, `1500.0` and `1.5e3` are not, even though they are equal
/// as quantities. Integers that fit in 64 bits are kept as `Int64`; every other number keeps
/// its literal text, so nothing is rounded on the way in or out.
///
/// Equality follows the written form: two integers are equal when their values are, two
/// non-integers when their literal text is, and an integer never equals a non-integer.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    enum Storage: Sendable, Hashable {
        case integer(Int64)
        /// A valid JSON number literal that is not an integer fitting in 64 bits.
        case literal(String)
    }

    let storage: Storage

    public init(_ value: Int64) { storage = .integer(value) }

    public init(_ value: Int) { storage = .integer(Int64(value)) }

    /// A finite floating-point value, written in Swift's shortest round-tripping form
    /// (`0.1`, `1e-05`, `100.0`). Nil for NaN and infinities, which JSON cannot express.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        storage = .literal(value.description)
    }

    /// Parses a literal by RFC 8259's number grammar (`-?int frac? exp?`), or nil.
    public init?(literal: String) {
        var text = literal
        let parsed: JSONNumber?? = text.withUTF8 { bytes in
            guard let length = JSONNumber.scanLiteral(bytes, from: 0), length == bytes.count else { return .some(nil) }
            return .some(JSONNumber.make(fromValidLiteral: bytes))
        }
        guard let number = parsed ?? nil else { return nil }
        self = number
    }

    init(storage: Storage) { self.storage = storage }

    /// The value when the number was written as an integer that fits in 64 bits; otherwise nil
    /// (`1.5`, `1e3`, `1.0` and `99999999999999999999` are all nil).
    public var int64Value: Int64? {
        if case .integer(let value) = storage { return value }
        return nil
    }

    /// True when the number was written without a fraction or an exponent, whatever its size.
    public var isInteger: Bool {
        switch storage {
        case .integer: return true
        case .literal(let text): return !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        }
    }

    /// The nearest `Double`, or nil when the magnitude is beyond `Double`'s range.
    public var doubleValue: Double? {
        switch storage {
        case .integer(let value): return Double(value)
        case .literal(let text):
            guard let value = Double(text), value.isFinite else { return nil }
            return value
        }
    }

    /// The number as JSON text.
    public var description: String {
        switch storage {
        case .integer(let value): return String(value)
        case .literal(let text): return text
        }
    }

    // MARK: - Grammar, shared with the parser

    /// The length of the number literal that starts at `start`, or nil when the bytes there are
    /// not a JSON number. Stops at the first byte that cannot continue the number.
    static func scanLiteral(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        let end = bytes.count
        func isDigit(_ index: Int) -> Bool { index < end && bytes[index] &- UInt8(ascii: "0") < 10 }
        if index < end, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else { return nil }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { return nil }
            while isDigit(index) { index += 1 }
        }
        if index < end, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { return nil }
            while isDigit(index) { index += 1 }
        }
        return index - start
    }

    /// Builds the number for bytes already known to be exactly one valid literal.
    static func make(fromValidLiteral bytes: UnsafeBufferPointer<UInt8>) -> JSONNumber {
        if let value = integerValue(bytes) { return JSONNumber(value) }
        return JSONNumber(storage: .literal(String(decoding: bytes, as: UTF8.self)))
    }

    /// The Int64 a literal such as `-42` denotes; nil when it has a fraction or exponent or
    /// does not fit in 64 bits. Accumulates negatively so `Int64.min` is representable.
    static func integerValue(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { index = 1 }
        guard index < bytes.count else { return nil }
        var accumulated: Int64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow1) = accumulated.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.subtractingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return nil }
            accumulated = next
            index += 1
        }
        if negative { return accumulated }
        guard accumulated != Int64.min else { return nil }
        return -accumulated
    }
}
