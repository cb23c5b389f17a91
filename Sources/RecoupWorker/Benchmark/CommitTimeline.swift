/// How the count of committed events grew over a benchmark run, from polls of the inbox: the
/// overall rate hides a slow start and a long tail, the steady rate between two fill levels does not.
public struct CommitTimeline: Sendable, Equatable {
    /// One poll: `committed` events were in the inbox `seconds` after the first publish.
    public struct Point: Sendable, Equatable {
        public let seconds: Double
        public let committed: Int
    }

    /// The polls in time order, starting with nothing committed at the first publish.
    public private(set) var points: [Point] = [Point(seconds: 0, committed: 0)]

    public init() {}

    /// Adds a poll (call in time order).
    public mutating func record(seconds: Double, committed: Int) {
        points.append(Point(seconds: seconds, committed: committed))
    }

    /// When `count` events had been committed, interpolated linearly between the polls around
    /// it; nil if no poll saw that many.
    public func seconds(reaching count: Int) -> Double? {
        guard let index = points.firstIndex(where: { $0.committed >= count }) else { return nil }
        guard index > 0 else { return points[0].seconds }
        let before = points[index - 1], after = points[index]
        let share = Double(count - before.committed) / Double(after.committed - before.committed)
        return before.seconds + share * (after.seconds - before.seconds)
    }

    /// Events per second between `from` and `to` of `total` committed (fractions, default 10 %
    /// and 90 %): the rate once the daemon is up to speed and before the last stragglers. Nil when
    /// too few polls fell in between to tell it from the overall rate.
    public func steadyRate(total: Int, from: Double = 0.1, to: Double = 0.9) -> Double? {
        let low = Int((Double(total) * from).rounded(.up)), high = Int((Double(total) * to).rounded(.down))
        guard high > low, points.filter({ $0.committed > low && $0.committed < high }).count >= 2,
              let start = seconds(reaching: low), let end = seconds(reaching: high), end > start else { return nil }
        return Double(high - low) / (end - start)
    }
}
