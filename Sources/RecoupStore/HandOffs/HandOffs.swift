import Foundation
import Postgres
import RecoupCore

/// Handing an invoice to a person, inside the deciding transaction: an escalation
/// (`escalation.raised`, at most one open per invoice and owner) or a task (`task.created`).
/// Both are stored (an open one pauses the invoice's customer messages), published through the
/// outbox and audited.
enum HandOffs {
    /// Raises an escalation to `owner` unless one is already open for the invoice; audited either way.
    static func escalate(owner: String, rule: String, recommendedAction: String, account: AccountFacts, invoice: InvoiceFacts,
                         causedBy: String, now: Date, extraDetail: [String: JSONValue] = [:],
                         _ connection: PostgresConnection) throws -> [RecordEffect] {
        let escalationID = StableID.make("esc", causedBy, owner)
        let inserted = try connection.execute("""
            INSERT INTO recoup.escalations (escalation_id, account_id, invoice_id, invoice_ids, owner, rule, status, caused_by, created_at)
            VALUES ($1, $2, $3, $4::text[], $5, $6, 'open', $7, $8)
            ON CONFLICT DO NOTHING
            """, [escalationID, account.accountID, invoice.invoiceID, PostgresArrayLiteral.text([invoice.invoiceID]), owner, rule,
                  causedBy, now])
        guard inserted == 1 else {
            try AuditLog.append(kind: "escalation.already_open", at: now, accountID: account.accountID, invoiceID: invoice.invoiceID,
                                eventID: causedBy, rule: rule, detail: .object(["owner": .string(owner)]), connection)
            return []
        }
        let daysOverdue = invoice.daysOverdue(now: now, timeZone: account.timeZone)
        let tier = account.valueTier
        let score = PriorityScore.score(daysOverdue: daysOverdue, openBalance: invoice.openBalance, tier: tier)
        let context = try EscalationContext.build(account: account, invoice: invoice, daysOverdue: daysOverdue, tier: tier,
                                                  connection)
        try Outbox.enqueue(.escalationRaised(Escalation(
            escalationID: escalationID, accountID: account.accountID, invoiceIDs: [invoice.invoiceID], rule: rule, owner: owner,
            priorityScore: score, recommendedAction: recommendedAction, context: context), at: now), at: now, connection)
        var detail: [String: JSONValue] = [
            "escalation_id": .string(escalationID), "owner": .string(owner), "priority_score": .int(Int64(score)),
        ]
        for (key, value) in extraDetail { detail[key] = value }
        try AuditLog.append(kind: "escalation.raised", at: now, accountID: account.accountID, invoiceID: invoice.invoiceID,
                            eventID: causedBy, rule: rule, detail: .object(detail), connection)
        return [.escalationRaised(owner: owner)]
    }

    /// Creates a task of `kind` for the account's collector, due at the first moment the contact
    /// policy allows a call; once per cause.
    static func createTask(kind: String, rule: String, account: AccountFacts, invoice: InvoiceFacts, causedBy: String,
                           contact: ContactPolicy, now: Date, summary: String? = nil,
                           _ connection: PostgresConnection) throws -> [RecordEffect] {
        let taskID = StableID.make("tsk", causedBy, kind)
        let dueAt = kind == "phone_call" ? ContactGuards.firstPhoneMoment(after: now, timeZone: account.timeZone, policy: contact) : now
        let daysOverdue = invoice.daysOverdue(now: now, timeZone: account.timeZone)
        let score = PriorityScore.score(daysOverdue: daysOverdue, openBalance: invoice.openBalance, tier: account.valueTier)
        let assignee = account.owners["collector"]
        let inserted = try connection.execute("""
            INSERT INTO recoup.tasks (task_id, account_id, invoice_id, kind, assignee, rule, status, due_at, caused_by, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9)
            ON CONFLICT (task_id) DO NOTHING
            """, [taskID, account.accountID, invoice.invoiceID, kind, assignee, rule, dueAt, causedBy, now])
        guard inserted == 1 else { return [] }
        try Outbox.enqueue(.taskCreated(HumanTask(
            taskID: taskID, accountID: account.accountID, invoiceID: invoice.invoiceID, kind: kind, assignee: assignee,
            dueAt: dueAt, priority: score, summary: summary ?? Self.summary(kind: kind, invoice: invoice, daysOverdue: daysOverdue)),
            at: now), at: now, connection)
        try AuditLog.append(kind: "task.created", at: now, accountID: account.accountID, invoiceID: invoice.invoiceID,
                            eventID: causedBy, rule: rule, detail: .object([
                                "task_id": .string(taskID), "kind": .string(kind), "due_at": .string(Timestamps.format(dueAt)),
                                "assignee": assignee.map(JSONValue.string) ?? .null, "priority": .int(Int64(score)),
                            ]), connection)
        return [.taskCreated(kind: kind)]
    }

    /// What the person is asked to do: invoice, aging and balance only.
    static func summary(kind: String, invoice: InvoiceFacts, daysOverdue: Int?) -> String {
        let subject = "invoice \(invoice.number ?? invoice.invoiceID)"
        let aging = daysOverdue.map { ", \($0) days overdue" } ?? ""
        let balance = invoice.openBalance.map { ", \($0.minorUnits) \($0.currency.code) (minor units) open" } ?? ""
        switch kind {
        case "phone_call": return "Call the customer about \(subject)\(aging)\(balance): find out what stands in the way of payment."
        default: return "Review \(subject)\(aging)\(balance)."
        }
    }
}

extension HandOffs {
    static let shortPaysRule = "escalation.short_pays"

    /// Repeated short payments (POLICY.md, "Escalation"): once an invoice has taken the policy's
    /// count of payments and is still not settled, its owner hears of it (once while open).
    static func watchShortPays(_ payment: PaymentSucceeded, policy: EscalationPolicy, eventID: String, now: Date,
                               _ connection: PostgresConnection) throws -> [RecordEffect] {
        let account = try AccountFacts.lock(payment.accountID, now: now, connection)
        let invoice = try InvoiceFacts.lock(payment.invoiceID, accountID: payment.accountID, now: now, connection)
        guard invoice.status == InvoiceRecord.Status.open.rawValue, let balance = invoice.openBalance, balance.minorUnits > 0 else {
            return []
        }
        let count = try connection.query("SELECT count(*) FROM recoup.payments WHERE invoice_id = $1", [payment.invoiceID])
            .first!.decode(Int.self, at: 0)
        guard count >= policy.repeatedShortPays else { return [] }
        let owner = policy.owner(for: account.valueTier, daysOverdue: invoice.daysOverdue(now: now, timeZone: account.timeZone) ?? 0)
        return try escalate(
            owner: owner, rule: shortPaysRule,
            recommendedAction: "Invoice \(invoice.number ?? invoice.invoiceID) has been paid short \(count) times and \(Money.format(balance)) is still open: ask the customer for the remittance advice and what stands in the way of the rest.",
            account: account, invoice: invoice, causedBy: eventID, now: now,
            extraDetail: ["short_payments": .int(Int64(count))], connection)
    }
}
