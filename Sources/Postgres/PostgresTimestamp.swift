import Foundation

/// Converts between `Date` and PostgreSQL's text form of timestamps, with microseconds.
///
/// Written by hand (no `DateFormatter`): it is thread-safe, locale-free, keeps all six
/// fractional digits, and accepts what the server prints with `DateStyle = ISO` in any
/// session time zone (`2024-05-01 10:00:00.5+00`, `+05:30`, `-03:30:15`).
enum PostgresTimestamp {
    /// `2024-05-01T10:00:00.123456Z` (UTC, always six fractional digits).
    static func format(_ date: Date) -> String {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        // Outside ±2^62 µs (~146,000 years) there is nothing sensible to send.
        let micros = Int64(exactly: totalMicros) ?? (totalMicros < 0 ? Int64.min / 2 : Int64.max / 2)
        let (seconds, fraction) = floorDivide(micros, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        let hour = secondOfDay / 3600, minute = secondOfDay % 3600 / 60, second = secondOfDay % 60
        let era = year <= 0 ? " BC" : ""
        let displayYear = year <= 0 ? 1 - year : year
        return "\(pad(displayYear, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(fraction, 6))Z\(era)"
    }

    /// Parses `YYYY-MM-DD[( |T)HH:MM[:SS[.frac]]][Z|±HH[:MM[:SS]]][ BC]`, also `infinity`
    /// (→ `Date.distantFuture`) and `-infinity` (→ `Date.distantPast`). A value without an
    /// offset (`timestamp`, `date`) is read as UTC.
    static func parse(_ text: String) -> Date? {
        if text == "infinity" { return .distantFuture }
        if text == "-infinity" { return .distantPast }
        var scanner = ByteScanner(Array(text.utf8))

        guard let yearDigits = scanner.digits(min: 4, max: 9), scanner.take(UInt8(ascii: "-")),
              let month = scanner.digits(min: 2, max: 2), scanner.take(UInt8(ascii: "-")),
              let day = scanner.digits(min: 2, max: 2) else { return nil }
        var year = yearDigits
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }

        var secondOfDay: Int64 = 0
        var micros: Int64 = 0
        var offsetSeconds: Int64 = 0
        if scanner.take(UInt8(ascii: " ")) || scanner.take(UInt8(ascii: "T")) {
            guard let hour = scanner.digits(min: 2, max: 2), scanner.take(UInt8(ascii: ":")),
                  let minute = scanner.digits(min: 2, max: 2) else { return nil }
            var second: Int64 = 0
            if scanner.take(UInt8(ascii: ":")) {
                guard let value = scanner.digits(min: 2, max: 2) else { return nil }
                second = value
                if scanner.take(UInt8(ascii: ".")) {
                    guard let (fraction, count) = scanner.fraction() else { return nil }
                    micros = scaleToMicros(fraction, digits: count)
                }
            }
            // 24:00:00 is valid in PostgreSQL input and output (end of day).
            guard hour < 24 || (hour == 24 && minute == 0 && second == 0 && micros == 0),
                  minute < 60, second < 61 else { return nil }
            secondOfDay = hour * 3600 + minute * 60 + second

            if scanner.take(UInt8(ascii: "Z")) {
                offsetSeconds = 0
            } else if let sign = scanner.takeSign() {
                guard let hours = scanner.digits(min: 2, max: 2) else { return nil }
                var minutes: Int64 = 0, seconds: Int64 = 0
                if scanner.take(UInt8(ascii: ":")) {
                    guard let value = scanner.digits(min: 2, max: 2) else { return nil }
                    minutes = value
                    if scanner.take(UInt8(ascii: ":")) {
                        guard let value = scanner.digits(min: 2, max: 2) else { return nil }
                        seconds = value
                    }
                } else if let value = scanner.digits(min: 2, max: 2) {
                    minutes = value // ISO basic form +0530
                }
                guard hours <= 15, minutes < 60, seconds < 60 else { return nil }
                offsetSeconds = sign * (hours * 3600 + minutes * 60 + seconds)
            }
        }
        if scanner.take(UInt8(ascii: " ")) {
            guard scanner.take(UInt8(ascii: "B")), scanner.take(UInt8(ascii: "C")) else { return nil }
            year = 1 - year
        }
        guard scanner.atEnd else { return nil }

        let days = days(fromCivil: year, month, day)
        let utcSeconds = days * 86_400 + secondOfDay - offsetSeconds
        return Date(timeIntervalSince1970: Double(utcSeconds) + Double(micros) / 1_000_000)
    }

    // MARK: Calendar arithmetic (proleptic Gregorian, days relative to 1970-01-01)

    /// Days since 1970-01-01 of a civil date (years counted astronomically: 0 = 1 BC).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        // Shift the year to start in March so the leap day is the last day of the year.
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400).quotient
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day count since 1970-01-01 (inverse of `days(fromCivil:)`).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = floorDivide(shifted, 146_097).quotient
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
        var quotient = a / b
        var remainder = a % b
        if remainder < 0 { quotient -= 1; remainder += b }
        return (quotient, remainder)
    }

    private static func scaleToMicros(_ fraction: Int64, digits: Int) -> Int64 {
        var value = fraction
        var count = digits
        while count < 6 { value *= 10; count += 1 }
        while count > 6 { value /= 10; count -= 1 }
        return value
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// A minimal forward scanner over ASCII bytes.
struct ByteScanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    mutating func take(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// +1 or -1 when the next byte is a sign.
    mutating func takeSign() -> Int64? {
        if take(UInt8(ascii: "+")) { return 1 }
        if take(UInt8(ascii: "-")) { return -1 }
        return nil
    }

    /// Between `min` and `max` decimal digits as a number.
    mutating func digits(min: Int, max: Int) -> Int64? {
        var value: Int64 = 0
        var count = 0
        while count < max, position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            value = value * 10 + Int64(bytes[position] - UInt8(ascii: "0"))
            position += 1
            count += 1
        }
        return count >= min ? value : nil
    }

    /// One or more digits after a decimal point: the first nine as a number, and how many
    /// of them were kept.
    mutating func fraction() -> (Int64, Int)? {
        var value: Int64 = 0
        var kept = 0
        var seen = 0
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            if kept < 9 {
                value = value * 10 + Int64(bytes[position] - UInt8(ascii: "0"))
                kept += 1
            }
            seen += 1
            position += 1
        }
        return seen > 0 ? (value, kept) : nil
    }
}
