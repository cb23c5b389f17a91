import Foundation
import Postgres
import RecoupCore

/// What Recoup does with a customer reply, in the transaction that records it: classify it
/// (`ReplyClassifier`), audit the class and why, and route it as a careful collector would
/// (POLICY.md, "Replies"). Routing happens before the transaction commits, so the sequence is
/// never seen with a reply waiting.
public struct ReplyReactions: Sendable {
    public let escalation: EscalationPolicy
    public let journeys: JourneyReactions

    /// Timer kind that checks a reply's promise once its grace has passed.
    static let promiseTimerKind = "promise.check"
    /// The hold a disputing reply puts on its invoices, and the escalation that goes with it.
    static let disputeHoldRule = "reply.dispute"
    static let disputeEscalationRule = "escalation.reply_dispute"

    public init(escalation: EscalationPolicy, journeys: JourneyReactions) {
        self.escalation = escalation
        self.journeys = journeys
    }

    func route(_ reply: ReplyReceived, eventID: String, now: Date, _ connection: PostgresConnection) throws -> [RecordEffect] {
        let account = try AccountFacts.lock(reply.accountID, now: now, connection)
        let today = LocalDate(reply.receivedAt, in: account.timeZone)
        let result = ReplyClassifier.classify(reply.text, channel: reply.channel, today: today)
        let invoiceIDs = try invoicesConcerned(reply, connection)
        let confident = result.confidence >= escalation.replyMinConfidence
        try AuditLog.append(kind: "reply.classified", at: now, accountID: reply.accountID, invoiceID: invoiceIDs.first,
                            eventID: eventID, rule: "reply.classifier", detail: .object([
                                "reply_id": .string(reply.replyID), "class": .string(result.replyClass.rawValue),
                                "confidence": JSONNumber(result.confidence).map(JSONValue.number) ?? .null,
                                "promised_date": result.promisedDate.map { .string($0.description) } ?? .null,
                                "why": .array(result.why.map(JSONValue.string)),
                                "invoice_ids": .array(invoiceIDs.map(JSONValue.string)),
                            ]), connection)

        var effects: [RecordEffect] = [.replyClassified(replyClass: result.replyClass.rawValue)]
        let route: (to: String, rule: String)
        let primary = try invoiceIDs.first.map { try InvoiceFacts.lock($0, accountID: reply.accountID, now: now, connection) }
        let daysOverdue = primary?.daysOverdue(now: now, timeZone: account.timeZone) ?? 0
        let tier = account.valueTier

        func task(_ rule: String, _ ask: String) throws -> (to: String, rule: String) {
            guard let primary else { return ("no invoice to hand over: recorded only", rule) }
            effects += try HandOffs.createTask(kind: "review", rule: rule, account: account, invoice: primary, causedBy: eventID,
                                               contact: journeys.contact, now: now,
                                               summary: "\(ask) (reply \(reply.replyID), \(result.replyClass.rawValue), confidence \(result.confidence)) — invoice \(primary.number ?? primary.invoiceID)",
                                               connection)
            return ("task for the collector", rule)
        }

        func escalateTo(_ owner: String, _ rule: String, _ action: String, _ extra: [String: JSONValue],
                        done: String = "escalated to", without: String = "no invoice to escalate: recorded only") throws -> (to: String, rule: String) {
            guard let primary else { return (without, rule) }
            effects += try HandOffs.escalate(owner: owner, rule: rule, recommendedAction: action, account: account, invoice: primary,
                                             causedBy: eventID, now: now, extraDetail: ["reply_id": .string(reply.replyID)].merging(extra) { $1 },
                                             connection)
            return ("\(done) \(owner)", rule)
        }

        switch result.replyClass {
        case .dispute:
            // A dispute is never left to confidence: the invoices hold and a person looks.
            for invoiceID in invoiceIDs {
                try hold(invoiceID: invoiceID, accountID: reply.accountID, causedBy: eventID, now: now, connection)
                effects += try journeys.stop(invoiceID: invoiceID, accountID: reply.accountID, reason: "disputed in a reply",
                                             rule: Self.disputeHoldRule, causedBy: eventID, now: now, connection)
            }
            route = try escalateTo(
                escalation.owner(for: tier, daysOverdue: daysOverdue), Self.disputeEscalationRule,
                "Read reply \(reply.replyID): the customer contests the invoice. Confirm what they were billed for against the contract, then correct the invoice or explain it; reminders and retries hold until the billing platform records an outcome (an updated invoice, a dispute, a promise or a plan).",
                ["invoice_ids": .array(invoiceIDs.map(JSONValue.string))], done: "held and escalated to", without: "no invoice to hold: recorded only")
        case .optOut where !result.optOutChannels.isEmpty:
            for channel in result.optOutChannels {
                try revoke(channel, accountID: reply.accountID, replyID: reply.replyID, eventID: eventID, now: now, connection)
            }
            effects.append(.consentRevoked(channels: result.optOutChannels.map(\.rawValue)))
            route = ("consent revoked: \(result.optOutChannels.map(\.rawValue).joined(separator: ", "))", "reply.opt_out")
        case .optOut:
            route = try task("reply.needs_human", "The customer asks to stop being contacted on a channel Recoup cannot switch off: record it")
        case _ where !confident:
            route = try task("reply.needs_human", "Read the customer's reply and decide what it asks for")
        case .frustration:
            route = try escalateTo(
                escalation.frustrationToAccountTeam.contains(tier) ? "account_team" : escalation.owner(for: tier, daysOverdue: daysOverdue),
                "escalation.reply_frustration",
                "Read reply \(reply.replyID): the customer is unhappy with how collection is going. Reach out personally before any further reminder; automated messages hold meanwhile.",
                [:])
        case .alreadyPaid:
            route = try task("reply.already_paid", "The customer says they paid: find the remittance and match it")
        case .promiseToPay:
            guard let promised = result.promisedDate else {
                route = try task("reply.needs_human", "Confirm the date the customer promises to pay by")
                break
            }
            for invoiceID in invoiceIDs {
                try promise(promised, invoiceID: invoiceID, account: account, replyID: reply.replyID, eventID: eventID, now: now,
                            connection)
            }
            route = ("promise recorded for \(promised); reminders hold until \(promised.adding(days: journeys.pauses.promiseGraceDays))",
                     "pause.promise")
        case .paymentPlanRequest:
            route = try task("reply.plan_request", "The customer asks for a payment plan: agree installments and record the plan")
        case .question:
            route = try task("reply.question", "Answer the customer's question")
        case .acknowledgement:
            route = ("closed out: nothing to do", "reply.acknowledgement")
        case .outOfOffice:
            route = ("no action: an automatic reply", "reply.out_of_office")
        case .unknown:
            route = try task("reply.needs_human", "Read the customer's reply and decide what it asks for")
        }

        try connection.execute("""
            UPDATE recoup.replies SET reply_class = $2, confidence = $3, promised_date = $4::date, routed_to = $5, routed_at = $6
             WHERE reply_id = $1
            """, [reply.replyID, result.replyClass.rawValue, result.confidence, result.promisedDate?.description, route.to, now])
        try AuditLog.append(kind: "reply.routed", at: now, accountID: reply.accountID, invoiceID: invoiceIDs.first, eventID: eventID,
                            rule: route.rule, detail: .object([
                                "reply_id": .string(reply.replyID), "class": .string(result.replyClass.rawValue),
                                "routed_to": .string(route.to),
                            ]), connection)
        return effects
    }

