import Foundation
import Logging
import Postgres
import RecoupCore
import Testing
import TestSupport
@testable import RecoupStore

/// The recorder against the real local PostgreSQL: one sample of every inbound type becomes
/// its rows and one audit row; re-recording changes nothing.
@Suite("Event recorder")
struct EventRecorderTests {
    static func event(_ type: String, id: String, _ data: String) -> ParsedEvent {
        let body = """
            {"specversion":"1.0","id":"\(id)","source":"billing","type":"\(type)","time":"2026-11-22T10:00:00Z","data":\(data)}
            """
        switch EventParser.parse(Array(body.utf8)) {
        case .success(let event): return event
        case .failure(let rejection): fatalError("sample \(id) rejected: \(rejection.reason)")
        }
    }

    static let samples: [(ParsedEvent, table: String)] = [
        (event("account.updated", id: "e1", #"{"account_id":"a1","name":"Acme","contact":{"first_name":"Dana","email":"d@acme.example"},"timezone":"America/New_York","tier":"strategic","owners":{"csm":"lee"},"consents":{"sms":true},"tags":["vip","eu"],"version":2}"#), "accounts"),
        (event("invoice.created", id: "e2", #"{"invoice_id":"i1","account_id":"a1","number":"INV-1","currency":"USD","amount_due_minor":5000,"due_date":"2026-12-01","status":"open","version":1}"#), "invoices"),
        (event("invoice.updated", id: "e3", #"{"invoice_id":"i1","account_id":"a1","number":"INV-1","currency":"USD","amount_due_minor":4000,"amount_paid_minor":1000,"due_date":"2026-12-01","status":"open","version":2}"#), "invoices"),
        (event("payment.succeeded", id: "e4", #"{"payment_id":"p1","invoice_id":"i1","account_id":"a1","amount_minor":1000,"currency":"USD","succeeded_at":"2026-11-22T09:00:00Z"}"#), "payments"),
        (event("payment.failed", id: "e5", #"{"payment_id":"p2","invoice_id":"i1","account_id":"a1","amount_minor":3000,"currency":"USD","attempted_at":"2026-11-22T09:30:00Z","attempt":1,"method":{"id":"pm1","type":"card","network":"visa","exp_month":4,"exp_year":2027},"decline":{"code":"insufficient_funds","scheme":"stripe"},"backup_methods":[{"id":"pm2","type":"ach_debit"}]}"#), "payment_failures"),
        (event("dispute.opened", id: "e6", #"{"dispute_id":"d1","invoice_id":"i1","account_id":"a1","reason":"seats"}"#), "disputes"),
        (event("crm.signal", id: "e7", #"{"account_id":"a1","kind":"renewal_upcoming","priority":"high"}"#), "crm_signals"),
        (event("collections.promise_recorded", id: "e8", #"{"invoice_id":"i1","account_id":"a1","promised_date":"2026-12-04","amount_minor":4000}"#), "promises"),
        (event("collections.plan_agreed", id: "e9", #"{"invoice_id":"i1","account_id":"a1","installments":[{"due_date":"2026-12-15","amount_minor":2000},{"due_date":"2027-01-15","amount_minor":2000}]}"#), "payment_plans"),
        (event("reply.received", id: "e10", #"{"reply_id":"r1","account_id":"a1","invoice_id":"i1","channel":"email","text":"We'll pay Friday","received_at":"2026-11-22T11:00:00Z"}"#), "replies"),
        (event("dispute.resolved", id: "e11", #"{"dispute_id":"d1","invoice_id":"i1","account_id":"a1","outcome":"merchant_won"}"#), "disputes"),
        (event("invoice.voided", id: "e12", #"{"invoice_id":"i2","account_id":"a1","version":3}"#), "invoices"),
        (event("invoice.paid", id: "e13", #"{"invoice_id":"i1","account_id":"a1","paid_at":"2026-11-23T00:00:00Z","version":3}"#), "invoices"),
    ]

    @Test("every inbound type is recorded with one audit row, and a second recording is a duplicate")
    func everyType() async throws {
        try await MigrationTests.withMigratedDatabase { owner, app in
            let recorder = EventRecorder(clock: .system)
            for (event, table) in Self.samples {
                let outcome = try await app.transaction { try recorder.record(event, queue: "q", connection: $0).outcome }
                #expect(outcome == .applied, "\(event.envelope.type)")
                let rows = try await owner.withConnection { try $0.query("SELECT count(*) FROM recoup.\(table)").first!.decode(Int.self, at: 0) }
                #expect(rows >= 1, "\(table)")
            }
            for (event, _) in Self.samples {
                let again = try await app.transaction { try recorder.record(event, queue: "q", connection: $0).outcome }
                #expect(again == .duplicate)
            }
            let (audit, inbox) = try await owner.withConnection { connection in
                (try connection.query("SELECT count(*) FROM recoup.audit_log").first!.decode(Int.self, at: 0),
                 try connection.query("SELECT count(*) FROM recoup.inbox").first!.decode(Int.self, at: 0))
            }
            #expect(audit == Self.samples.count)
            #expect(inbox == Self.samples.count)

            let state = try await owner.withConnection { connection in
                let invoice = try connection.query("""
                    SELECT status, amount_due_minor, amount_paid_minor, payments_received_minor FROM recoup.invoices WHERE invoice_id = 'i1'
                    """).first!
                let dispute = try connection.query("SELECT status, outcome, reason FROM recoup.disputes WHERE dispute_id = 'd1'").first!
                let account = try connection.query("SELECT tier_override, consent_sms, tags::text, owners->>'csm' FROM recoup.accounts WHERE account_id = 'a1'").first!
                return [try invoice.decode(String.self, at: 0), String(try invoice.decode(Int.self, at: 1)),
                        String(try invoice.decode(Int.self, at: 2)), String(try invoice.decode(Int.self, at: 3)),
                        try dispute.decode(String.self, at: 0), try dispute.decode(String.self, at: 1), try dispute.decode(String.self, at: 2),
                        try account.decode(String.self, at: 0), String(try account.decode(Bool.self, at: 1)),
                        try account.decode(String.self, at: 2), try account.decode(String.self, at: 3)]
            }
            #expect(state == ["paid", "4000", "1000", "1000", "resolved", "merchant_won", "seats", "strategic", "true", "{vip,eu}", "lee"])
            // The reply text is personal data: stored with the reply, never copied into the audit trail.
            let leaked = try await owner.withConnection {
                try $0.query("SELECT count(*) FROM recoup.audit_log WHERE detail::text LIKE '%Friday%'").first!.decode(Int.self, at: 0)
            }
            #expect(leaked == 0)
        }
    }

    @Test("a resolved dispute stays resolved when its opening arrives late")
    func disputeOrder() async throws {
        try await MigrationTests.withMigratedDatabase { owner, app in
            let recorder = EventRecorder(clock: .system)
            let resolved = Self.event("dispute.resolved", id: "r", #"{"dispute_id":"d9","invoice_id":"i9","account_id":"a9","outcome":"withdrawn"}"#)
            let opened = Self.event("dispute.opened", id: "o", #"{"dispute_id":"d9","invoice_id":"i9","account_id":"a9","reason":"late"}"#)
            #expect(try await app.transaction { try recorder.record(resolved, queue: "q", connection: $0).outcome } == .applied)
            #expect(try await app.transaction { try recorder.record(opened, queue: "q", connection: $0).outcome } == .partiallyApplied)
            let status = try await owner.withConnection {
                try $0.query("SELECT status || '/' || coalesce(reason, '-') FROM recoup.disputes WHERE dispute_id = 'd9'").first!.decode(String.self, at: 0)
            }
            #expect(status == "resolved/late")
        }
    }
}
