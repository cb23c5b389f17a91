import Synchronization

/// The payment reactions in force, replaceable while the daemon runs (SIGHUP reloads the policy).
/// Each event or timer reads it once, so work in flight finishes under the policy it started with.
public final class PaymentReactionsHolder: Sendable {
    private let value: Mutex<PaymentReactions>

    public init(_ reactions: PaymentReactions) {
        value = Mutex(reactions)
    }

    public var current: PaymentReactions { value.withLock { $0 } }

    public func replace(_ reactions: PaymentReactions) {
        value.withLock { $0 = reactions }
    }
}
