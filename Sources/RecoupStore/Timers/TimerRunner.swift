import Foundation
import Postgres
import RecoupCore

/// Fires due timers: claims a batch (skipping timers another instance holds), carries it out in
/// one transaction with the journey facts read once for the whole batch (`StageFacts`), and
/// marks it fired. If that fails, each timer runs again in a savepoint of its own: one whose
/// work fails is pushed back with its error recorded, and after `maxAttempts` is closed and
/// audited, so one broken timer never blocks the rest.
public struct TimerRunner: Sendable {
    public let clock: StoreClock
    private let reactions: ReactionsHolder
    /// Firings of one timer before it is given up (its error stays in `timers.last_error`).
    public var maxAttempts = 10

    public init(clock: StoreClock, payments: PaymentReactions) {
        self.init(clock: clock, holder: ReactionsHolder(Reactions(payments: payments)))
    }

    /// Reactions read from `holder` for every batch, so a reloaded policy applies from the next one.
    public init(clock: StoreClock, holder: ReactionsHolder) {
        self.clock = clock
        self.reactions = holder
    }

    /// What one batch did.
    public struct Report: Sendable, Equatable {
        public var claimed = 0
        public var fired = 0
        public var failed = 0
        public var effects: [RecordEffect] = []
        /// When the next pending timer is due, read after the batch (nil: none pending).
        public var nextDueAt: Date?
        /// The clock's time the batch ran at.
        public var now: Date
    }

    /// Fires up to `limit` due timers, each batch in a transaction of its own: first without
    /// savepoints (nearly always nothing fails, and a savepoint costs two round trips a timer);
    /// if that batch fails for a reason other than the database's state, again with each timer
    /// in a savepoint, so the broken one is pushed back and the rest fire.
    ///
    /// `share` (index, of: count) is this loop's part of the accounts when several loops fire.
    public func fireDue(limit: Int, share: (index: Int, of: Int) = (0, of: 1), pool: PostgresPool) async throws -> Report {
        do {
            return try await pool.transaction { try self.fireDue(limit: limit, share: share, isolating: false, $0) }
        } catch let error as PostgresError where error.isTransient || error.isUnavailable {
            throw error
        } catch {
            return try await pool.transaction { try self.fireDue(limit: limit, share: share, isolating: true, $0) }
        }
    }

    /// Fires up to `limit` due timers in the caller's transaction. `isolating` puts each in a
    /// savepoint so a failing one is recorded and skipped; without it any failure throws and
    /// the caller's transaction must roll back.
    public func fireDue(limit: Int, share: (index: Int, of: Int) = (0, of: 1), isolating: Bool = true,
                        _ connection: PostgresConnection) throws -> Report {
        let now = try clock.now(connection)
        let current = reactions.current
        // Claimed by due time, fired in LockOrder (one account's still by due time).
        let timers = LockOrder.sorted(try TimerStore.claimDue(now: now, limit: limit, share: share, connection)) { $0.accountID }
        var report = Report(claimed: timers.count, now: now)
        guard isolating else {
            // One read of the batch's journey facts, kept current by the firings (a savepoint
            // rollback would leave it stale, so isolated timers read their own).
            let facts = current.journeys.map { StageFacts(now: now, contact: $0.contact) }
            try facts?.prefetch(timers, connection)
            for timer in timers {
                report.effects += try fire(timer, reactions: current, now: now, facts: facts, connection)
                if timer.kind != JourneyReactions.timerKind, let accountID = timer.accountID { facts?.forget(accountID: accountID) }
            }
            try TimerStore.markFired(timers.map(\.timerID), at: now, connection)
            report.fired = timers.count
            report.nextDueAt = try TimerStore.nextDueAt(connection)
            return report
        }
        for timer in timers {
            try connection.executeScript("SAVEPOINT recoup_timer")
            do {
                report.effects += try fire(timer, reactions: current, now: now, connection)
                try TimerStore.markFired([timer.timerID], at: now, connection)
                try connection.executeScript("RELEASE SAVEPOINT recoup_timer")
                report.fired += 1
            } catch let error as PostgresError where error.isTransient {
                // Serialization failures, deadlocks, a lost connection: the whole batch is retried.
                throw error
            } catch {
                try connection.executeScript("ROLLBACK TO SAVEPOINT recoup_timer")
                let summary = Self.summary(of: error)
                let giveUp = timer.attempts + 1 >= maxAttempts
                let backoff = min(3_600, 30 * pow(2, Double(timer.attempts)))
                try TimerStore.recordFailure(timer.timerID, error: summary, retryAt: now.addingTimeInterval(backoff),
                                             giveUp: giveUp, now: now, connection)
                if giveUp {
                    try AuditLog.append(kind: "timer.failed", at: now, accountID: timer.accountID, invoiceID: timer.invoiceID,
                                        eventID: nil, rule: "timer.max_attempts", detail: .object([
                                            "timer_kind": .string(timer.kind), "dedupe_key": .string(timer.dedupeKey),
                                            "attempts": .int(Int64(timer.attempts + 1)), "error": .string(summary),
                                        ]), connection)
                }
                report.failed += 1
            }
        }
        report.nextDueAt = try TimerStore.nextDueAt(connection)
        return report
    }

    private func fire(_ timer: DueTimer, reactions: Reactions, now: Date, facts: StageFacts? = nil,
                      _ connection: PostgresConnection) throws -> [RecordEffect] {
        switch timer.kind {
        case PaymentRetryLedger.timerKind:
            return try reactions.payments.fireRetry(timer, now: now, connection)
        case PaymentReactions.noticeTimerKind:
            return try reactions.payments.fireNotice(timer, now: now, connection)
        case JourneyReactions.timerKind:
            guard let journeys = reactions.journeys else { throw UnknownTimerKind(kind: timer.kind) }
            return try journeys.fire(timer, now: now, facts: facts, connection)
        case ReplyReactions.promiseTimerKind:
            guard let replies = reactions.replies else { throw UnknownTimerKind(kind: timer.kind) }
            return try replies.checkPromise(timer, now: now, connection)
        default:
            throw UnknownTimerKind(kind: timer.kind)
        }
    }

    /// An error in a form safe to store and log: the kind and SQLSTATE, never values.
    public static func summary(of error: any Error) -> String {
        if let error = error as? PostgresError { return error.safeSummary }
        if let error = error as? TimerPayloadError { return error.description }
        if let error = error as? UnknownTimerKind { return error.description }
        return String(describing: type(of: error))
    }
}

struct UnknownTimerKind: Error, CustomStringConvertible {
    let kind: String
    var description: String { "no handler for timer kind \(kind.prefix(64))" }
}
