/// Folds a consumer's acks into as few `basic.ack` frames as possible, without ever settling a
/// delivery nobody acked: when every unsettled tag from the oldest up to T has been acked, one
/// `multiple` ack for T replaces them all.
///
/// Why: a quorum queue turns each ack frame into a Raft command, and RabbitMQ 3.10 holds
/// settlements back (in memory, per channel) once more than 32 commands are in flight; a channel
/// closed in that window loses them and the broker redelivers. Fewer frames, fewer commands.
struct AckCoalescer: Sendable {
    enum Action: Sendable, Equatable {
        case ack(tag: UInt64, multiple: Bool)
    }

    /// Delivered and not yet settled, ascending (the broker numbers deliveries upwards). Bounded
    /// by the prefetch.
    private var unsettled: [UInt64] = []

    init() {}

    var unsettledCount: Int { unsettled.count }

    mutating func delivered(_ tag: UInt64) {
        if let last = unsettled.last, tag <= last {
            // Out of order should not happen on one channel; keep the order invariant anyway.
            unsettled.insert(tag, at: unsettled.firstIndex { $0 > tag } ?? unsettled.endIndex)
        } else {
            unsettled.append(tag)
        }
    }

    /// A nack or reject settles `tag` on its own.
    mutating func settledElsewhere(_ tag: UInt64) { unsettled.removeAll { $0 == tag } }

    /// The frames that acknowledge exactly `tags` (unknown tags are sent as they are: the broker
    /// is the judge of those).
    mutating func plan(acks tags: [UInt64]) -> [Action] {
        guard !tags.isEmpty else { return [] }
        let acked = Set(tags)
        let prefix = unsettled.prefix { acked.contains($0) }
        var actions: [Action] = []
        var covered: Set<UInt64> = []
        if prefix.count >= 2, let top = prefix.last {
            actions.append(.ack(tag: top, multiple: true))
            covered = Set(prefix)
        }
        for tag in acked.sorted() where !covered.contains(tag) {
            actions.append(.ack(tag: tag, multiple: false))
        }
        unsettled.removeAll { acked.contains($0) }
        return actions
    }

    /// A new channel: the old tags mean nothing any more.
    mutating func reset() { unsettled.removeAll() }
}
