import AMQP
import Foundation
import Postgres
import Synchronization

/// The measured part of an end-to-end run: the mix published to `billing.events` while the
/// inbox is polled until every event is committed, then until the run's outbox has reached the
/// observer queue. Times count from the first publish.
struct Burst: Sendable {
    let mix: BenchmarkMix
    let runID: String
    let rate: Double
    let stallTimeout: Duration
    let observer: OutboundObserver

    /// Every event id of the burst starts with this (the ceiling's own rows do not).
    var eventPrefix: String { "bench_\(runID)_evt_" }

    /// What one task of the run hands back.
    private enum Step: Sendable {
        case published(sentAt: [String: ContinuousClock.Instant], confirmedAfter: Duration)
        case committed(CommitTimeline, after: Duration, ResidentMemory)
        case observed
    }

    /// Events the broker has confirmed so far, for the stall message.
    private final class Confirmed: Sendable {
        private let count = Mutex(0)
        func add(_ events: Int) { count.withLock { $0 += events } }
        var value: Int { count.withLock { $0 } }
    }

    func measure(clients: EndToEndBenchmark.Clients, pool: PostgresPool, memory: ResidentMemory) async throws -> EndToEndBenchmark.Measured {
        let publisherUp = await clients.publisher.waitUntilConnected(timeout: .seconds(10))
        guard publisherUp, await clients.consumer.waitUntilConnected(timeout: .seconds(10)) else {
            let error = clients.publisher.lastError ?? clients.consumer.lastError
            throw EndToEndBenchmark.Stalled(description: "cannot reach the broker: \(error.map { "\($0)" } ?? "not connected after 10 s")")
        }
        let confirmed = Confirmed()
        // recoupd's count of handled deliveries before the first publish, to count the burst's.
        let handledBefore: Double? = if let read = memory.read { ResidentMemory.handledEvents(try await read()) } else { nil }
        let origin = ContinuousClock.now, originDate = Date()
        return try await withThrowingTaskGroup(of: Step.self) { group in
            group.addTask {
                await observer.consume(clients.consumer)
                return .observed
            }
            group.addTask { try await publish(clients.publisher, origin: origin, confirmed: confirmed) }
            group.addTask {
                try await awaitCommits(pool, origin: origin, confirmed: confirmed, memory: memory, handledBefore: handledBefore)
            }
            var sent: (at: [String: ContinuousClock.Instant], confirmedAfter: Duration)?
            var commits: (timeline: CommitTimeline, after: Duration, memory: ResidentMemory)?
            while sent == nil || commits == nil, let step = try await group.next() {
                switch step {
                case .published(let sentAt, let confirmedAfter): sent = (sentAt, confirmedAfter)
                case .committed(let timeline, let after, let memory): commits = (timeline, after, memory)
                case .observed: break
                }
            }
            guard let sent, let commits else { throw EndToEndBenchmark.Stalled(description: "the run ended before its burst was committed") }
            var memory = try await awaitOutbound(pool, memory: commits.memory)
            try? await memory.sample()
            await clients.consumer.stopConsuming()
            try await group.waitForAll()
            return EndToEndBenchmark.Measured(origin: origin, originDate: originDate, sentAt: sent.at, confirmedAfter: sent.confirmedAfter,
                                              committedAfter: commits.after, timeline: commits.timeline, memory: memory)
        }
    }

