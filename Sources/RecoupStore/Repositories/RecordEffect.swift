/// What recording an event or firing a timer set in motion, beyond the state change: the
/// worker counts these (metrics) and tests read them. No personal data.
public enum RecordEffect: Sendable, Hashable {
    case declineClassified(category: String, known: Bool)
    case retryScheduled(category: String)
    case retryRequested(category: String)
    case retryDeferred(rule: String)
    case retrySkipped(reason: String)
    case retriesCancelled(count: Int)
    case messageQueued(channel: String, stage: String)
    case noticeSuppressed(reason: String)
    /// A cap or quiet hours moved a customer message later.
    case noticeDeferred(rule: String)
    case escalationRaised(owner: String)
    case taskCreated(kind: String)
    /// An invoice's journey was planned: this many stages ahead.
    case journeyPlanned(stages: Int)
    /// A due stage did nothing for the customer, and why (`paused`, `stopped`, `superseded`, ...).
    case stageHeld(reason: String)
    /// A reply was classified.
    case replyClassified(replyClass: String)
    /// A customer's reply opted them out of these channels.
    case consentRevoked(channels: [String])
    /// A promise's grace passed: kept or broken.
    case promiseChecked(kept: Bool)
}

/// The result of recording one inbound event.
public struct Recorded: Sendable, Equatable {
    public var outcome: RecordOutcome
    public var effects: [RecordEffect]

    public init(outcome: RecordOutcome, effects: [RecordEffect] = []) {
        self.outcome = outcome
        self.effects = effects
    }
}
