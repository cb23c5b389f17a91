import Testing
@testable import RecoupCore

/// POLICY.md's pauses, rule by rule.
@Suite("Pauses")
struct PauseTests {
    static let policy = PausePolicy()
    static func day(_ text: String) -> LocalDate { LocalDate(text)! }

    @Test("each pause holds and lifts as POLICY.md says", arguments: [
        (PauseFacts(), "2026-12-10", nil, nil),
        (PauseFacts(openDispute: true), "2026-12-10", "pause.dispute", nil),
        (PauseFacts(onHold: true, promisedDates: [day("2026-12-01")]), "2026-12-10", "pause.hold", nil),
        (PauseFacts(unroutedReplies: 1), "2026-12-10", "pause.reply", nil),
        // Promised the 14th: held through the 15th, reminders resume on the 16th (date + 2 days grace).
        (PauseFacts(promisedDates: [day("2026-12-14")]), "2026-12-10", "pause.promise", "2026-12-16"),
        (PauseFacts(promisedDates: [day("2026-12-14")]), "2026-12-15", "pause.promise", "2026-12-16"),
        (PauseFacts(promisedDates: [day("2026-12-14")]), "2026-12-16", nil, nil),
        // A task opened Wednesday the 2nd holds 5 business days: until Wednesday the 9th.
        (PauseFacts(openHandOffsSince: [day("2026-12-02")]), "2026-12-08", "pause.hand_off", "2026-12-09"),
        (PauseFacts(openHandOffsSince: [day("2026-12-02")]), "2026-12-09", nil, nil),
        // The dispute outranks the promise.
        (PauseFacts(openDispute: true, promisedDates: [day("2026-12-14")]), "2026-12-10", "pause.dispute", nil),
    ] as [(PauseFacts, String, String?, String?)])
    func rules(_ facts: PauseFacts, today: String, rule: String?, until: String?) {
        let verdict = Pauses.verdict(facts, today: Self.day(today), policy: Self.policy)
        switch verdict {
        case .proceed:
            #expect(rule == nil, "expected \(rule ?? "-")")
        case .paused(let got, let lifts, let reason):
            #expect(got == rule)
            #expect(lifts?.description == until)
            #expect(!reason.isEmpty)
        }
    }

    @Test("a payment plan moves the journey to the first installment not yet covered")
    func installments() {
        let plan: [(dueDate: LocalDate, amountMinor: Int64)] = [(Self.day("2027-01-15"), 5_000), (Self.day("2026-12-15"), 5_000)]
        #expect(Pauses.effectiveDueDate(invoiceDue: Self.day("2026-12-01"), installments: plan, paidMinor: 0) == Self.day("2026-12-15"))
        #expect(Pauses.effectiveDueDate(invoiceDue: Self.day("2026-12-01"), installments: plan, paidMinor: 5_000) == Self.day("2027-01-15"))
        #expect(Pauses.effectiveDueDate(invoiceDue: Self.day("2026-12-01"), installments: plan, paidMinor: 4_999) == Self.day("2026-12-15"))
        #expect(Pauses.effectiveDueDate(invoiceDue: Self.day("2026-12-01"), installments: [], paidMinor: 0) == Self.day("2026-12-01"))
    }
}
