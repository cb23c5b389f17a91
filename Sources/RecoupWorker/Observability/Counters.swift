import Synchronization

/// Process-wide counters (events by outcome, dead letters by class, …), the numbers the
/// metrics endpoint will serve; for now they are logged at shutdown and readable in tests.
public final class Counters: Sendable {
    private let values = Mutex<[String: Int]>([:])

    public init() {}

    /// Adds `by` to the counter named `name` with `labels` (rendered Prometheus-style).
    public func increment(_ name: String, _ labels: [String: String] = [:], by amount: Int = 1) {
        let key = Self.key(name, labels)
        values.withLock { $0[key, default: 0] += amount }
    }

    public func value(_ name: String, _ labels: [String: String] = [:]) -> Int {
        let key = Self.key(name, labels)
        return values.withLock { $0[key] ?? 0 }
    }

    /// Every counter, sorted by key.
    public var snapshot: [(key: String, value: Int)] {
        values.withLock { $0.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }

    static func key(_ name: String, _ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return name }
        let rendered = labels.keys.sorted().map { "\($0)=\"\(labels[$0]!)\"" }.joined(separator: ",")
        return "\(name){\(rendered)}"
    }
}
