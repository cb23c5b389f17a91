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
