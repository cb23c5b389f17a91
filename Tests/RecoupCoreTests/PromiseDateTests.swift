import Testing
@testable import RecoupCore

/// Promise dates as customers write them, relative to Wednesday 2 December 2026.
@Suite("Promise dates")
struct PromiseDateTests {
    static let today = LocalDate("2026-12-02")!   // a Wednesday

    @Test("dates in customers' words", arguments: [
        ("We'll pay Friday.", "2026-12-04"),
        ("payment goes out tomorrow", "2026-12-03"),
        ("We can pay next week", "2026-12-11"),
        ("you'll have it by the 15th", "2026-12-15"),
        ("we'll pay on the 14th", "2026-12-14"),
        ("we will settle by the 1st", "2027-01-01"),
        ("paying at the end of the month", "2026-12-31"),
        ("end of month latest", "2026-12-31"),
        ("Payment on December 4", "2026-12-04"),
        ("we pay 20 January", "2027-01-20"),
        ("scheduled for 2026-12-18", "2026-12-18"),
        ("Wir zahlen am Freitag.", "2026-12-04"),
        ("Zahlung erfolgt am 15.", "2026-12-15"),
        ("Überweisung bis zum 4. Dezember", "2026-12-04"),
        ("Wir überweisen nächste Woche", "2026-12-11"),
        ("Zahlung zum Monatsende", "2026-12-31"),
        ("Wir zahlen am 14.12.", "2026-12-14"),
        ("Nous paierons vendredi", "2026-12-04"),
        ("Le paiement sera fait le 15", "2026-12-15"),
        ("paiement à la fin du mois", "2026-12-31"),
        ("Pagaremos el viernes", "2026-12-04"),
        ("Pagaremos el 4 de diciembre", "2026-12-04"),
        ("pagamos a fin de mes", "2026-12-31"),
        ("half on the 5th and the rest on the 20th", "2026-12-20"),
    ])
    func extracted(_ text: String, expected: String) {
        #expect(PromiseDate.extract(text, today: Self.today) == LocalDate(expected), "\(text)")
    }

    @Test("no date where none is promised", arguments: [
        "Thanks, we'll look into it.",
        "We have 50 seats, not 20.",
        "Invoice 1234 is wrong",
        "Danke für die Erinnerung",
    ])
    func none(_ text: String) {
        #expect(PromiseDate.extract(text, today: Self.today) == nil, "\(text)")
    }
}

extension PromiseDateTests {
    @Test("a named month's end and plural weekdays", arguments: [
        ("Expect payment by the end of January.", "2027-01-31"),
        ("Zahlung bis Ende Januar", "2027-01-31"),
        ("pagaremos a fin de enero", "2027-01-31"),
        ("by the end of December", "2026-12-31"),
        ("AP cuts payments on Fridays, so expect it then", "2026-12-04"),
    ])
    func monthEndsAndPlurals(text: String, expected: String) {
        #expect(PromiseDate.extract(text, today: Self.today) == LocalDate(expected))
    }
}
