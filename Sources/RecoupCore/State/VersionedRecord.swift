/// The staleness rule of CONTRACT.md for objects replaced whole by each update (accounts):
/// an update applies only when its version is newer than the stored one.
public enum VersionRule {
    /// True when an update at `incoming` should replace what is stored at `stored`.
    public static func applies(_ incoming: Int64, over stored: Int64?) -> Bool {
        guard let stored else { return true }
        return incoming > stored
    }
}

/// A dispute only moves forward: open, then resolved. A `dispute.resolved` that arrives before
/// its `dispute.opened` leaves the dispute resolved.
public enum DisputeStatus: String, Sendable, CaseIterable {
    case open, resolved

    /// The status after seeing `event` when the stored status is `self` (nil: never seen).
    public static func merge(stored: DisputeStatus?, event: DisputeStatus) -> DisputeStatus {
        stored == .resolved ? .resolved : event
    }
}
