import Foundation
import Postgres
import RecoupCore
import Testing
import TestSupport
@testable import RecoupStore

/// The facts the cadence rules read, gathered from state recorded by real events.
@Suite("Cadence facts from the database")
struct CadenceFactsTests {
    static func event(_ type: String, _ id: String, _ data: String) -> ParsedEvent { EventRecorderTests.event(type, id: id, data) }

    @Test("an account's segment and an invoice's pauses come from its recorded history")
    func gathered() async throws {
        try await MigrationTests.withDatabase { owner, app in
            _ = try await Migrator(logger: MigrationTests.logger).migrate(pool: owner, appRole: "recoup_app")
            let recorder = EventRecorder(clock: .system)
            var events = [Self.event("account.updated", "e_acc", #"{"account_id":"a1","currency":"USD","arr_minor":30000000,"tags":["pre_due_reminders","eu"],"version":1}"#)]
            // Six earlier invoices, each paid 3 to 5 days late: reliably late.
            let months = ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
            for (index, month) in months.enumerated() {
                events.append(Self.event("invoice.created", "e_in\(index)", #"{"invoice_id":"old\#(index)","account_id":"a1","number":"N\#(index)","currency":"USD","amount_due_minor":1000,"due_date":"\#(month)-10","status":"open","version":1}"#))
                events.append(Self.event("invoice.paid", "e_paid\(index)", #"{"invoice_id":"old\#(index)","account_id":"a1","paid_at":"\#(month)-1\#(3 + index % 3)T12:00:00Z","version":2}"#))
            }
            events += [
                Self.event("invoice.created", "e_new", #"{"invoice_id":"in_new","account_id":"a1","number":"NEW","currency":"USD","amount_due_minor":5000,"due_date":"2026-12-20","status":"open","version":1}"#),
                Self.event("payment.failed", "e_fail", #"{"payment_id":"p1","invoice_id":"in_new","account_id":"a1","amount_minor":5000,"currency":"USD","attempted_at":"2026-11-25T09:00:00Z","method":{"id":"pm","type":"card","network":"visa","exp_month":11,"exp_year":2026},"decline":{"code":"insufficient_funds"}}"#),
                Self.event("crm.signal", "e_ticket", #"{"account_id":"a1","kind":"support_ticket_opened","priority":"high"}"#),
                Self.event("crm.signal", "e_churn", #"{"account_id":"a1","kind":"churn_risk"}"#),
                Self.event("dispute.opened", "e_dispute", #"{"dispute_id":"d1","invoice_id":"old0","account_id":"a1"}"#),
                Self.event("collections.promise_recorded", "e_promise", #"{"invoice_id":"in_new","account_id":"a1","promised_date":"2026-12-14"}"#),
            ]
            for event in events {
                _ = try await app.transaction { try recorder.record(event, queue: "q", connection: $0) }
            }
            let utc = TimeZone(identifier: "UTC")!
            let (input, newPauses, disputedPauses) = try await app.transaction { connection in
                (try CadenceFacts.segmentationInput(accountID: "a1", excludingInvoice: "in_new", now: Date(), timeZone: utc, connection),
                 try CadenceFacts.pauseFacts(invoiceID: "in_new", timeZone: utc, connection),
                 try CadenceFacts.pauseFacts(invoiceID: "old0", timeZone: utc, connection))
            }
            #expect(input.history.count == 6)
            #expect(input.cardExpiry?.year == 2026 && input.cardExpiry?.month == 11)
            let segment = Segmentation.segment(input, policy: SegmentationPolicy(), today: LocalDate("2026-12-02")!,
                                               dueDate: LocalDate("2026-12-20")!)
            #expect(segment.tier == .strategic)
            #expect(segment.cohort == .reliablyLate)
            #expect(segment.flags == [.cardExpiringBeforeDue, .recentPaymentFailure, .openDispute, .highPrioritySupportTicket, .churnRisk])
            #expect(segment.optedInToPreDue)
            #expect(newPauses == PauseFacts(promisedDates: [LocalDate("2026-12-14")!]))
            #expect(disputedPauses.openDispute)
            #expect(Pauses.verdict(newPauses, today: LocalDate("2026-12-10")!, policy: PausePolicy()).isPaused)
        }
    }
}
