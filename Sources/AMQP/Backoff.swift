/// Exponential backoff with jitter, for reconnecting without stampeding a recovering broker.
public struct Backoff: Sendable {
    /// The first delay and the cap.
    public struct Policy: Sendable, Equatable {
        public var minimum: Duration
        public var maximum: Duration
        public init(minimum: Duration, maximum: Duration) {
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    public let policy: Policy
    public private(set) var attempt = 0

    public init(policy: Policy) { self.policy = policy }

    /// The delay before the next attempt: minimum × 2^attempt capped at maximum, then a random
    /// share between half and all of it.
    public mutating func next<R: RandomNumberGenerator>(using random: inout R) -> Duration {
        let exponent = min(attempt, 30)
        attempt += 1
        let minimum = max(policy.minimum, .milliseconds(1))         // never a busy loop
        let base = min(minimum * (1 << exponent), max(policy.maximum, minimum))
        let fraction = Double.random(in: 0.5...1.0, using: &random)
        return base * fraction
    }

    public mutating func next() -> Duration {
        var random = SystemRandomNumberGenerator()
        return next(using: &random)
    }

    /// Back to the minimum after a success.
    public mutating func reset() { attempt = 0 }
}
