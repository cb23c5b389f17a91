/// The median, 99th percentile and maximum of a set of latency samples, as the end-to-end
/// benchmark reports them. Percentiles are nearest-rank: the p-th percentile is the smallest
/// sample with at least p % of all samples at or below it, so it is always a measured value.
public struct LatencySummary: Sendable, Equatable {
    /// How many samples there were.
    public let count: Int
    /// The median (nil without samples).
    public let p50: Duration?
    /// The 99th percentile (nil without samples).
    public let p99: Duration?
    /// The slowest sample (nil without samples).
    public let max: Duration?

    /// Summarizes `samples`, in any order.
    public init(_ samples: [Duration]) {
        let sorted = samples.sorted()
        count = sorted.count
        p50 = Self.percentile(50, ofSorted: sorted)
        p99 = Self.percentile(99, ofSorted: sorted)
        max = sorted.last
    }

    /// The nearest-rank `percent` percentile (0 < percent ≤ 100) of samples sorted ascending,
    /// or nil when there are none.
    public static func percentile(_ percent: Double, ofSorted sorted: [Duration]) -> Duration? {
        guard !sorted.isEmpty else { return nil }
        // The rank is ceil(percent/100 × n); the small allowance keeps 99 % of 100 at rank 99
        // when the product comes out a hair above the integer in floating point.
        let rank = Int((percent / 100 * Double(sorted.count) - 1e-9).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }
}
