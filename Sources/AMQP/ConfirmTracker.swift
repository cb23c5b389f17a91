/// Publisher-confirm bookkeeping for one channel: rabbitmq-c 0.11 has no helper for it.
///
/// After `confirm.select` the broker numbers publishes from 1; `basic.ack`/`basic.nack` with
/// `multiple` settle every outstanding number up to the tag. A batch completes when all its
/// numbers are settled; it fails if any was nacked or returned.
public struct ConfirmTracker: Sendable {
    public struct Settled: Sendable, Equatable {
        public var batch: UInt64
        public var ok: Bool
    }

    private var nextSequence: UInt64 = 1
    private var outstanding: [UInt64: UInt64] = [:]         // sequence -> batch
    private var remaining: [UInt64: Int] = [:]               // batch -> unsettled count
    private var failed: Set<UInt64> = []

    public init() {}

    /// Records the next publish as part of `batch`; returns its sequence number.
    @discardableResult
    public mutating func published(batch: UInt64) -> UInt64 {
        let sequence = nextSequence
        nextSequence += 1
        outstanding[sequence] = batch
        remaining[batch, default: 0] += 1
        return sequence
    }

    /// Marks the batch of the next-to-be-settled `sequence` failed (a `basic.return` precedes the ack).
    public mutating func returned(sequence: UInt64) {
        if let batch = outstanding[sequence] { failed.insert(batch) }
    }

    public mutating func ack(_ tag: UInt64, multiple: Bool) -> [Settled] { settle(tag, multiple: multiple, ok: true) }
    public mutating func nack(_ tag: UInt64, multiple: Bool) -> [Settled] { settle(tag, multiple: multiple, ok: false) }

    /// The lowest unsettled sequence number (the one a `basic.return` refers to, as the broker
    /// returns and confirms in publish order), if any.
    public var oldestOutstanding: UInt64? { outstanding.keys.min() }

    public var isEmpty: Bool { outstanding.isEmpty }

    /// Batches still waiting, for failing them when the connection is lost.
    public var pendingBatches: Set<UInt64> { Set(remaining.keys) }

    private mutating func settle(_ tag: UInt64, multiple: Bool, ok: Bool) -> [Settled] {
        let tags = multiple ? outstanding.keys.filter { $0 <= tag } : (outstanding[tag] != nil ? [tag] : [])
        var done: [Settled] = []
        for sequence in tags.sorted() {
            guard let batch = outstanding.removeValue(forKey: sequence) else { continue }
            if !ok { failed.insert(batch) }
            remaining[batch]! -= 1
            if remaining[batch] == 0 {
                remaining.removeValue(forKey: batch)
                done.append(Settled(batch: batch, ok: !failed.contains(batch)))
                failed.remove(batch)
            }
        }
        return done
    }

    /// Forgets everything (the channel is gone); returns the batches that were waiting.
    public mutating func reset() -> Set<UInt64> {
        let pending = pendingBatches
        self = ConfirmTracker()
        return pending
    }
}
