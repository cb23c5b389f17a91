import Synchronization

/// Everything events and timers set in motion, under one policy: payment reactions (retries,
/// notices) and the journeys (reminders, hand-offs). Nil journeys record payments only (tests of
/// the payment rules alone).
public struct Reactions: Sendable {
    public var payments: PaymentReactions
    public var journeys: JourneyReactions?
    /// Reply classification and routing; nil records replies only.
    public var replies: ReplyReactions?

    public init(payments: PaymentReactions, journeys: JourneyReactions? = nil, replies: ReplyReactions? = nil) {
        self.payments = payments
        self.journeys = journeys
        self.replies = replies
    }
}

/// The reactions in force, replaceable while the daemon runs (SIGHUP reloads the policy).
/// Each event or timer batch reads it once, so work in flight finishes under the policy it started with.
public final class ReactionsHolder: Sendable {
    private let value: Mutex<Reactions>

    public init(_ reactions: Reactions) {
        value = Mutex(reactions)
    }

    public var current: Reactions { value.withLock { $0 } }

    public func replace(_ reactions: Reactions) {
        value.withLock { $0 = reactions }
    }
}
