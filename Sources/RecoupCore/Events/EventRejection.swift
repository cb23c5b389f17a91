/// The classes of CONTRACT.md's dead-letter header `x-recoup-error-class`.
public enum DeadLetterClass: String, Sendable, CaseIterable {
    /// Not JSON, invalid UTF-8, or not a JSON object.
    case malformed
    /// A required field (or CloudEvents attribute) missing or null, a field of the wrong JSON
    /// type, an empty id: the message does not have the contract's shape.
    case schema
    /// Well-formed and of the right types, but a value the contract does not allow: negative
    /// amounts, unknown currencies, invalid dates, timestamps and time zones, enum values
    /// outside their set, over-long text.
    case semantic
    /// Over `EventParser.maxBodyBytes`.
    case tooLarge = "too_large"
    /// A `type` that is not an inbound event type.
    case unknownType = "unknown_type"
    /// Processing kept failing for transient reasons (decided by the worker, not the parser).
    case transientExhausted = "transient_exhausted"
}

/// Why an inbound message cannot be processed: its dead-letter class and a reason.
///
/// The reason is one line of at most `maxReasonLength` characters that names the field by its
/// JSON path (`data.amount_due_minor: expected an integer, got a string`). It never contains a
/// field's value — values may be personal data — only field names, JSON types, the allowed
/// values of enumerations, limits, byte offsets and (sanitized) the event type.
public struct EventRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public static let maxReasonLength = 200

    public let errorClass: DeadLetterClass
    public let reason: String

    /// Control characters in `reason` become spaces and it is cut to `maxReasonLength`, so the
    /// reason is always one header-safe line.
    public init(_ errorClass: DeadLetterClass, _ reason: String) {
        self.errorClass = errorClass
        var line = String(String.UnicodeScalarView(reason.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
        if line.unicodeScalars.count > Self.maxReasonLength {
            line = String(String.UnicodeScalarView(line.unicodeScalars.prefix(Self.maxReasonLength - 1))) + "…"
        }
        self.reason = line.isEmpty ? "rejected" : line
    }

    public init(errorClass: DeadLetterClass, reason: String) {
        self.init(errorClass, reason)
    }

    public var description: String { "\(errorClass.rawValue): \(reason)" }
}
