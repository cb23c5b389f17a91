import Foundation

/// Reads the date a customer promises to pay by, relative to the day the reply was written (the
/// account's local date), in English, German, French and Spanish: "Friday", "tomorrow", "next
/// week", "by the 15th", "end of month", "December 4", "4. Dezember", "le 15", "2026-12-14".
/// When a reply names several dates, the latest counts: the promise is kept only by then.
public enum PromiseDate {
    public static func extract(_ text: String, today: LocalDate) -> LocalDate? {
        let words = tokens(text)
        var found: [LocalDate] = []
        for (index, word) in words.enumerated() {
            let next = index + 1 < words.count ? words[index + 1] : nil
            let previous = index > 0 ? words[index - 1] : nil
            if let offset = relativeDays[word] {
                found.append(today.adding(days: offset))
            } else if let weekday = weekdays[word] ?? weekdayAbbreviations[word]
                        ?? (word.hasSuffix("s") ? englishWeekday(String(word.dropLast())) : nil)
                        ?? (word.hasSuffix("'s") ? englishWeekday(String(word.dropLast(2))) : nil) {
                // "Friday", and "on Fridays" (the next one).
                found.append(today.next(weekday: weekday))
            } else if let month = namedMonthEnd(words, at: index) {
                // "end of January", "Ende Januar", "fin de enero": the last day of that month.
                if let first = nextOccurrence(month: month, day: 1, from: LocalDate(year: today.year, month: today.month, day: 1)!) {
                    found.append(first.endOfMonth)
                }
            } else if weekWords.contains(word), let previous, nextWords.contains(previous) {
                // "next week": by the Friday of next week.
                found.append(today.next(weekday: 1).adding(days: 4))
            } else if word == "semana" || word == "semaine", let next, nextWords.contains(next) {
                found.append(today.next(weekday: 1).adding(days: 4))
            } else if isMonthEnd(words, at: index) {
                found.append(today.endOfMonth)
            } else if let month = months[word] {
                // "December 4" / "4 December" / "4. Dezember" / "4 de diciembre"
                let day = next.flatMap(dayNumber) ?? previous.flatMap(dayNumber)
                    ?? (previous == "de" && index >= 2 ? dayNumber(words[index - 2]) : nil)
                if let day, let date = nextOccurrence(month: month, day: day, from: today) { found.append(date) }
            } else if let day = dayNumber(word), ordinalContext(previous: previous, word: word),
                      next.map({ months[$0] == nil && $0 != "de" }) ?? true {
                if let date = nextOccurrence(day: day, from: today) { found.append(date) }
            } else if let date = LocalDate(word) {
                found.append(date)
            } else if let date = dayMonth(word, today: today) {
                found.append(date)
            }
        }
        return found.filter { $0 >= today }.max()
    }

    // MARK: vocabulary

    static let relativeDays: [String: Int] = [
        "today": 0, "heute": 0, "aujourd'hui": 0, "hoy": 0,
        "tomorrow": 1, "tmrw": 1, "tmr": 1, "tomoz": 1, "morgen": 1, "demain": 1, "mañana": 1, "manana": 1,
        "übermorgen": 2,
    ]
    /// 0 = Sunday ... 6 = Saturday, as `LocalDate.weekday`.
    static let weekdays: [String: Int] = [
        "sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
        "sonntag": 0, "montag": 1, "dienstag": 2, "mittwoch": 3, "donnerstag": 4, "freitag": 5, "samstag": 6,
        "dimanche": 0, "lundi": 1, "mardi": 2, "mercredi": 3, "jeudi": 4, "vendredi": 5, "samedi": 6,
        "domingo": 0, "lunes": 1, "martes": 2, "miércoles": 3, "miercoles": 3, "jueves": 4, "viernes": 5, "sábado": 6, "sabado": 6,
    ]
    static let months: [String: Int] = [
        "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5, "june": 6,
        "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10,
        "november": 11, "nov": 11, "december": 12, "dec": 12,
        "januar": 1, "februar": 2, "märz": 3, "mai": 5, "juni": 6, "juli": 7, "oktober": 10, "dezember": 12,
        "janvier": 1, "février": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7, "août": 8, "septembre": 9, "octobre": 10,
        "novembre": 11, "décembre": 12,
        "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8, "septiembre": 9,
        "octubre": 10, "noviembre": 11, "diciembre": 12,
    ]
    static let nextWords: Set<String> = ["next", "nächste", "nächsten", "kommende", "kommenden", "prochaine", "próxima", "proxima", "que"]
    static let weekWords: Set<String> = ["week", "woche"]
    static let monthEndWords: Set<String> = ["monatsende", "month-end", "eom"]
    static let endWords: Set<String> = ["end", "ende", "fin", "final"]
    static let monthWords: Set<String> = ["month", "monats", "monat", "mois", "mes"]
    /// Words before a bare day number that make it a date: "by the 15th", "am 15.", "le 15", "el 15".
    static let dayLeads: Set<String> = ["the", "on", "by", "am", "bis", "zum", "le", "el", "au", "avant", "antes", "del"]

