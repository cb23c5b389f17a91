import Foundation

/// Parses the operator's spellings of times and durations for the controlled clock
/// (`recoupctl clock set 2026-12-01T09:00:00Z`, `recoupctl clock advance 1d12h`).
public enum ClockText {
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Parses a duration made of `<n>d`, `<n>h`, `<n>m`, `<n>s` parts (e.g. `7d`, `36h`, `1d12h30m`).
    public static func duration(_ text: String) throws(Invalid) -> TimeInterval {
        var total: TimeInterval = 0
        var digits = ""
        var sawPart = false
        for character in text.trimmingCharacters(in: .whitespaces) {
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            guard let value = Int(digits), !digits.isEmpty, digits.count <= 9 else {
                throw Invalid(description: "duration \(text.debugDescription): expected a number before \(character.debugDescription)")
            }
            let unit: TimeInterval
            switch character {
            case "d": unit = 86_400
            case "h": unit = 3_600
            case "m": unit = 60
            case "s": unit = 1
            default: throw Invalid(description: "duration \(text.debugDescription): unknown unit \(character.debugDescription) (use d, h, m, s)")
            }
            total += TimeInterval(value) * unit
            digits = ""
            sawPart = true
        }
        guard digits.isEmpty, sawPart else {
            throw Invalid(description: "duration \(text.debugDescription): expected parts like 7d, 36h, 90m, 30s")
        }
        return total
    }

    /// The shortest spelling `duration` parses back: `3d`, `36h` as `1d12h`, `90m` as `1h30m`, `0s`.
    public static func format(_ seconds: TimeInterval) -> String {
        var rest = Int(seconds.rounded())
        guard rest > 0 else { return "0s" }
        var text = ""
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }

    /// Parses an RFC 3339 timestamp with an offset (`2026-12-01T09:00:00Z`, fractional seconds allowed).
    public static func timestamp(_ text: String) throws(Invalid) -> Date {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .colon)) {
            return date
        }
        throw Invalid(description: "timestamp \(text.debugDescription): expected RFC 3339, e.g. 2026-12-01T09:00:00Z")
    }
}
