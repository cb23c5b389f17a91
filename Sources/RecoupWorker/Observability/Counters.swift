import Synchronization

/// Process-wide counters and histograms (events by outcome, dead letters by class, processing
/// latency, …): what `/metrics` serves and what is logged at shutdown.
public final class Counters: Sendable {
    /// One labelled series of a family.
    public struct Series: Sendable, Hashable {
        public let family: MetricFamily
        public let labels: [String: String]
    }

    /// A cumulative histogram with fixed upper bounds, as Prometheus reads them.
    public struct Histogram: Sendable {
        public let bounds: [Double]
        /// Observations at or below each bound (not cumulative; the exposition sums them).
        public var counts: [Int]
        public var count = 0
        public var sum = 0.0

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count)
        }

        mutating func observe(_ value: Double) {
            count += 1
            sum += value
            if let index = bounds.firstIndex(where: { value <= $0 }) { counts[index] += 1 }
        }
    }

    /// Seconds, from a millisecond to ten seconds: where event processing times fall.
    public static let latencyBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct State {
        var counters: [Series: Int] = [:]
        var histograms: [Series: Histogram] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// Adds `amount` to the counter `family` with `labels`.
    public func increment(_ family: MetricFamily, _ labels: [String: String] = [:], by amount: Int = 1) {
        let series = Series(family: family, labels: labels)
        state.withLock { $0.counters[series, default: 0] += amount }
    }

    /// Records one observation (seconds) in the histogram `family`.
    public func observe(_ family: MetricFamily, _ labels: [String: String] = [:], seconds: Double) {
        let series = Series(family: family, labels: labels)
        state.withLock { state in
            state.histograms[series, default: Histogram(bounds: Self.latencyBounds)].observe(seconds)
        }
    }

    public func value(_ family: MetricFamily, _ labels: [String: String] = [:]) -> Int {
        state.withLock { $0.counters[Series(family: family, labels: labels)] ?? 0 }
    }

    /// Every counter series with its value.
    public var counterSeries: [(series: Series, value: Int)] {
        state.withLock { $0.counters.map { ($0.key, $0.value) } }
    }

    /// Every histogram series with its state.
    public var histogramSeries: [(series: Series, histogram: Histogram)] {
        state.withLock { $0.histograms.map { ($0.key, $0.value) } }
    }

    /// Every counter as `name{label="value"}` → value, sorted: for the shutdown log line.
    public var snapshot: [(key: String, value: Int)] {
        counterSeries.map { (PrometheusText.seriesName($0.series.family.name, $0.series.labels), $0.value) }
            .sorted { $0.0 < $1.0 }
    }
}
