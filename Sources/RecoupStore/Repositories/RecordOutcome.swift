/// What recording one inbound event did.
public enum RecordOutcome: Sendable, Equatable {
    /// The event changed state.
    case applied
    /// Part of the event was newer than what was stored and applied; part was superseded.
    case partiallyApplied
    /// Nothing changed: an older or equal version, or a record already present. Audited.
    case stale(reason: String)
    /// The event id was processed before: nothing was done, not even an audit row.
    case duplicate

    /// The label used in logs, metrics and the audit `kind`.
    public var label: String {
        switch self {
        case .applied: "applied"
        case .partiallyApplied: "partially_applied"
        case .stale: "stale"
        case .duplicate: "duplicate"
        }
    }
}
