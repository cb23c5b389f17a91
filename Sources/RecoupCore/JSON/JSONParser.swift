/// Why bytes are not an acceptable JSON document: the byte offset where the problem was
/// found and a short reason. Reasons never quote the input beyond a single ASCII character.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(reason) at byte \(offset)" }
}

/// A strict RFC 8259 parser over UTF-8 bytes, written for hostile input.
///
/// - Exactly one value, optionally surrounded by JSON whitespace; anything after it is an error.
/// - A leading UTF-8 byte order mark is refused (RFC 8259 §8.1 forbids sending one; a
///   CloudEvents producer has no reason to).
/// - Strings: invalid UTF-8 (overlong forms, encoded surrogates, beyond U+10FFFF, truncated
///   sequences), raw control characters, unknown escapes and unpaired `\u` surrogates are errors.
///   `\u0000` is valid JSON and is accepted; callers that cannot store NUL check for it.
/// - Numbers follow the grammar exactly (no leading zeros, `+`, `.5`, `1.`, NaN or Infinity).
///   Integers that fit in 64 bits become `Int64`; other numbers keep their literal text.
/// - Duplicate keys in one object are an error ("duplicate key"): a message whose meaning would
///   depend on which duplicate a reader picks is refused rather than guessed at.
/// - Nesting is bounded (`maximumDepth` containers, default 64), so recursion stays shallow
///   whatever the input.
public enum JSONParser {
    public static let maximumDepth = 64

    public static func parse(_ bytes: [UInt8], maximumDepth: Int = JSONParser.maximumDepth) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            parseResult(buffer, maximumDepth: maximumDepth)
        }
        return try result.get()
    }

    public static func parse(_ buffer: UnsafeBufferPointer<UInt8>, maximumDepth: Int = JSONParser.maximumDepth) throws(JSONParseError) -> JSONValue {
        try parseResult(buffer, maximumDepth: maximumDepth).get()
    }

    public static func parse(_ text: String, maximumDepth: Int = JSONParser.maximumDepth) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), maximumDepth: maximumDepth)
    }

    static func parseResult(_ buffer: UnsafeBufferPointer<UInt8>, maximumDepth: Int) -> Result<JSONValue, JSONParseError> {
        var reader = Reader(buffer, maximumDepth: maximumDepth)
        do {
            return .success(try reader.document())
        } catch {
            return .failure(error)
        }
    }
}

private enum Byte {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let minus = UInt8(ascii: "-")
}

