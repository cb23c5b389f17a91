import Foundation
import Postgres
import RecoupCore

/// A pending `journey.stage` timer due now, as a stage firing reads it.
struct StageTimer {
    var timerID: Int64
    var key: String
    var accountID: String
    var invoiceID: String
    var payload: StagePayload
    var stage: String { payload.stage }
}

/// What stage firings read: accounts, the due stage timers of each account, invoices, stages
/// already carried out, pause facts, later stages due, messages sent. Read on first use, one
/// account or invoice at a time, or (`prefetch`) for a whole claimed batch in a few set-based
/// statements once its accounts are locked.
///
/// Kept current with what the firings write themselves (`closed`, `markedDone`, `sent`,
/// `handedOff`); anything else that may change an account's facts in the same transaction (a
/// payment timer of the batch) calls `forget(account:)`, and those facts are read again. Never
/// reuse one across a savepoint rollback: use a fresh one for each isolated timer.
final class StageFacts {
    private let now: Date
    private let contact: ContactPolicy
    private var accounts: [String: AccountFacts] = [:]
    /// Due stage timers by account, all stages, locked (SKIP LOCKED) when read.
    private var timersByAccount: [String: [StageTimer]] = [:]
    private var invoices: [String: InvoiceFacts] = [:]
    private var doneStages: [String: Set<String>] = [:]
    private var pauses: [String: PauseFacts] = [:]
    /// Pending stage timers due by invoice, unlocked (another instance's claim included).
    private var dueStages: [String: [(timerID: Int64, stage: String?)]] = [:]
    private var sentMessages: [String: [SentMessage]] = [:]
    /// Claimed by this transaction: pending unless closed here.
    private var claimed: Set<Int64> = []
    /// Closed (fired) in this transaction by a firing that covered them.
    private(set) var closed: Set<Int64> = []

    init(now: Date, contact: ContactPolicy) {
        self.now = now
        self.contact = contact
    }

    // MARK: prefetching a batch

    /// Reads everything the stage firings of `timers` (claimed, in LockOrder) will ask for: their
    /// accounts first, locked in one statement in LockOrder, then the rest, about seven round
    /// trips in all whatever the batch size.
    func prefetch(_ timers: [DueTimer], _ connection: PostgresConnection) throws {
        let stageTimers = timers.filter { $0.kind == JourneyReactions.timerKind }
        claimed.formUnion(stageTimers.map(\.timerID))
        var accountIDs: [String] = [], seen: Set<String> = []
        for accountID in stageTimers.compactMap(\.accountID) where accounts[accountID] == nil && seen.insert(accountID).inserted {
            accountIDs.append(accountID)
        }
        guard !accountIDs.isEmpty else { return }
        accounts.merge(try AccountFacts.lockExisting(accountIDs, connection)) { first, _ in first }
        let found = accountIDs.filter { accounts[$0] != nil }
        try loadTimers(accounts: found, connection)
        let invoiceIDs = Array(Set(found.flatMap { timersByAccount[$0] ?? [] }.map(\.invoiceID))).sorted()
        invoices.merge(try InvoiceFacts.lockExisting(invoiceIDs, connection)) { first, _ in first }
        try loadInvoiceFacts(invoiceIDs, connection)
        try loadSent(accounts: found, connection)
    }

    // MARK: reads

    func account(_ accountID: String, _ connection: PostgresConnection) throws -> AccountFacts {
        if let known = accounts[accountID] { return known }
        let facts = try AccountFacts.lock(accountID, now: now, connection)
        accounts[accountID] = facts
        return facts
    }

    /// Whether the timer is still to fire (not closed by an earlier firing that covered it).
    func isPending(_ timerID: Int64, _ connection: PostgresConnection) throws -> Bool {
        if closed.contains(timerID) { return false }
        if claimed.contains(timerID) { return true }
        return try connection.query("SELECT 1 FROM recoup.timers WHERE timer_id = $1 AND fired_at IS NULL AND cancelled_at IS NULL",
                                    [timerID]).count == 1
    }

    /// The account's pending timers of `stage` due now, by invoice: the group one firing covers.
    func group(accountID: String, stage: String, _ connection: PostgresConnection) throws -> [StageTimer] {
        if timersByAccount[accountID] == nil { try loadTimers(accounts: [accountID], connection) }
        return (timersByAccount[accountID] ?? []).filter { $0.stage == stage && !closed.contains($0.timerID) }
    }

    func invoice(_ invoiceID: String, accountID: String, _ connection: PostgresConnection) throws -> InvoiceFacts {
        if let known = invoices[invoiceID] { return known }
        let facts = try InvoiceFacts.lock(invoiceID, accountID: accountID, now: now, connection)
        invoices[invoiceID] = facts
        return facts
    }

    func isDone(invoiceID: String, part: String, _ connection: PostgresConnection) throws -> Bool {
        if doneStages[invoiceID] == nil { try loadDone([invoiceID], connection) }
        return doneStages[invoiceID]?.contains(part) ?? false
    }

    func pause(invoiceID: String, timeZone: TimeZone, _ connection: PostgresConnection) throws -> PauseFacts {
        if let known = pauses[invoiceID] { return known }
        let facts = try CadenceFacts.pauseFacts(invoiceID: invoiceID, timeZone: timeZone, connection)
        pauses[invoiceID] = facts
        return facts
    }

