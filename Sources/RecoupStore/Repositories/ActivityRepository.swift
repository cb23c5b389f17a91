import Foundation
import Postgres
import RecoupCore

/// Append-style records: payment failures, disputes, CRM signals, promises, plans, replies.
/// Each is keyed by its natural id (or the event id), so a second copy changes nothing. Called
/// by `EventRecorder.record` only, which has locked (so created) the event's account row.
enum ActivityRepository {
    /// A failure is one attempt, named by its `payment_id`: a second event for the same attempt
    /// is stale (it must not be planned twice).
    static func recordPaymentFailure(_ failure: PaymentFailed, classification: DeclineClassification?, eventID: String, now: Date,
                                     _ connection: PostgresConnection) throws -> EventRecorder.Change {
        let seen = try connection.query("SELECT event_id FROM recoup.payment_failures WHERE payment_id = $1 LIMIT 1",
                                        [failure.paymentID])
        if !seen.isEmpty {
            return .init(outcome: .stale(reason: "payment attempt \(failure.paymentID) already recorded"),
                         rule: "contract.idempotency", detail: ["payment_id": .string(failure.paymentID)])
        }
        let backups = JSONValue.array(failure.backupMethods.map { method in
            .object(["id": method.id.map(JSONValue.string) ?? .null,
                     "type": method.type.map(JSONValue.string) ?? .null,
                     "network": method.network.map(JSONValue.string) ?? .null])
        })
        try connection.enqueue("""
            INSERT INTO recoup.payment_failures (
                event_id, payment_id, invoice_id, account_id, amount_minor, currency, attempted_at, attempt,
                method_id, method_type, method_network, method_exp_month, method_exp_year,
                decline_code, decline_scheme, network_advice_code, backup_methods, recorded_at, category, known_code)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb, $18, $19, $20)
            """, [
                eventID, failure.paymentID, failure.invoiceID, failure.accountID, failure.amountMinor, failure.currency.code,
                failure.attemptedAt, failure.attempt, failure.method.id, failure.method.type.rawValue, failure.method.network,
                failure.method.expMonth, failure.method.expYear, failure.decline.code, failure.decline.scheme?.rawValue,
                failure.decline.networkAdviceCode, backups.serialized, now, classification?.category.rawValue,
                classification?.isKnown,
            ])
        return .init(outcome: .applied, detail: [
            "payment_id": .string(failure.paymentID), "decline_code": .string(failure.decline.code),
            "method_type": .string(failure.method.type.rawValue),
        ])
    }

    static func recordDispute(disputeID: String, invoiceID: String, accountID: String, status: DisputeStatus,
                              reason: String?, outcome: String?, now: Date,
                              _ connection: PostgresConnection) throws -> EventRecorder.Change {
        try connection.execute("""
            INSERT INTO recoup.disputes (dispute_id, invoice_id, account_id, status, updated_at)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (dispute_id) DO NOTHING
            """, [disputeID, invoiceID, accountID, status.rawValue, now])
        let row = try connection.query("""
            SELECT status, opened_at IS NOT NULL, resolved_at IS NOT NULL FROM recoup.disputes WHERE dispute_id = $1 FOR UPDATE
            """, [disputeID]).first!
        let stored = DisputeStatus(rawValue: try row.decode(String.self, at: 0))
        let seenOpen = try row.decode(Bool.self, at: 1), seenResolved = try row.decode(Bool.self, at: 2)
        let detail: [String: JSONValue] = ["dispute_id": .string(disputeID), "event_status": .string(status.rawValue)]
        if (status == .open && seenOpen) || (status == .resolved && seenResolved) {
            return .init(outcome: .stale(reason: "dispute \(disputeID) already \(status.rawValue)"), rule: "contract.idempotency", detail: detail)
        }
        let merged = DisputeStatus.merge(stored: seenOpen || seenResolved ? stored : nil, event: status)
        try connection.execute("""
            UPDATE recoup.disputes SET
                status = $2,
                reason = coalesce($3, reason),
                outcome = coalesce($4, outcome),
                opened_at = CASE WHEN $5 THEN $6 ELSE opened_at END,
                resolved_at = CASE WHEN $5 THEN resolved_at ELSE $6 END,
                updated_at = $6
            WHERE dispute_id = $1
            """, [disputeID, merged.rawValue, reason, outcome, status == .open, now])
        var result = detail
        result["status"] = .string(merged.rawValue)
        return .init(outcome: merged == status ? .applied : .partiallyApplied, rule: "dispute.forward_only", detail: result)
    }

    static func recordSignal(_ signal: CRMSignal, eventID: String, now: Date, _ connection: PostgresConnection) throws -> EventRecorder.Change {
        try connection.execute("""
            INSERT INTO recoup.crm_signals (event_id, account_id, kind, priority, reference, detail, occurred_at, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
            """, [eventID, signal.accountID, signal.kind.rawValue, signal.priority?.rawValue, signal.reference, signal.detail, now])
        return .init(outcome: .applied, detail: ["kind": .string(signal.kind.rawValue)])
    }

    static func recordPromise(_ promise: PromiseRecorded, eventID: String, now: Date, _ connection: PostgresConnection) throws -> EventRecorder.Change {
        try connection.execute("""
            INSERT INTO recoup.promises (event_id, invoice_id, account_id, promised_date, amount_minor, recorded_by, recorded_at)
            VALUES ($1, $2, $3, $4::date, $5, $6, $7)
            """, [eventID, promise.invoiceID, promise.accountID, promise.promisedDate.description, promise.amountMinor,
                  promise.recordedBy, now])
        return .init(outcome: .applied, detail: ["promised_date": .string(promise.promisedDate.description)])
    }

    static func recordPlan(_ plan: PlanAgreed, eventID: String, now: Date, _ connection: PostgresConnection) throws -> EventRecorder.Change {
        let installments = JSONValue.array(plan.installments.map { installment in
            .object(["due_date": installment.dueDate.map { .string($0.description) } ?? .null,
                     "amount_minor": installment.amountMinor.map(JSONValue.int) ?? .null])
        })
        try connection.execute("""
            INSERT INTO recoup.payment_plans (event_id, invoice_id, account_id, installments, recorded_by, recorded_at)
            VALUES ($1, $2, $3, $4::jsonb, $5, $6)
            """, [eventID, plan.invoiceID, plan.accountID, installments.serialized, plan.recordedBy, now])
        return .init(outcome: .applied, detail: ["installments": .int(Int64(plan.installments.count))])
    }

    static func recordReply(_ reply: ReplyReceived, eventID: String, now: Date, _ connection: PostgresConnection) throws -> EventRecorder.Change {
        let inserted = try connection.execute("""
            INSERT INTO recoup.replies (reply_id, account_id, invoice_id, channel, in_reply_to, body, received_at, event_id, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (reply_id) DO NOTHING
            """, [reply.replyID, reply.accountID, reply.invoiceID, reply.channel.rawValue, reply.inReplyTo, reply.text,
                  reply.receivedAt, eventID, now])
        // The audit row names the reply, never its text (personal data stays in `replies`).
        let detail: [String: JSONValue] = ["reply_id": .string(reply.replyID), "channel": .string(reply.channel.rawValue)]
        guard inserted == 1 else {
            return .init(outcome: .stale(reason: "reply \(reply.replyID) already recorded"), rule: "contract.idempotency", detail: detail)
        }
        return .init(outcome: .applied, detail: detail)
    }
}
