import Foundation
import Postgres

/// Recoup's notion of "now". With `system` it is wall time; with `controlled` (development
/// only) it is the time kept in `recoup.clock`, shared by every instance using the database,
/// and moved by `recoupctl clock set` / `clock advance`.
public enum StoreClock: Sendable {
    case system
    case controlled

    /// NOTIFY channel raised when the controlled clock moves, so timers can fire at once.
    public static let notifyChannel = "recoup_clock"

    /// The current time as this clock sees it, read inside the caller's transaction.
    public func now(_ connection: PostgresConnection) throws -> Date {
        switch self {
        case .system:
            return Date()
        case .controlled:
            let rows = try connection.query("SELECT now FROM recoup.clock")
            // Not set yet: the controlled clock starts from wall time.
            return try rows.first?.decodeOptional(Date.self, at: 0) ?? Date()
        }
    }

    /// Sets the controlled clock to `time`.
    public static func set(_ time: Date, _ connection: PostgresConnection) throws {
        try connection.execute("UPDATE recoup.clock SET now = $1, updated_at = now()", [time])
        try connection.execute("SELECT pg_notify($1, $2)", [notifyChannel, "set"])
    }

    /// Moves the controlled clock forward by `seconds` (from wall time if never set) and returns the new time.
    public static func advance(by seconds: TimeInterval, _ connection: PostgresConnection) throws -> Date {
        let rows = try connection.query("""
            UPDATE recoup.clock
               SET now = coalesce(now, now()) + make_interval(secs => $1), updated_at = now()
            RETURNING now
            """, [seconds])
        try connection.execute("SELECT pg_notify($1, $2)", [notifyChannel, "advance"])
        return try rows.first!.decode(Date.self, at: 0)
    }
}
