import PropertySupport
import Testing
@testable import RecoupCore

/// The priority formula (aging x value x risk x strategic context), its worked values, and the
/// orderings it must keep whatever the inputs.
@Suite("Priority score")
struct PriorityScoreTests {
    static func usd(_ major: Int64) -> Money { Money(minorUnits: major * 100, currency: .usd) }

    struct Case: Sendable, CustomTestStringConvertible {
        var days: Int, balance: Int64, tier: ValueTier, risks: Int, threshold: Int?, expected: Double
        var testDescription: String { "\(days)d \(balance) USD \(tier.rawValue) risks \(risks)" }
    }

    static let worked: [Case] = [
        Case(days: 0, balance: 0, tier: .longTail, risks: 0, threshold: nil, expected: 0),                  // product 1
        Case(days: 15, balance: 0, tier: .longTail, risks: 0, threshold: nil, expected: 50),                // aging 2
        Case(days: 30, balance: 10_000, tier: .longTail, risks: 0, threshold: nil, expected: 100 * (1 - 1 / 9.0)),  // 3 x 3
        Case(days: 20, balance: 10_000, tier: .strategic, risks: 0, threshold: 14,
             expected: 100 * (1 - 1 / ((1 + 20 / 15.0) * 2 * 3 * 2))),                                       // aging doubled
        Case(days: 20, balance: 10_000, tier: .longTail, risks: 0, threshold: 30, expected: 100 * (1 - 1 / ((1 + 20 / 15.0) * 3))),
        Case(days: 0, balance: 100, tier: .midMarket, risks: 2, threshold: nil, expected: 100 * (1 - 1 / (2 * 1.5 * 1.5))),
    ]

    @Test("worked values of the documented formula", arguments: worked)
    func workedValues(_ c: Case) {
        let score = PriorityScore.of(daysOverdue: c.days, openBalance: c.balance > 0 ? Self.usd(c.balance) : nil, tier: c.tier,
                                     risks: Array(repeating: "a risk", count: c.risks), agingThresholdDays: c.threshold)
        #expect(abs(score.value - c.expected) < 1e-9)
    }

    @Test("the worklist case: strategic 20 days overdue outranks long tail 20 days overdue, with reasons")
    func strategicOutranksLongTail() {
        let strategic = PriorityScore.of(daysOverdue: 20, openBalance: Self.usd(1_200), tier: .strategic, agingThresholdDays: 14)
        let longTail = PriorityScore.of(daysOverdue: 20, openBalance: Self.usd(1_200), tier: .longTail, agingThresholdDays: 30)
        #expect(strategic.value > longTail.value)
        #expect(strategic.reasons == ["20 days overdue", "past the strategic escalation age of 14 days", "1,200.00 USD open",
                                      "strategic account"])
        #expect(longTail.reasons == ["20 days overdue", "1,200.00 USD open"])
    }

    @Test("more of any factor never lowers the score, and it stays in 0..<100")
    func monotoneAndBounded() {
        var random = SeededGenerator(seed: 0x5C0E)
        let tiers: [ValueTier] = [.longTail, .midMarket, .strategic]
        for _ in 0..<2_000 {
            let days = Int.random(in: 0...400, using: &random)
            let balance = Int64.random(in: 0...1_000_000_000, using: &random)
            let tier = Int.random(in: 0..<3, using: &random)
            let risks = Int.random(in: 0...6, using: &random)
            func score(_ d: Int, _ b: Int64, _ t: Int, _ r: Int) -> Double {
                PriorityScore.of(daysOverdue: d, openBalance: b > 0 ? Money(minorUnits: b, currency: .usd) : nil, tier: tiers[t],
                                 risks: Array(repeating: "r", count: r), agingThresholdDays: 30).value
            }
            let base = score(days, balance, tier, risks)
            #expect(base >= 0 && base < 100)
            #expect(score(days + 1, balance, tier, risks) >= base)
            #expect(score(days, balance * 2 + 1, tier, risks) >= base)
            #expect(score(days, balance, min(2, tier + 1), risks) >= base)
            #expect(score(days, balance, tier, risks + 1) > base)
        }
    }

    @Test("the integer score for escalations rounds down")
    func integerScore() {
        #expect(PriorityScore.score(daysOverdue: 15, openBalance: nil, tier: .longTail) == 50)
        #expect(PriorityScore.score(daysOverdue: 0, openBalance: nil, tier: .longTail) == 0)
    }

    @Test("money in reasons", arguments: [(Int64(123_456), Currency.usd, "1,234.56 USD"), (5, .usd, "0.05 USD"),
                                          (1_000_000, .jpy, "1,000,000 JPY")])
    func moneyFormat(minor: Int64, currency: Currency, expected: String) {
        #expect(Money.format(Money(minorUnits: minor, currency: currency)) == expected)
    }
}
