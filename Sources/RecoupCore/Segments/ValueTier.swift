/// An account's value tier (POLICY.md, "Segments"): the account's own `tier` when it has one,
/// else by ARR — `strategic` from 250,000.00, `mid_market` from 25,000.00, else `long_tail` —
/// in the major units of the account's currency.
public enum ValueTier: String, Sendable, CaseIterable, Hashable {
    case strategic
    case midMarket = "mid_market"
    case longTail = "long_tail"

    /// Default thresholds in major units (POLICY.md).
    public static let strategicFrom: Int64 = 250_000
    public static let midMarketFrom: Int64 = 25_000

    public static func of(arrMinor: Int64?, currency: Currency?, override: ValueTier?,
                          strategicFrom: Int64 = strategicFrom, midMarketFrom: Int64 = midMarketFrom) -> ValueTier {
        if let override { return override }
        guard let arrMinor, let currency else { return .longTail }
        let factor = currency.minorUnitsPerMajorUnit
        let (strategicMinor, overflowA) = strategicFrom.multipliedReportingOverflow(by: factor)
        let (midMinor, overflowB) = midMarketFrom.multipliedReportingOverflow(by: factor)
        if !overflowA, arrMinor >= strategicMinor { return .strategic }
        if !overflowB, arrMinor >= midMinor { return .midMarket }
        return .longTail
    }
}

/// How urgently a person should look at an escalation, 0...100: aging up to 40 points (one per
/// day overdue), the open balance up to 40 (10 per order of magnitude of major units), and the
/// value tier (strategic 20, mid-market 10). Deterministic and explainable; issue-specific
/// weights belong in the policy files once escalation rules grow.
public enum PriorityScore {
    public static func score(daysOverdue: Int?, openBalance: Money?, tier: ValueTier) -> Int {
        let aging = min(40, max(0, daysOverdue ?? 0))
        var value = 0
        if let balance = openBalance, balance.minorUnits > 0 {
            var major = balance.minorUnits / balance.currency.minorUnitsPerMajorUnit
            var magnitude = 0
            while major >= 10 { major /= 10; magnitude += 1 }
            value = min(40, (magnitude + 1) * 10)
        }
        let tierPoints = switch tier {
        case .strategic: 20
        case .midMarket: 10
        case .longTail: 0
        }
        return min(100, aging + value + tierPoints)
    }
}
