/// What a publishing connection still has to send and to see confirmed. A pure value: the
/// connection thread feeds it (new batches, confirms, returns, lost channels, the time) and
/// carries out what it answers, so the rules are unit-tested without a broker.
///
/// Rules: batches go out in submission order, a bounded slice at a time so the thread keeps
/// reading frames (heartbeats, confirms) between slices. A batch not yet started may wait for a
/// connection (or for the broker to lift `connection.blocked`) until its deadline. Once any of
/// its messages went out, losing the channel fails it: the caller retries and the consumers'
/// dedupe on message id absorbs the duplicates.
struct PublishPipeline: Sendable {
    struct Batch: Sendable {
        var id: UInt64
        var messages: [AMQPOutboundMessage]
        var deadline: ContinuousClock.Instant
        /// Index of the next message to send; > 0 means the batch has started.
        var next = 0
    }

    private(set) var queue: [Batch] = []
    private(set) var tracker = ConfirmTracker()

    init() {}

    mutating func enqueue(id: UInt64, messages: [AMQPOutboundMessage], deadline: ContinuousClock.Instant) {
        precondition(!messages.isEmpty, "an empty batch has nothing to publish")
        queue.append(Batch(id: id, messages: messages, deadline: deadline))
    }

    /// Messages remain that were not handed out yet.
    var hasUnsent: Bool { !queue.isEmpty }

    /// Nothing left to send or to confirm.
    var isIdle: Bool { queue.isEmpty && tracker.isEmpty }

    /// Hands out up to `limit` messages to publish now, in order, numbering them for confirms.
    /// The caller must publish all of them, or report `channelLost` if it cannot.
    mutating func take(limit: Int) -> [AMQPOutboundMessage] {
        var taken: [AMQPOutboundMessage] = []
        while taken.count < limit, !queue.isEmpty {
            if queue[0].next == 0 { tracker.begin(batch: queue[0].id, count: queue[0].messages.count) }
            while taken.count < limit, queue[0].next < queue[0].messages.count {
                let message = queue[0].messages[queue[0].next]
                queue[0].next += 1
                let key = message.mandatory
                    ? ConfirmTracker.ReturnKey(exchange: message.exchange, routingKey: message.routingKey,
                                               messageID: message.properties.messageID)
                    : nil
                tracker.published(batch: queue[0].id, returnKey: key)
                taken.append(message)
            }
            if queue[0].next == queue[0].messages.count { queue.removeFirst() }
        }
        return taken
    }

    /// Batches that have not started and whose deadline has passed; they are removed.
    mutating func expire(now: ContinuousClock.Instant) -> [UInt64] {
        var expired: [UInt64] = []
        queue.removeAll { batch in
            guard batch.next == 0, batch.deadline <= now else { return false }
            expired.append(batch.id)
            return true
        }
        return expired
    }

    mutating func ack(_ tag: UInt64, multiple: Bool) -> [ConfirmTracker.Settled] { tracker.ack(tag, multiple: multiple) }
    mutating func nack(_ tag: UInt64, multiple: Bool) -> [ConfirmTracker.Settled] { tracker.nack(tag, multiple: multiple) }

    mutating func returned(_ key: ConfirmTracker.ReturnKey, code: Int, text: String) {
        tracker.returned(key, code: code, text: text)
    }

    /// The channel (or connection) is gone: every started batch fails and is forgotten; batches
    /// not started stay queued for the next channel. Returns the failed batch ids, in order.
    mutating func channelLost() -> [UInt64] {
        let started = tracker.reset()
        queue.removeAll { started.contains($0.id) }
        return started.sorted()
    }

    /// Closing: every batch fails, started or not.
    mutating func removeAll() -> [UInt64] {
        let ids = Set(queue.map(\.id)).union(tracker.reset())
        queue.removeAll()
        return ids.sorted()
    }
}
