import Foundation
import Postgres
import RecoupCore

/// What a timer is: what to do, for whom, when, deduplicated by `dedupeKey`.
public struct TimerSpec: Sendable {
    public var kind: String
    public var dedupeKey: String
    public var dueAt: Date
    public var accountID: String?
    public var invoiceID: String?
    public var payload: JSONValue

    public init(kind: String, dedupeKey: String, dueAt: Date, accountID: String?, invoiceID: String?, payload: JSONValue) {
        (self.kind, self.dedupeKey, self.dueAt, self.accountID, self.invoiceID, self.payload) =
            (kind, dedupeKey, dueAt, accountID, invoiceID, payload)
    }
}

/// A timer whose time has come, claimed by one instance: its spec (`timer.kind`, …), its row id
/// and how often it was tried.
@dynamicMemberLookup
public struct DueTimer: Sendable {
    public var timerID: Int64
    public var spec: TimerSpec
    public var attempts: Int

    public subscript<Value>(dynamicMember keyPath: KeyPath<TimerSpec, Value>) -> Value { spec[keyPath: keyPath] }
}

/// Time-based work in PostgreSQL (reminders, retries, pause expiry), due by the Recoup clock.
///
/// Several instances share the table: a due timer is claimed `FOR UPDATE SKIP LOCKED` inside the
/// transaction that carries it out, so it fires once. New timers raise a NOTIFY so a sleeping
/// scheduler wakes for one due sooner than it expected.
public enum TimerStore {
    public static let notifyChannel = "recoup_timers"

    /// Schedules a timer unless one with `dedupeKey` exists (fired, cancelled or pending).
    @discardableResult
    public static func schedule(kind: String, dedupeKey: String, dueAt: Date, accountID: String?, invoiceID: String?,
                                payload: JSONValue, now: Date, _ connection: PostgresConnection) throws -> Bool {
        try scheduleAll([TimerSpec(kind: kind, dedupeKey: dedupeKey, dueAt: dueAt, accountID: accountID, invoiceID: invoiceID,
                                  payload: payload)], now: now, connection) == 1
    }

    /// Schedules several timers in one statement and one NOTIFY (a journey plans five or so per
    /// event), skipping those whose `dedupeKey` exists. Returns how many were inserted.
    @discardableResult
    public static func scheduleAll(_ timers: [TimerSpec], now: Date, _ connection: PostgresConnection) throws -> Int {
        guard !timers.isEmpty else { return 0 }
        return try connection.query(scheduleAllSQL, scheduleAllParameters(timers, now: now)).first?.decode(Int.self, at: 0) ?? 0
    }

    /// `scheduleAll` when nobody needs the count: queued, it goes out with the transaction's
    /// next statement or its COMMIT.
    public static func queueAll(_ timers: [TimerSpec], now: Date, _ connection: PostgresConnection) throws {
        guard !timers.isEmpty else { return }
        try connection.enqueue(scheduleAllSQL, scheduleAllParameters(timers, now: now))
    }

    private static func scheduleAllParameters(_ timers: [TimerSpec], now: Date) -> [any PostgresBindable] {
        let rows = JSONValue.array(timers.map { timer in
            .object([
                "kind": .string(timer.kind), "dedupe_key": .string(timer.dedupeKey),
                "due_at": .string(timer.dueAt.postgresValue.postgresText ?? ""),
                "account_id": timer.accountID.map(JSONValue.string) ?? .null,
                "invoice_id": timer.invoiceID.map(JSONValue.string) ?? .null, "payload": timer.payload,
            ])
        })
        return [rows.serialized, now, notifyChannel]
    }

    /// Rows keep their order (timer ids follow it); a NOTIFY only if something was inserted,
    /// carrying when the earliest of them is due (`notifiedDueAt`).
    private static let scheduleAllSQL = """
        WITH inserted AS (
            INSERT INTO recoup.timers (kind, dedupe_key, due_at, account_id, invoice_id, payload, created_at)
            SELECT kind, dedupe_key, due_at, account_id, invoice_id, payload, $2
              FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
                   AS (kind text, dedupe_key text, due_at timestamptz, account_id text, invoice_id text, payload jsonb))
                   WITH ORDINALITY AS t(kind, dedupe_key, due_at, account_id, invoice_id, payload, n)
             ORDER BY n
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING due_at
        ), counted AS (SELECT count(*) AS inserted, min(due_at) AS earliest FROM inserted)
        SELECT inserted FROM counted
          LEFT JOIN LATERAL (SELECT pg_notify($3, extract(epoch FROM earliest)::text) WHERE inserted > 0) notified ON true
        """

    /// When the earliest timer a `notifyChannel` notification announced is due; nil when the
    /// payload does not say (a notification from elsewhere, or an older build).
    public static func notifiedDueAt(_ payload: String) -> Date? {
        Double(payload).map { Date(timeIntervalSince1970: $0) }
    }

    /// Cancels the pending timers of `kind` for an invoice; returns their dedupe keys.
    @discardableResult
    public static func cancel(kind: String, invoiceID: String, now: Date, _ connection: PostgresConnection) throws -> [String] {
        try connection.query("""
            UPDATE recoup.timers SET cancelled_at = $3
             WHERE kind = $1 AND invoice_id = $2 AND fired_at IS NULL AND cancelled_at IS NULL
            RETURNING dedupe_key
            """, [kind, invoiceID, now]).map { try $0.decode(String.self, at: 0) }
    }