    static func englishWeekday(_ word: String) -> Int? {
        ["sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6][word]
    }

    /// "fri", "thurs", "mon": weekday abbreviations as people text them.
    static let weekdayAbbreviations: [String: Int] = [
        "sun": 0, "mon": 1, "tue": 2, "tues": 2, "wed": 3, "thu": 4, "thur": 4, "thurs": 4, "fri": 5, "sat": 6,
    ]

    /// The month named right after an "end" word: "end of January", "Ende Januar", "fin de enero".
    static func namedMonthEnd(_ words: [String], at index: Int) -> Int? {
        guard endWords.contains(words[index]) else { return nil }
        var next = index + 1
        if next < words.count, ["of", "des", "de", "du"].contains(words[next]) { next += 1 }
        guard next < words.count, let month = months[words[next]] else { return nil }
        return month
    }

    /// "month-end", "end of (the) month", "Ende des Monats", "fin du mois", "fin de mes" at `index`.
    static func isMonthEnd(_ words: [String], at index: Int) -> Bool {
        let word = words[index]
        if monthEndWords.contains(word) { return true }
        // "the last business day of the month", "the last day of the month"
        if word == "last", index + 3 < words.count, words[(index + 1)...].prefix(5).contains("month"),
           words[(index + 1)...].prefix(3).contains("day") { return true }
        guard endWords.contains(word), index + 1 < words.count else { return false }
        if monthWords.contains(words[index + 1]) { return true }
        guard ["of", "des", "du", "de"].contains(words[index + 1]) else { return false }
        // "end of month" or, with an article between, "end of the month".
        return words[(index + 2)..<min(index + 4, words.count)].contains(where: monthWords.contains)
    }

    static func tokens(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber || character == "'" || character == "-" || character == "." || character == "/" {
                current.append(character)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        // Trailing sentence dots go, except in a German ordinal ("15.") or a numeric date ("14.12.").
        return words.map { word in
            var word = word
            while word.hasSuffix("."), !(word.dropLast().allSatisfy(\.isNumber) || word.filter({ $0 == "." }).count >= 2) {
                word.removeLast()
            }
            return word.trimmingCharacters(in: CharacterSet(charactersIn: "'-/"))
        }.filter { !$0.isEmpty }
    }

    /// "15", "15th", "1st", "15.", "15e", "1er" → the day number.
    static func dayNumber(_ word: String) -> Int? {
        var digits = word
        for suffix in ["st", "nd", "rd", "th", "er", "e", "."] where digits.hasSuffix(suffix) {
            digits.removeLast(suffix.count)
            break
        }
        guard !digits.isEmpty, digits.count <= 2, let day = Int(digits), (1...31).contains(day) else { return nil }
        return day
    }

    static func ordinalContext(previous: String?, word: String) -> Bool {
        // "15th" stands alone; "15." and "15" need a lead ("am 15.", "le 15"): "not 20." is no date.
        let ordinal = ["st", "nd", "rd", "th"].contains { word.hasSuffix($0) }
        return ordinal || previous.map(dayLeads.contains) == true
    }

    /// "14.12." or "14.12.2026" (German and French numeric dates).
    static func dayMonth(_ word: String, today: LocalDate) -> LocalDate? {
        let parts = word.split(separator: ".").map(String.init)
        guard parts.count >= 2, let day = Int(parts[0]), let month = Int(parts[1]), (1...12).contains(month) else { return nil }
        if parts.count >= 3, let year = Int(parts[2]) {
            return LocalDate(year: year < 100 ? 2000 + year : year, month: month, day: day)
        }
        return nextOccurrence(month: month, day: day, from: today)
    }

    static func nextOccurrence(month: Int, day: Int, from today: LocalDate) -> LocalDate? {
        guard let thisYear = LocalDate(year: today.year, month: month, day: day) else { return nil }
        return thisYear >= today ? thisYear : LocalDate(year: today.year + 1, month: month, day: day)
    }

    /// Day `day` of this month, or of the next month if it has passed.
    static func nextOccurrence(day: Int, from today: LocalDate) -> LocalDate? {
        if day >= today.day, let date = LocalDate(year: today.year, month: today.month, day: day) { return date }
        let (year, month) = today.month == 12 ? (today.year + 1, 1) : (today.year, today.month + 1)
        return LocalDate(year: year, month: month, day: day)
    }
}

extension LocalDate {
    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// The first date after this one falling on `weekday` (0 = Sunday).
    func next(weekday target: Int) -> LocalDate {
        let ahead = (target - weekday + 7) % 7
        return adding(days: ahead == 0 ? 7 : ahead)
    }

    /// The last day of this date's month.
    var endOfMonth: LocalDate {
        var day = 31
        while LocalDate(year: year, month: month, day: day) == nil { day -= 1 }
        return LocalDate(year: year, month: month, day: day)!
    }
}
