import Foundation
import Postgres

/// How much work is waiting: outbox rows not yet confirmed and timers not yet fired. Read when
/// `/metrics` is scraped; every count uses a partial index of pending rows.
public struct Backlog: Sendable, Equatable {
    public var outboxPending: Int
    /// Age of the oldest unpublished outbox row by the Recoup clock; 0 when there is none.
    public var outboxLagSeconds: Double
    public var timersPending: Int
    public var timersDue: Int
    /// Due for longer than `lateAfter`: the scheduler is behind or not running.
    public var timersLate: Int

    /// A timer due this long ago and not fired counts as late.
    public static let lateAfter: TimeInterval = 60

    /// The backlog as of `now` (the Recoup clock's time).
    public static func read(now: Date, _ connection: PostgresConnection) throws -> Backlog {
        let rows = try connection.query("""
            SELECT (SELECT count(*) FROM recoup.outbox WHERE published_at IS NULL),
                   (SELECT created_at FROM recoup.outbox WHERE published_at IS NULL ORDER BY outbox_id LIMIT 1),
                   (SELECT count(*) FROM recoup.timers WHERE fired_at IS NULL AND cancelled_at IS NULL),
                   (SELECT count(*) FROM recoup.timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= $1),
                   (SELECT count(*) FROM recoup.timers WHERE fired_at IS NULL AND cancelled_at IS NULL
                                                         AND due_at <= $1 - make_interval(secs => $2))
            """, [now, lateAfter])
        let row = rows[0]
        let oldest = try row.decodeOptional(Date.self, at: 1)
        return Backlog(
            outboxPending: try row.decode(Int.self, at: 0),
            outboxLagSeconds: oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0,
            timersPending: try row.decode(Int.self, at: 2),
            timersDue: try row.decode(Int.self, at: 3),
            timersLate: try row.decode(Int.self, at: 4))
    }
}