    /// Cancels one pending timer by its dedupe key. Queued: it goes out with the transaction's
    /// next statement or its COMMIT.
    public static func cancel(dedupeKey: String, now: Date, _ connection: PostgresConnection) throws {
        try connection.enqueue("""
            UPDATE recoup.timers SET cancelled_at = $2 WHERE dedupe_key = $1 AND fired_at IS NULL AND cancelled_at IS NULL
            """, [dedupeKey, now])
    }

    /// The claim `claimDue` sends ($1 the time, $2 the limit, $3 and $4 the share: loop $4 of
    /// $3 takes the accounts whose id hashes to it), public so the timer benchmark and the tests
    /// can EXPLAIN exactly it: it must read `timers_due_idx` in order, never sort.
    ///
    /// The share is tested with `int4eq(…)`, not `=`: PostgreSQL has no statistics for the
    /// expression, and guesses `=` matches 0.5 % of rows (so that scanning the whole table and
    /// sorting looked cheaper than reading the index in order), a function 33 %.
    ///
    /// The scheduler's statements (this, `markFiredSQL`, `nextDueSQL`) are planned on every run:
    /// a plan kept from a new database's first seconds, when a few hundred timers make every
    /// index look alike, sorted the by-invoice index's whole content once there were thousands.
    public static let claimDueSQL = """
        SELECT timer_id, kind, dedupe_key, due_at, account_id, invoice_id, payload::text, attempts
          FROM recoup.timers
         WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= $1
           AND ($3 = 1 OR int4eq((hashtext(coalesce(account_id, '')) & 2147483647) % $3, $4))
         ORDER BY due_at, timer_id
         LIMIT $2
           FOR UPDATE SKIP LOCKED
        """

    /// Claims up to `limit` timers due at `now`, oldest first, skipping those another
    /// transaction holds. The claim lasts until the caller's transaction ends.
    ///
    /// `share` (index, of: count) splits the due timers between the loops of one scheduler by
    /// account, so one account's stages always meet in the same loop (and one touch).
    public static func claimDue(now: Date, limit: Int, share: (index: Int, of: Int) = (0, of: 1),
                                _ connection: PostgresConnection) throws -> [DueTimer] {
        precondition(share.of >= 1 && (0..<share.of).contains(share.index), "a share is one of its count")
        return try connection.query(claimDueSQL, [now, limit, share.of, share.index], planning: .eachRun).map { row in
            let payloadText = try row.decode(String.self, at: 6)
            return DueTimer(
                timerID: try row.decode(Int64.self, at: 0),
                spec: TimerSpec(kind: try row.decode(String.self, at: 1), dedupeKey: try row.decode(String.self, at: 2),
                                dueAt: try row.decode(Date.self, at: 3), accountID: try row.decodeOptional(String.self, at: 4),
                                invoiceID: try row.decodeOptional(String.self, at: 5),
                                payload: (try? JSONParser.parse(Array(payloadText.utf8))) ?? .null),
                attempts: try row.decode(Int.self, at: 7))
        }
    }

    /// Marks claimed timers fired ($1 the ids as an array literal, $2 the time); public so a test
    /// can EXPLAIN it.
    ///
    /// Still pending is written `num_nulls(…) = 2` so the planner cannot answer it from
    /// `timers_due_idx`: with no statistics yet (a new database filling fast) that index of every
    /// pending timer looked like a few rows, and sessions kept a plan that read all of it for
    /// each batch (27 ms at 50,000 pending). By primary key it reads the batch alone.
    public static let markFiredSQL = """
        UPDATE recoup.timers SET fired_at = $2
         WHERE timer_id = ANY($1::bigint[]) AND num_nulls(fired_at, cancelled_at) = 2
        """

    /// Marks claimed timers fired, in one statement.
    public static func markFired(_ timerIDs: [Int64], at now: Date, _ connection: PostgresConnection) throws {
        guard !timerIDs.isEmpty else { return }
        try connection.execute(markFiredSQL, [PostgresArrayLiteral.integers(timerIDs), now], planning: .eachRun)
    }

    /// `markFired` queued: it goes out with the transaction's next statement or its COMMIT.
    public static func queueMarkFired(_ timerIDs: [Int64], at now: Date, _ connection: PostgresConnection) throws {
        guard !timerIDs.isEmpty else { return }
        try connection.enqueue(markFiredSQL, [PostgresArrayLiteral.integers(timerIDs), now], planning: .eachRun)
    }

    /// Records a failed firing and pushes the timer back to `retryAt`; with `giveUp` it is
    /// closed instead (fired, with the error kept).
    public static func recordFailure(_ timerID: Int64, error: String, retryAt: Date, giveUp: Bool, now: Date,
                                     _ connection: PostgresConnection) throws {
        try connection.execute("""
            UPDATE recoup.timers
               SET attempts = attempts + 1, last_error = $2,
                   due_at = CASE WHEN $4 THEN due_at ELSE $3 END,
                   fired_at = CASE WHEN $4 THEN $5 ELSE NULL END
             WHERE timer_id = $1
            """, [timerID, error, retryAt, giveUp, now])
    }

    /// When the next pending timer is due; public so a test can EXPLAIN it.
    ///
    /// Not `min(due_at)`: with no statistics yet PostgreSQL judged the pending index tiny and
    /// aggregated over all of it (28 ms at 50,000 pending, once per scheduler round). Asked in
    /// index order with LIMIT 1, it reads the first entry whatever the statistics say.
    public static let nextDueSQL = """
        SELECT due_at FROM recoup.timers WHERE fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at, timer_id LIMIT 1
        """

    /// When the next pending timer is due (nil: none pending).
    public static func nextDueAt(_ connection: PostgresConnection) throws -> Date? {
        try connection.query(nextDueSQL, planning: .eachRun).first?.decodeOptional(Date.self, at: 0)
    }
}
