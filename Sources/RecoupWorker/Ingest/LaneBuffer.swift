import Synchronization

/// The deliveries waiting for one lane, handed out in batches: a lane takes everything that
/// arrived while it was busy (up to a limit), so one transaction can record them all.
///
/// One producer (the delivery loop) and one consumer (the lane). Bounded by the consumer's
/// prefetch: the broker sends no more than that many unacknowledged deliveries.
final class LaneBuffer<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var head = 0
        var finished = false
        var waiter: CheckedContinuation<Void, Never>?

        var isEmpty: Bool { head == items.count }

        mutating func take(_ limit: Int) -> [Element] {
            let end = min(items.count, head + limit)
            let batch = Array(items[head..<end])
            head = end
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            }
            return batch
        }
    }

    private let state = Mutex(State())

    /// Queues one element and wakes the lane if it waits.
    func append(_ element: Element) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            precondition(!state.finished, "LaneBuffer: append after finish")
            state.items.append(element)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// No more elements will come: the lane drains what is queued, then `next` returns nil.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Up to `limit` queued elements in arrival order, waiting while there are none; nil once
    /// finished and drained.
    func next(limit: Int) async -> [Element]? {
        precondition(limit > 0)
        while true {
            // A batch, or none and whether none will ever come.
            let (batch, done) = state.withLock { state -> ([Element]?, Bool) in
                if !state.isEmpty { return (state.take(limit), false) }
                return (nil, state.finished)
            }
            if let batch { return batch }
            if done { return nil }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.isEmpty || state.finished { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }
}