    /// The invoice the reply names, else those of the message it answers, else the account's open ones.
    func invoicesConcerned(_ reply: ReplyReceived, _ connection: PostgresConnection) throws -> [String] {
        if let invoiceID = reply.invoiceID { return [invoiceID] }
        if let messageID = reply.inReplyTo, let row = try connection.query("""
            SELECT convert_from(body, 'UTF8')::jsonb -> 'data' FROM recoup.outbox WHERE message_id = $1
            """, [messageID]).first, let text = try row.decodeOptional(String.self, at: 0),
           let data = try? JSONParser.parse(Array(text.utf8)) {
            let ids = data["invoice_ids"]?.arrayValue?.compactMap(\.stringValue) ?? data["invoice_id"].flatMap(\.stringValue).map { [$0] } ?? []
            if !ids.isEmpty { return ids }
        }
        return try connection.query("""
            SELECT invoice_id FROM recoup.invoices WHERE account_id = $1 AND status = 'open' ORDER BY due_date NULLS LAST, invoice_id
            """, [reply.accountID]).map { try $0.decode(String.self, at: 0) }
    }

    private func hold(invoiceID: String, accountID: String, causedBy: String, now: Date, _ connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO recoup.invoice_holds (invoice_id, account_id, reason, rule, caused_by, created_at)
            VALUES ($1, $2, 'the customer disputes the invoice in a reply', $3, $4, $5)
            """, [invoiceID, accountID, Self.disputeHoldRule, causedBy, now])
        try AuditLog.append(kind: "hold.placed", at: now, accountID: accountID, invoiceID: invoiceID, eventID: causedBy,
                            rule: Self.disputeHoldRule, detail: .object(["reason": .string("disputed in a reply")]), connection)
    }

    private func revoke(_ channel: ReplyChannel, accountID: String, replyID: String, eventID: String, now: Date,
                        _ connection: PostgresConnection) throws {
        let column = switch channel {
        case .email: "consent_email"
        case .sms: "consent_sms"
        case .inApp, .phoneNote: "consent_in_app"
        }
        try connection.execute("UPDATE recoup.accounts SET \(column) = false, updated_at = $2 WHERE account_id = $1", [accountID, now])
        try connection.execute("""
            INSERT INTO recoup.consent_revocations (account_id, channel, reply_id, revoked_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (account_id, channel) DO NOTHING
            """, [accountID, channel == .phoneNote ? "in_app" : channel.rawValue, replyID, now])
        try AuditLog.append(kind: "consent.revoked", at: now, accountID: accountID, invoiceID: nil, eventID: eventID,
                            rule: "reply.opt_out", detail: .object(["channel": .string(channel.rawValue), "reply_id": .string(replyID)]),
                            connection)
    }

    private func promise(_ date: LocalDate, invoiceID: String, account: AccountFacts, replyID: String, eventID: String, now: Date,
                         _ connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO recoup.promises (event_id, invoice_id, account_id, promised_date, recorded_by, recorded_at, reply_id)
            VALUES ($1, $2, $3, $4::date, 'customer reply', $5, $6)
            ON CONFLICT (event_id) DO NOTHING
            """, ["\(eventID)/\(invoiceID)", invoiceID, account.accountID, date.description, now, replyID])
        let check = date.adding(days: journeys.pauses.promiseGraceDays).at(hour: journeys.journey.sendHour, in: account.timeZone)
        _ = try TimerStore.schedule(kind: Self.promiseTimerKind, dedupeKey: "promise.check/\(eventID)/\(invoiceID)", dueAt: check,
                                    accountID: account.accountID, invoiceID: invoiceID,
                                    payload: .object(["promised_date": .string(date.description), "reply_id": .string(replyID)]),
                                    now: now, connection)
    }

