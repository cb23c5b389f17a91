import Foundation

/// How urgently a person should look at an invoice, 0..<100, with the reasons.
///
/// The four factors multiply (POLICY.md: aging x value x risk x strategic context), each 1 at its
/// mildest, and the product p maps to `100 * (1 - 1/p)`: 0 for an invoice due today with a tiny
/// balance and nothing else, rising towards 100 without ever saturating, so two invoices keep
/// their order however bad both are.
/// - aging: `1 + days overdue / 15` (3 at 30 days), doubled past the segment's escalation age;
/// - value: `1 + log10(open balance in major units) / 2` (3 at 10,000; 3.5 at 100,000);
/// - risk: `1 + 0.25` per risk (payment failure, dispute, ticket, churn signal, broken promise,
///   repeated short payments, a frustrated reply);
/// - strategic context: strategic 2, mid-market 1.5, long tail 1.
public struct PriorityScore: Sendable, Hashable {
    public var value: Double
    public var reasons: [String]

    /// The score as CONTRACT.md's integer `priority_score`.
    public var rounded: Int { Int(value.rounded(.down)) }

    public static func of(daysOverdue: Int?, openBalance: Money?, tier: ValueTier, risks: [String] = [],
                          agingThresholdDays: Int? = nil) -> PriorityScore {
        var reasons: [String] = []
        let days = max(0, daysOverdue ?? 0)
        var aging = 1 + Double(days) / 15
        if days > 0 { reasons.append("\(days) days overdue") }
        if let threshold = agingThresholdDays, days >= threshold {
            aging *= 2
            reasons.append("past the \(tier.rawValue) escalation age of \(threshold) days")
        }
        var value = 1.0
        if let balance = openBalance, balance.minorUnits > 0 {
            let major = Double(balance.minorUnits) / Double(balance.currency.minorUnitsPerMajorUnit)
            value = 1 + max(0, log10(major)) / 2
            reasons.append("\(Money.format(balance)) open")
        }
        let risk = 1 + 0.25 * Double(risks.count)
        reasons += risks
        let tierFactor: Double = switch tier {
        case .strategic: 2
        case .midMarket: 1.5
        case .longTail: 1
        }
        if tier != .longTail { reasons.append("\(tier.rawValue) account") }
        let product = aging * value * risk * tierFactor
        return PriorityScore(value: 100 * (1 - 1 / product), reasons: reasons)
    }

    /// The integer score alone (escalations and tasks carry it).
    public static func score(daysOverdue: Int?, openBalance: Money?, tier: ValueTier) -> Int {
        of(daysOverdue: daysOverdue, openBalance: openBalance, tier: tier).rounded
    }
}

extension Money {
    /// "1,234.56 USD": for reasons people read, not for customers (their templates format money).
    public static func format(_ money: Money) -> String {
        let digits = money.currency.minorUnitsPerMajorUnit
        let major = money.minorUnits / digits, minor = abs(money.minorUnits % digits)
        var grouped = ""
        for (index, character) in String(major).reversed().enumerated() {
            if index > 0, index % 3 == 0, character != "-" { grouped.append(",") }
            grouped.append(character)
        }
        let fraction = digits > 1 ? "." + String(minor).leftPadded(String(digits - 1).count, with: "0") : ""
        return String(grouped.reversed()) + fraction + " " + money.currency.code
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character) -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