private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    let end: Int
    let maximumDepth: Int
    var index = 0
    /// Reused for strings that contain escapes.
    var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) {
        self.bytes = bytes
        self.end = bytes.count
        self.maximumDepth = maximumDepth
    }

    func fail(_ reason: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(offset: offset ?? index, reason: reason)
    }

    /// "unexpected character 'x'" for printable ASCII, "unexpected byte 0xNN" otherwise.
    func unexpected(_ expectation: String) -> JSONParseError {
        guard index < end else { return fail("unexpected end of input, \(expectation)") }
        let byte = bytes[index]
        if byte >= 0x21 && byte < 0x7F {
            return fail("unexpected character '\(String(UnicodeScalar(byte)))', \(expectation)")
        }
        let hex = String(byte, radix: 16, uppercase: true)
        return fail("unexpected byte 0x\(hex.count == 1 ? "0" + hex : hex), \(expectation)")
    }

    mutating func document() throws(JSONParseError) -> JSONValue {
        if end >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            throw fail("a byte order mark is not allowed", at: 0)
        }
        skipWhitespace()
        guard index < end else { throw fail("empty document") }
        let value = try value(depth: 0)
        skipWhitespace()
        guard index == end else { throw unexpected("expected the end of the document") }
        return value
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// One value; `depth` is the number of containers around it.
    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < end else { throw fail("unexpected end of input, expected a value") }
        switch bytes[index] {
        case Byte.quote: return .string(try string())
        case Byte.openBrace: return try object(depth: depth + 1)
        case Byte.openBracket: return try array(depth: depth + 1)
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case Byte.minus, UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw unexpected("expected a value")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        let start = word.utf8Start
        for offset in 0..<count {
            guard index + offset < end else { throw fail("unexpected end of input in a literal", at: index + offset) }
            guard bytes[index + offset] == start[offset] else { throw fail("invalid literal", at: index) }
        }
        index += count
    }

    mutating func number() throws(JSONParseError) -> JSONNumber {
        let start = index
        guard let length = JSONNumber.scanLiteral(bytes, from: start) else {
            throw fail(numberProblem(from: start), at: start)
        }
        let after = start + length
        // A digit straight after a complete "0" or "-0" is a leading zero.
        if after < end, bytes[after] &- UInt8(ascii: "0") < 10 {
            throw fail("leading zero in a number", at: start)
        }
        index = after
        return JSONNumber.make(fromValidLiteral: UnsafeBufferPointer(rebasing: bytes[start..<after]))
    }

    /// Names what is wrong with a number that failed the grammar.
    func numberProblem(from start: Int) -> String {
        var position = start
        if position < end, bytes[position] == Byte.minus { position += 1 }
        guard position < end, bytes[position] &- UInt8(ascii: "0") < 10 else { return "invalid number: expected a digit" }
        while position < end, bytes[position] &- UInt8(ascii: "0") < 10 { position += 1 }
        if position < end, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < end, bytes[position] &- UInt8(ascii: "0") < 10 else { return "invalid number: expected a digit after '.'" }
            while position < end, bytes[position] &- UInt8(ascii: "0") < 10 { position += 1 }
        }
        return "invalid number: expected a digit in the exponent"
    }

    mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maximumDepth else { throw fail("nesting deeper than \(maximumDepth) levels") }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < end, bytes[index] == Byte.closeBracket {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            if index < end, bytes[index] == Byte.closeBracket, !elements.isEmpty {
                throw fail("trailing comma in an array")
            }
            elements.append(try value(depth: depth))
            skipWhitespace()
            guard index < end else { throw fail("unexpected end of input, expected ',' or ']'") }
            switch bytes[index] {
            case Byte.comma: index += 1
            case Byte.closeBracket: index += 1; return .array(elements)
            default: throw unexpected("expected ',' or ']'")
            }
        }
    }

    mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maximumDepth else { throw fail("nesting deeper than \(maximumDepth) levels") }
        index += 1
        var members = JSONObject()
        skipWhitespace()
        if index < end, bytes[index] == Byte.closeBrace {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < end, bytes[index] == Byte.quote else {
                if index < end, bytes[index] == Byte.closeBrace, !members.isEmpty { throw fail("trailing comma in an object") }
                throw unexpected("expected a string key")
            }
            let keyOffset = index
            let key = try string()
            skipWhitespace()
            guard index < end, bytes[index] == Byte.colon else { throw unexpected("expected ':'") }
            index += 1
            skipWhitespace()
            let member = try value(depth: depth)
            guard members.insertNew(key, member) else { throw fail("duplicate key", at: keyOffset) }
            skipWhitespace()
            guard index < end else { throw fail("unexpected end of input, expected ',' or '}'") }
            switch bytes[index] {
            case Byte.comma: index += 1
            case Byte.closeBrace: index += 1; return .object(members)
            default: throw unexpected("expected ',' or '}'")
            }
        }
    }

    // MARK: - Strings

    /// A string starting at the opening quote. Plain strings (no escapes) are decoded straight
    /// from the input; strings with escapes are assembled in `scratch`.
    mutating func string() throws(JSONParseError) -> String {
        let open = index
        index += 1
        let start = index
        while index < end {
            let byte = bytes[index]
            if byte == Byte.quote {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == Byte.backslash { return try escapedString(open: open, plainUntil: start) }
            if byte < 0x20 { throw fail("control character in a string") }
            if byte < 0x80 {
                index += 1
            } else {
                try skipMultibyteScalar()
            }
        }
        throw fail("unterminated string", at: open)
    }

    mutating func escapedString(open: Int, plainUntil start: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < end {
            let byte = bytes[index]
            switch byte {
            case Byte.quote:
                index += 1
                return String(decoding: scratch, as: UTF8.self)
            case Byte.backslash:
                try escape()
            case 0x00..<0x20:
                throw fail("control character in a string")
            case 0x20..<0x80:
                scratch.append(byte)
                index += 1
            default:
                let scalarStart = index
                try skipMultibyteScalar()
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[scalarStart..<index]))
            }
        }
        throw fail("unterminated string", at: open)
    }

    /// One escape sequence at `index` (the backslash), appended to `scratch` as UTF-8.
    mutating func escape() throws(JSONParseError) {
        let escapeStart = index
        guard index + 1 < end else { throw fail("unterminated escape") }
        let code = bytes[index + 1]
        index += 2
        switch code {
        case Byte.quote: scratch.append(0x22)
        case Byte.backslash: scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(escapeStart)
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                guard index + 1 < end, bytes[index] == Byte.backslash, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw fail("lone surrogate in a \\u escape", at: escapeStart)
                }
                let lowStart = index
                index += 2
                let low = try hex4(lowStart)
                guard low >= 0xDC00 && low <= 0xDFFF else { throw fail("lone surrogate in a \\u escape", at: escapeStart) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw fail("lone surrogate in a \\u escape", at: escapeStart)
            }
            appendUTF8(scalar)
        default:
            throw fail("invalid escape", at: escapeStart)
        }
    }

    /// Four hex digits after `\u`.
    mutating func hex4(_ escapeStart: Int) throws(JSONParseError) -> UInt32 {
        guard index + 4 <= end else { throw fail("truncated \\u escape", at: escapeStart) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("invalid hex digit in a \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(0xC0 | UInt8(scalar >> 6))
            scratch.append(0x80 | UInt8(scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(0xE0 | UInt8(scalar >> 12))
            scratch.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            scratch.append(0x80 | UInt8(scalar & 0x3F))
        default:
            scratch.append(0xF0 | UInt8(scalar >> 18))
            scratch.append(0x80 | UInt8((scalar >> 12) & 0x3F))
            scratch.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            scratch.append(0x80 | UInt8(scalar & 0x3F))
        }
    }

    /// Validates one multi-byte UTF-8 sequence at `index` (RFC 3629 §4) and moves past it.
    mutating func skipMultibyteScalar() throws(JSONParseError) {
        let lead = bytes[index]
        let length: Int
        var secondLow: UInt8 = 0x80, secondHigh: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondLow = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondHigh = 0x9F
        case 0xF0: length = 4; secondLow = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondHigh = 0x8F
        default: throw fail("invalid UTF-8")
        }
        guard index + length <= end else { throw fail("invalid UTF-8 (truncated sequence)") }
        let second = bytes[index + 1]
        guard second >= secondLow && second <= secondHigh else { throw fail("invalid UTF-8") }
        var offset = 2
        while offset < length {
            guard bytes[index + offset] & 0xC0 == 0x80 else { throw fail("invalid UTF-8") }
            offset += 1
        }
        index += length
    }
}
