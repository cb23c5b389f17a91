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
        try await MigrationTests.withDatabase { owner, _ in
            _ = try await Migrator(logger: MigrationTests.logger).migrate(pool: owner, appRole: "recoup_app")
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