    /// Publishes the mix with confirms, a few batches awaiting theirs at once: as fast as that
    /// goes, or each event once its time at `rate` has come. Notes when each event was handed over.
    private func publish(_ publisher: AMQPPublisher, origin: ContinuousClock.Instant, confirmed: Confirmed) async throws -> Step {
        let events = mix.events
        var sentAt: [String: ContinuousClock.Instant] = [:]
        sentAt.reserveCapacity(events.count)
        let window = rate > 0 ? EndToEndBenchmark.pacedWindow : EndToEndBenchmark.burstWindow
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0, waiting = 0
            while next < events.count {
                var end = min(events.count, next + EndToEndBenchmark.batchSize)
                if rate > 0 {
                    // Event k is due k/rate seconds after the first.
                    let due = Int(rate * (ContinuousClock.now - origin).seconds) + 1
                    guard due > next else {
                        try await Task.sleep(until: origin + .seconds(Double(next) / rate), clock: .continuous)
                        continue
                    }
                    end = min(end, due)
                }
                if waiting == window {
                    try await group.next()
                    waiting -= 1
                }
                let batch = events[next..<end].map { event in
                    AMQPOutboundMessage(exchange: RecoupTopology.inboundExchange, routingKey: event.type, body: event.body,
                                        properties: AMQPProperties(contentType: "application/cloudevents+json", messageID: event.id,
                                                                   persistent: true))
                }
                let now = ContinuousClock.now
                for event in events[next..<end] { sentAt[event.id] = now }
                group.addTask {
                    try await publisher.publish(batch)
                    confirmed.add(batch.count)
                }
                waiting += 1
                next = end
            }
            try await group.waitForAll()
        }
        return .published(sentAt: sentAt, confirmedAfter: .now - origin)
    }

    /// Follows the commits until every burst event is in: from recoupd's own count of handled
    /// deliveries on `/metrics` (cheap, every 100 ms; memory is read from the same page) and
    /// then the inbox once to confirm; without a metrics page, from the inbox, at most a tenth
    /// of the time busy counting. Throws once none came in for `stallTimeout`.
    private func awaitCommits(_ pool: PostgresPool, origin: ContinuousClock.Instant, confirmed: Confirmed,
                              memory: ResidentMemory, handledBefore: Double?) async throws -> Step {
        var memory = memory, timeline = CommitTimeline()
        var committed = 0, lastProgress = origin
        let total = mix.events.count
        while true {
            let asked = ContinuousClock.now
            let count: Int
            if let handledBefore, let read = memory.read {
                let page = try await read()
                memory.note(page)
                count = Int(ResidentMemory.handledEvents(page) - handledBefore)
            } else {
                count = try await inboxCount(pool)
            }
            let took = ContinuousClock.now - asked
            timeline.record(seconds: (asked - origin).seconds, committed: count)
            if count >= total {
                let stored = handledBefore == nil ? count : try await inboxCount(pool)
                guard stored == total else {
                    throw EndToEndBenchmark.Stalled(description: """
                        recoupd handled \(count) deliveries of the \(total) burst events, but \(stored) of them are in the inbox: \
                        some were dead-lettered (recoupctl dlq list says why), or another client published to this vhost
                        """)
                }
                return .committed(timeline, after: asked - origin, memory)
            }
            if count > committed {
                committed = count
                lastProgress = asked
            } else if asked - lastProgress > stallTimeout {
                throw EndToEndBenchmark.Stalled(description: """
                    recoupd committed no new event for \(Self.seconds(stallTimeout)): \(count) of \(total) burst events handled \
                    (\(confirmed.value) published and confirmed) \(Self.seconds(asked - origin)) into the run. Is recoupd running \
                    on this configuration's database and vhost? Its log says why it stopped.
                    """)
            }
            if handledBefore == nil { await memory.sampleIfDue() }
            try await Task.sleep(for: handledBefore == nil ? max(.milliseconds(100), took * 9) : .milliseconds(100))
        }
    }

    /// The burst's events in the inbox (a scan of the inbox: seconds at a million rows).
    private func inboxCount(_ pool: PostgresPool) async throws -> Int {
        let prefix = eventPrefix
        return try await pool.withConnection { connection in
            try connection.query("SELECT count(*) FROM recoup.inbox WHERE starts_with(event_id, $1)", [prefix])
                .first?.decode(Int.self, at: 0) ?? 0
        }
    }

    /// Polls until every outbox row of the run's accounts is published and has reached the
    /// observer queue; throws once neither moved for `stallTimeout`.
    private func awaitOutbound(_ pool: PostgresPool, memory: ResidentMemory) async throws -> ResidentMemory {
        var memory = memory, lastProgress = ContinuousClock.now, last = (published: -1, seen: -1)
        let prefix = observer.accountPrefix
        while true {
            let (stored, waiting) = try await pool.withConnection { connection in
                let row = try connection.query("""
                    SELECT count(*), count(*) FILTER (WHERE published_at IS NULL) FROM recoup.outbox WHERE starts_with(account_id, $1)
                    """, [prefix]).first
                return (try row?.decode(Int.self, at: 0) ?? 0, try row?.decode(Int.self, at: 1) ?? 0)
            }
            let seen = observer.seenCount
            if waiting == 0, seen >= stored { return memory }
            if (stored - waiting, seen) != last {
                last = (stored - waiting, seen)
                lastProgress = .now
            } else if ContinuousClock.now - lastProgress > stallTimeout {
                throw EndToEndBenchmark.Stalled(description: """
                    every burst event is committed, but recoupd published no new outbound message for \(Self.seconds(stallTimeout)): \
                    \(stored - waiting) of the run's \(stored) outbox messages published, \(seen) seen on the exchanges
                    """)
            }
            await memory.sampleIfDue()
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static func seconds(_ duration: Duration) -> String { EndToEndReport.format(duration.seconds, 0) + " s" }
}
