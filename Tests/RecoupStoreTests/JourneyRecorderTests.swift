import Foundation
import Postgres
import RecoupCore
import Testing
import TestSupport
@testable import RecoupStore

/// Which events start, re-plan or stop an invoice's journey, through the real recorder and database.
@Suite("Journeys from recorded events")
struct JourneyRecorderTests {
    static func event(_ type: String, _ id: String, _ data: String) -> ParsedEvent { EventRecorderTests.event(type, id: id, data) }

    static func pendingStages(_ invoiceID: String, _ connection: PostgresConnection) throws -> Int {
        try connection.query("""
            SELECT count(*) FROM recoup.timers WHERE kind = 'journey.stage' AND invoice_id = $1 AND fired_at IS NULL AND cancelled_at IS NULL
            """, [invoiceID]).first!.decode(Int.self, at: 0)
    }

    @Test("a stale invoice.paid (the invoice was reopened by a newer version) leaves the journey running")
    func stalePaidKeepsJourney() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in
            let recorder = EventRecorder(clock: .system, holder: ReactionsHolder(JourneyPropertyTests.reactions))
            let invoice = #"{"invoice_id":"in_r","account_id":"a_r","number":"N","currency":"USD","amount_due_minor":5000,"due_date":"2027-06-01","status":"open","version":VERSION}"#
            let events = [
                Self.event("invoice.created", "e1", invoice.replacingOccurrences(of: "VERSION", with: "1")),
                Self.event("invoice.updated", "e3", invoice.replacingOccurrences(of: "VERSION", with: "3")),
                Self.event("invoice.paid", "e2", #"{"invoice_id":"in_r","account_id":"a_r","paid_at":"2026-12-01T10:00:00Z","version":2}"#),
            ]
            var outcomes: [RecordOutcome] = []
            for event in events {
                outcomes.append(try await owner.transaction { try recorder.record(event, queue: "q", connection: $0) }.outcome)
            }
            #expect(outcomes.last == .partiallyApplied, "the payment time applies, the status stays open")
            let (status, pending, stopped) = try await owner.withConnection { connection in
                (try InvoiceRepository.currentStatus("in_r", connection),
                 try Self.pendingStages("in_r", connection),
                 try connection.query("SELECT count(*) FROM recoup.audit_log WHERE kind = 'journey.stopped'").first!.decode(Int.self, at: 0))
            }
            #expect(status == .open)
            #expect(pending > 0, "the open invoice keeps its stages")
            #expect(stopped == 0)
        }
    }
}

/// Escalation rules that follow from recorded events, through the real recorder and database.
@Suite("Escalations from recorded events")
struct EscalationRecorderTests {
    static let reactions: Reactions = {
        var reactions = JourneyPropertyTests.reactions
        reactions.replies = ReplyReactions(escalation: EscalationPolicy(), journeys: reactions.journeys!)
        return reactions
    }()

    @Test("the second short payment on an open invoice escalates to its owner, once")
    func repeatedShortPays() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in
            let recorder = EventRecorder(clock: .system, holder: ReactionsHolder(Self.reactions))
            func payment(_ id: String, _ amount: Int) -> ParsedEvent {
                JourneyRecorderTests.event("payment.succeeded", "e_\(id)", #"{"payment_id":"\#(id)","invoice_id":"in_s","account_id":"a_s","amount_minor":\#(amount),"currency":"USD","succeeded_at":"2026-12-01T10:00:00Z"}"#)
            }
            let events = [
                JourneyRecorderTests.event("invoice.created", "e1", #"{"invoice_id":"in_s","account_id":"a_s","number":"N-7","currency":"USD","amount_due_minor":90000,"due_date":"2026-11-20","status":"open","version":1}"#),
                payment("p1", 10_000), payment("p2", 10_000), payment("p3", 10_000),
            ]
            for event in events { _ = try await owner.transaction { try recorder.record(event, queue: "q", connection: $0) } }
            let rows = try await owner.withConnection { connection in
                try connection.query("SELECT owner, caused_by FROM recoup.escalations WHERE rule = 'escalation.short_pays'").map {
                    [try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)]
                }
            }
            #expect(rows == [["collector", "e_p2"]], "raised by the second short payment; the third finds it open")
            let alreadyOpen = try await owner.withConnection { connection in
                try connection.query("SELECT count(*) FROM recoup.audit_log WHERE kind = 'escalation.already_open' AND rule = 'escalation.short_pays'")
                    .first!.decode(Int.self, at: 0)
            }
            #expect(alreadyOpen == 1)
        }
    }

    @Test("a payment that settles the invoice raises nothing")
    func settlingPayment() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in
            let recorder = EventRecorder(clock: .system, holder: ReactionsHolder(Self.reactions))
            let events = [
                JourneyRecorderTests.event("invoice.created", "e1", #"{"invoice_id":"in_t","account_id":"a_t","number":"N-8","currency":"USD","amount_due_minor":20000,"due_date":"2026-11-20","status":"open","version":1}"#),
                JourneyRecorderTests.event("payment.succeeded", "e2", #"{"payment_id":"q1","invoice_id":"in_t","account_id":"a_t","amount_minor":10000,"currency":"USD","succeeded_at":"2026-12-01T10:00:00Z"}"#),
                JourneyRecorderTests.event("payment.succeeded", "e3", #"{"payment_id":"q2","invoice_id":"in_t","account_id":"a_t","amount_minor":10000,"currency":"USD","succeeded_at":"2026-12-02T10:00:00Z"}"#),
            ]
            for event in events { _ = try await owner.transaction { try recorder.record(event, queue: "q", connection: $0) } }
            let count = try await owner.withConnection { connection in
                try connection.query("SELECT count(*) FROM recoup.escalations").first!.decode(Int.self, at: 0)
            }
            #expect(count == 0)
        }
    }
}
