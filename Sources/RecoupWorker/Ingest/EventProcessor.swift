import Logging
import Postgres
import RecoupCore
import RecoupStore

/// Turns one inbound delivery into a decision for the broker: processed (ack), dead-letter
/// (with a reason), retry later (requeue), or abandon (leave it unacked for redelivery).
///
/// Bad input is dead-lettered at once. A database that is down is waited for without blaming
/// the message; a message whose transaction keeps failing is dead-lettered as
/// `transient_exhausted` after a bounded number of deliveries.
public struct EventProcessor: Sendable {
    public enum Disposition: Sendable, Equatable {
        case processed(Recorded)
        case deadLetter(DeadLetterClass, reason: String)
        case retryLater(reason: String)
        case abandon
    }

    let pool: PostgresPool
    let recorder: EventRecorder
    let settings: RecoupConfiguration.ProcessingSettings
    let logger: Logger

    public init(pool: PostgresPool, recorder: EventRecorder, settings: RecoupConfiguration.ProcessingSettings, logger: Logger) {
        self.pool = pool
        self.recorder = recorder
        self.settings = settings
        self.logger = logger
    }

    /// Validates nothing itself: `parsed` is the parser's verdict on the body.
    public func process(
        _ parsed: Result<ParsedEvent, EventRejection>,
        queue: RecoupTopology.InboundQueue,
        deliveryCount: Int
    ) async -> Disposition {
        let event: ParsedEvent
        switch parsed {
        case .failure(let rejection):
            return .deadLetter(rejection.errorClass, reason: rejection.reason)
        case .success(let parsedEvent):
            event = parsedEvent
        }

        var unavailableSince: ContinuousClock.Instant?
        var backoff = Duration.milliseconds(100)
        while true {
            do {
                let recorder = self.recorder
                let outcome = try await pool.transaction(maxAttempts: settings.transientAttempts) { connection in
                    try recorder.record(event, queue: queue.name, connection: connection)
                }
                if let since = unavailableSince {
                    logger.notice("database reachable again", metadata: ["waited_ms": "\((ContinuousClock.now - since).milliseconds)"])
                }
                return .processed(outcome)
            } catch let error as PostgresError where error.isUnavailable {
                // The database is unreachable: not the message's fault. Wait for it, without
                // counting deliveries, until it is back or we are told to stop.
                if unavailableSince == nil {
                    unavailableSince = .now
                    logger.warning("database unavailable; holding the delivery", metadata: [
                        "event_id": "\(event.envelope.id)", "error": "\(error.kind)", "sqlstate": "\(error.sqlState ?? "-")",
                    ])
                }
                do { try await Task.sleep(for: backoff) } catch { return .abandon }
                backoff = min(backoff * 2, .seconds(5))
            } catch let error as PostgresError where error.kind == .server && Self.isDataRejection(error.sqlState) {
                return .deadLetter(.semantic, reason: "the database refused the event (SQLSTATE \(error.sqlState ?? "?")) for \(event.envelope.type) \(event.envelope.id)")
            } catch {
                let summary = Self.summary(of: error)
                if deliveryCount >= settings.transientDeliveryLimit {
                    return .deadLetter(.transientExhausted, reason: "processing failed on \(deliveryCount) deliveries; last error: \(summary)")
                }
                return .retryLater(reason: summary)
            }
        }
    }

    /// Records several events of one lane in one transaction, in the order given, sharing its
    /// BEGIN and COMMIT (and, with `synchronous_commit = on`, its WAL flush).
    ///
    /// All or nothing: if any event fails, the transaction rolls back and each half is tried
    /// again on its own, down to single events, which `process` judges (dead letter, retry,
    /// wait for the database). One poison event among n then costs about 2·log2(n) extra
    /// transactions, and the rest still commit. The result is in the order of `events`.
    public func processBatch(
        _ events: [ParsedEvent],
        queue: RecoupTopology.InboundQueue,
        deliveryCounts: [Int]
    ) async -> [Disposition] {
        precondition(events.count == deliveryCounts.count)
        func oneByOne() async -> [Disposition] {
            await zip(events, deliveryCounts).asyncMap { event, count in
                await process(.success(event), queue: queue, deliveryCount: count)
            }
        }
        guard events.count > 1 else { return await oneByOne() }
        do {
            let recorder = self.recorder
            let recorded = try await pool.transaction(maxAttempts: settings.transientAttempts) { connection in
                try events.map { try recorder.record($0, queue: queue.name, connection: connection) }
            }
            return recorded.map { .processed($0) }
        } catch let error as PostgresError where error.isUnavailable {
            // Not any event's fault: one at a time, each waits for the database as usual.
            return await oneByOne()
        } catch {
            logger.debug("batch rolled back; trying its halves", metadata: [
                "events": "\(events.count)", "error": "\(Self.summary(of: error))",
            ])
            let middle = events.count / 2
            let first = await processBatch(Array(events[..<middle]), queue: queue, deliveryCounts: Array(deliveryCounts[..<middle]))
            let second = await processBatch(Array(events[middle...]), queue: queue, deliveryCounts: Array(deliveryCounts[middle...]))
            return first + second
        }
    }

    /// SQLSTATE classes 22 (data exception) and 23 (integrity violation) mean this event's
    /// values cannot be stored: retrying will not help, so it is bad input.
    static func isDataRejection(_ sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("22") || sqlState.hasPrefix("23")
    }

    /// An error in a form safe to log and to put in a header: kind and SQLSTATE, no values.
    static func summary(of error: any Error) -> String {
        if let error = error as? PostgresError { return error.safeSummary }
        return String(describing: type(of: error))
    }
}

extension Sequence {
    /// `map` with an async transform, one element at a time, in order.
    func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var results: [T] = []
        for element in self { results.append(await transform(element)) }
        return results
    }
}

extension Duration {
    /// The duration in seconds, for histograms.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