    /// Once a promise's grace has passed: kept if the invoice was paid (or closed), broken if it
    /// is still open; a broken promise is audited and counts against the account's priority.
    func checkPromise(_ timer: DueTimer, now: Date, _ connection: PostgresConnection) throws -> [RecordEffect] {
        guard let invoiceID = timer.invoiceID, let accountID = timer.accountID else { return [] }
        _ = try AccountFacts.lock(accountID, now: now, connection)
        let invoice = try InvoiceFacts.lock(invoiceID, accountID: accountID, now: now, connection)
        let open = invoice.status == InvoiceRecord.Status.open.rawValue && (invoice.openBalance?.minorUnits ?? 1) > 0
        try AuditLog.append(kind: open ? "promise.broken" : "promise.kept", at: now, accountID: accountID, invoiceID: invoiceID,
                            eventID: nil, rule: "pause.promise", detail: timer.payload, connection)
        return [.promiseChecked(kept: !open)]
    }

    /// An outcome recorded by the billing platform or a collector (an updated invoice, a formal
    /// dispute, its resolution, a promise, a plan) ends a disputing reply's hold: the hold is
    /// released, its escalation closed, and the journey planned again from its current stage.
    func release(invoiceID: String, accountID: String, causedBy: String, replan: Bool, now: Date,
                 _ connection: PostgresConnection) throws -> [RecordEffect] {
        let released = try connection.execute("""
            UPDATE recoup.invoice_holds SET released_at = $3 WHERE invoice_id = $1 AND rule = $2 AND released_at IS NULL
            """, [invoiceID, Self.disputeHoldRule, now])
        guard released > 0 else { return [] }
        try connection.execute("""
            UPDATE recoup.escalations SET status = 'closed', closed_at = $3 WHERE invoice_id = $1 AND rule = $2 AND status = 'open'
            """, [invoiceID, Self.disputeEscalationRule, now])
        try AuditLog.append(kind: "hold.released", at: now, accountID: accountID, invoiceID: invoiceID, eventID: causedBy,
                            rule: Self.disputeHoldRule, detail: .object(["reason": .string("an outcome was recorded")]), connection)
        guard replan else { return [] }
        return try journeys.plan(invoiceID: invoiceID, accountID: accountID, causedBy: causedBy, force: true, now: now, connection)
    }
}
