/// Publisher-confirm bookkeeping for one channel, since rabbitmq-c 0.11 has no helper for it.
///
/// After `confirm.select` the broker numbers publishes from 1. `basic.ack`/`basic.nack` settle
/// one number, or with `multiple` every outstanding number up to the tag; acks may arrive out of
/// order. A batch (one `publish` call) completes when all its numbers are settled, and fails if
/// any was nacked or returned. A `basic.return` (mandatory, unroutable) comes before that
/// message's ack; it is matched to the message by exchange, routing key and message id, because
/// earlier messages may still be unconfirmed.
struct ConfirmTracker: Sendable {
    /// What identifies a returned message.
    struct ReturnKey: Hashable, Sendable {
        var exchange: String
        var routingKey: String
        var messageID: String?
    }

    /// A batch whose every message has been settled; `failure` is nil when all were accepted.
    struct Settled: Sendable, Equatable {
        var batch: UInt64
        var failure: AMQPError?
        var ok: Bool { failure == nil }
    }

    private var nextSequence: UInt64 = 1
    /// Every sequence below this is settled (lets `multiple` walk only the open range).
    private var lowest: UInt64 = 1
    private var batchOf: [UInt64: UInt64] = [:]
    private var unsettled: [UInt64: Int] = [:]
    private var failures: [UInt64: AMQPError] = [:]
    private var mandatory: [ReturnKey: [UInt64]] = [:]
    private var unmatchedReturn: AMQPError?

    init() {}

    /// Announces a batch of `count` messages, before the first of them is published, so partial
    /// confirms can never complete it early.
    mutating func begin(batch: UInt64, count: Int) {
        precondition(count > 0, "an empty batch has nothing to confirm")
        unsettled[batch, default: 0] += count
    }

    /// Records the next publish as part of `batch`; returns its sequence number. `returnKey` is
    /// given for mandatory messages only.
    @discardableResult
    mutating func published(batch: UInt64, returnKey: ReturnKey? = nil) -> UInt64 {
        precondition(unsettled[batch] != nil, "begin(batch:count:) first")
        let sequence = nextSequence
        nextSequence += 1
        batchOf[sequence] = batch
        if let returnKey { mandatory[returnKey, default: []].append(sequence) }
        return sequence
    }

    /// A `basic.return`: the oldest outstanding mandatory message with this key fails its batch.
    mutating func returned(_ key: ReturnKey, code: Int, text: String) {
        let error = AMQPError.returned(code: code, text: text)
        var candidates = mandatory[key] ?? []
        while let first = candidates.first, batchOf[first] == nil { candidates.removeFirst() }
        guard let sequence = candidates.first, let batch = batchOf[sequence] else {
            // Not one of ours by key (a broker that rewrote something): blame the next ack.
            unmatchedReturn = error
            return
        }
        candidates.removeFirst()
        mandatory[key] = candidates.isEmpty ? nil : candidates
        if failures[batch] == nil { failures[batch] = error }
    }

    mutating func ack(_ tag: UInt64, multiple: Bool) -> [Settled] { settle(tag, multiple: multiple, nack: false) }
    mutating func nack(_ tag: UInt64, multiple: Bool) -> [Settled] { settle(tag, multiple: multiple, nack: true) }

    var isEmpty: Bool { batchOf.isEmpty && unsettled.isEmpty }

    /// Batches still waiting for confirms (or for messages not yet published).
    var pendingBatches: Set<UInt64> { Set(unsettled.keys) }

    /// How many published messages await a confirm.
    var outstandingCount: Int { batchOf.count }

    private mutating func settle(_ tag: UInt64, multiple: Bool, nack: Bool) -> [Settled] {
        let top = min(tag, nextSequence - 1)
        let range: [UInt64] = multiple ? (lowest <= top ? Array(lowest...top) : []) : [tag]
        var done: [Settled] = []
        for sequence in range {
            guard let batch = batchOf.removeValue(forKey: sequence) else { continue }
            if let error = unmatchedReturn {
                unmatchedReturn = nil
                if failures[batch] == nil { failures[batch] = error }
            }
            if nack, failures[batch] == nil { failures[batch] = .publishNacked }
            let left = unsettled[batch, default: 1] - 1
            if left == 0 {
                unsettled.removeValue(forKey: batch)
                done.append(Settled(batch: batch, failure: failures.removeValue(forKey: batch)))
            } else {
                unsettled[batch] = left
            }
        }
        while lowest < nextSequence, batchOf[lowest] == nil { lowest += 1 }
        return done
    }

    /// Forgets everything (the channel is gone; a new one numbers from 1 again) and returns the
    /// batches that were waiting.
    mutating func reset() -> Set<UInt64> {
        let pending = pendingBatches
        self = ConfirmTracker()
        return pending
    }
}
