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
        try await MigrationTests.withMigratedDatabase { owner, app in
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
            #expect(input.arrMinor == 30_000_000 && input.currency?.code == "USD" && input.tierOverride == nil)
            #expect(input.tags == ["pre_due_reminders", "eu"])
            #expect(input.lastPaymentFailure == LocalDate("2026-11-25"))
            #expect(input.hasOpenDispute && input.hasOpenHighPriorityTicket && input.hasChurnRiskSignal)
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

    @Test("an account never heard of has no facts; an invoice's holds, replies and hand-offs pause it")
    func pausesAndUnknowns() async throws {
        try await MigrationTests.withMigratedDatabase { owner, app in
            let recorder = EventRecorder(clock: .system)
            for event in [
                Self.event("invoice.created", "e_in", #"{"invoice_id":"in1","account_id":"a2","number":"N1","currency":"EUR","amount_due_minor":1000,"due_date":"2026-12-20","status":"open","version":1}"#),
                Self.event("crm.signal", "e_open", #"{"account_id":"a2","kind":"support_ticket_opened","priority":"high","occurred_at":"2026-11-01T09:00:00Z"}"#),
                Self.event("crm.signal", "e_closed", #"{"account_id":"a2","kind":"support_ticket_closed","occurred_at":"2026-11-02T09:00:00Z"}"#),
            ] {
                _ = try await app.transaction { try recorder.record(event, queue: "q", connection: $0) }
            }
            try await owner.withConnection { connection in
                try connection.executeScript("""
                    INSERT INTO recoup.invoice_holds (invoice_id, account_id, reason, rule, caused_by, created_at)
                        VALUES ('in1', 'a2', 'refund claim', 'hold.sepa', 'e_x', '2026-11-03T10:00:00Z');
                    INSERT INTO recoup.replies (reply_id, account_id, invoice_id, channel, body, received_at, event_id, recorded_at)
                        VALUES ('r1', 'a2', 'in1', 'email', 'text', now(), 'e_r1', now());
                    INSERT INTO recoup.tasks (task_id, account_id, invoice_id, kind, rule, status, due_at, caused_by, created_at) VALUES
                        ('t_open', 'a2', 'in1', 'review', 'r', 'open', now(), 'e_x', '2026-11-04T10:00:00Z'),
                        ('t_done', 'a2', 'in1', 'review', 'r', 'closed', now(), 'e_x', '2026-11-05T10:00:00Z');
                    INSERT INTO recoup.escalations (escalation_id, account_id, invoice_id, invoice_ids, owner, rule, status, caused_by, created_at) VALUES
                        ('x_open', 'a2', 'in1', '{in1}', 'collector', 'escalation.x', 'open', 'e_x', '2026-11-06T23:30:00Z'),
                        ('x_team', 'a2', 'in1', '{in1}', 'account_team', '\(JourneyPlanner.accountTeamFirstRule)', 'open', 'e_x', '2026-11-07T10:00:00Z');
                    """)
            }
            let berlin = TimeZone(identifier: "Europe/Berlin")!
            let (unknown, known, pauses, none) = try await app.transaction { connection in
                (try CadenceFacts.segmentationInput(accountID: "nobody", excludingInvoice: nil, now: Date(), timeZone: berlin, connection),
                 try CadenceFacts.segmentationInput(accountID: "a2", excludingInvoice: nil, now: Date(), timeZone: berlin, connection),
                 try CadenceFacts.pauseFacts(invoiceID: "in1", timeZone: berlin, connection),
                 try CadenceFacts.pauseFacts(invoiceID: "nothing", timeZone: berlin, connection))
            }
            #expect(unknown.arrMinor == nil && unknown.currency == nil && unknown.tags.isEmpty && unknown.history.isEmpty)
            #expect(!unknown.hasOpenDispute && !unknown.hasOpenHighPriorityTicket && !unknown.hasChurnRiskSignal && unknown.cardExpiry == nil)
            #expect(known.history.count == 1)
            #expect(!known.hasOpenHighPriorityTicket, "the newest ticket signal closed it")
            #expect(pauses.onHold && !pauses.openDispute && pauses.unroutedReplies == 1 && pauses.promisedDates.isEmpty)
            // Local dates in the account's zone (23:30 UTC is the next day in Berlin); closed
            // tasks and the account team's own escalation left out.
            #expect(Set(pauses.openHandOffsSince) == [LocalDate("2026-11-04")!, LocalDate("2026-11-07")!])
            #expect(none == PauseFacts())
        }
    }
}