    /// Whether a later journey stage of the invoice is due now as well.
    func laterStageDue(invoiceID: String, than stage: String, _ connection: PostgresConnection) throws -> Bool {
        guard let current = JourneyStage(rawValue: stage) else { return false }
        if dueStages[invoiceID] == nil { try loadDueStages([invoiceID], connection) }
        return (dueStages[invoiceID] ?? []).contains { due in
            !closed.contains(due.timerID) && (due.stage.flatMap(JourneyStage.init(rawValue:)).map { $0 > current } ?? false)
        }
    }

    /// The messages the contact guards count now for the account.
    func sent(accountID: String, _ connection: PostgresConnection) throws -> [SentMessage] {
        if let known = sentMessages[accountID] { return known }
        let sent = try ContactLog.counted(accountID: accountID, now: now, policy: contact, connection)
        sentMessages[accountID] = sent
        return sent
    }

    // MARK: what the firings wrote

    func close(_ timerIDs: [Int64]) { closed.formUnion(timerIDs) }

    func markedDone(invoiceID: String, part: String) {
        if doneStages[invoiceID] != nil { doneStages[invoiceID]?.insert(part) }
    }

    func sent(_ message: SentMessage, accountID: String) {
        if sentMessages[accountID] != nil { sentMessages[accountID]?.append(message) }
    }

    /// A task or escalation was opened for the invoice (and perhaps a hold placed): its pause
    /// facts and standing are read again.
    func handedOff(invoiceID: String) {
        pauses[invoiceID] = nil
        invoices[invoiceID] = nil
    }

    /// Something other than a stage firing worked on the account: its facts are read again.
    func forget(accountID: String) {
        sentMessages[accountID] = nil
        for (invoiceID, invoice) in invoices where invoice.accountID == accountID {
            invoices[invoiceID] = nil
            pauses[invoiceID] = nil
            doneStages[invoiceID] = nil
        }
    }

    // MARK: loading

    private func loadTimers(accounts accountIDs: [String], _ connection: PostgresConnection) throws {
        guard !accountIDs.isEmpty else { return }
        for accountID in accountIDs { timersByAccount[accountID] = [] }
        let rows = try connection.query("""
            SELECT timer_id, dedupe_key, account_id, invoice_id, payload::text FROM recoup.timers
             WHERE kind = $1 AND account_id = ANY($2::text[]) AND due_at <= $3
               AND fired_at IS NULL AND cancelled_at IS NULL AND invoice_id IS NOT NULL
             ORDER BY account_id, invoice_id, timer_id
               FOR UPDATE SKIP LOCKED
            """, [JourneyReactions.timerKind, PostgresArrayLiteral.text(accountIDs), now])
        for row in rows {
            let timer = StageTimer(
                timerID: try row.decode(Int64.self, at: 0), key: try row.decode(String.self, at: 1),
                accountID: try row.decode(String.self, at: 2), invoiceID: try row.decode(String.self, at: 3),
                payload: StagePayload((try? JSONParser.parse(Array(try row.decode(String.self, at: 4).utf8))) ?? .null))
            timersByAccount[timer.accountID, default: []].append(timer)
        }
    }

    /// Done stages, pause facts and due stages of invoices whose accounts are known.
    private func loadInvoiceFacts(_ invoiceIDs: [String], _ connection: PostgresConnection) throws {
        try loadDone(invoiceIDs, connection)
        try loadDueStages(invoiceIDs, connection)
        let zones = Dictionary(invoiceIDs.compactMap { id in
            invoices[id].flatMap { accounts[$0.accountID] }.map { (id, $0.timeZone) }
        }, uniquingKeysWith: { first, _ in first })
        let utc = TimeZone(identifier: "UTC")!
        pauses.merge(try CadenceFacts.pauseFacts(invoiceIDs: invoiceIDs, timeZone: { zones[$0] ?? utc }, connection)) { first, _ in first }
    }

    private func loadDone(_ invoiceIDs: [String], _ connection: PostgresConnection) throws {
        guard !invoiceIDs.isEmpty else { return }
        for invoiceID in invoiceIDs { doneStages[invoiceID] = [] }
        for row in try connection.query("""
            SELECT invoice_id, array_to_json(done_stages)::text FROM recoup.invoice_journeys WHERE invoice_id = ANY($1::text[])
            """, [PostgresArrayLiteral.text(invoiceIDs)]) {
            let parts = (try? JSONParser.parse(Array(try row.decode(String.self, at: 1).utf8)))?.arrayValue ?? []
            doneStages[try row.decode(String.self, at: 0)] = Set(parts.compactMap(\.stringValue))
        }
    }

    private func loadDueStages(_ invoiceIDs: [String], _ connection: PostgresConnection) throws {
        guard !invoiceIDs.isEmpty else { return }
        for invoiceID in invoiceIDs { dueStages[invoiceID] = [] }
        for row in try connection.query("""
            SELECT timer_id, invoice_id, payload->>'stage' FROM recoup.timers
             WHERE kind = $1 AND invoice_id = ANY($2::text[]) AND due_at <= $3 AND fired_at IS NULL AND cancelled_at IS NULL
            """, [JourneyReactions.timerKind, PostgresArrayLiteral.text(invoiceIDs), now]) {
            dueStages[try row.decode(String.self, at: 1), default: []].append(
                (timerID: try row.decode(Int64.self, at: 0), stage: try row.decodeOptional(String.self, at: 2)))
        }
    }

    private func loadSent(accounts accountIDs: [String], _ connection: PostgresConnection) throws {
        let sent = try ContactLog.counted(accountIDs: accountIDs, now: now, policy: contact, connection)
        for accountID in accountIDs { sentMessages[accountID] = sent[accountID] ?? [] }
    }
}
