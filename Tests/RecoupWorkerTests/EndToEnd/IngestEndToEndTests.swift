import AMQP
import Foundation
import Postgres
import RecoupWorker
import Testing

/// The real `recoupd` against the real local broker and database: rows, audit, idempotency,
/// staleness and out-of-order convergence.
@Suite("recoupd ingest, end to end", .serialized)
struct IngestEndToEndTests {
    @Test("an event becomes state and one audit row; the same id twice has one effect")
    func rowsAuditAndIdempotency() async throws {
        try await DaemonHarness.with(name: "ingest") { world in
            try world.start()

            let account = TestEvent.accountUpdated("acc_1", version: 3, id: "evt_acc_1")
            let invoice = TestEvent.invoiceCreated("in_1", account: "acc_1", version: 1, amount: 99_900, id: "evt_in_1")
            // A sentinel for the same account shares the lane, so once it is recorded every
            // copy before it has been handled.
            let sentinel = TestEvent.make("crm.signal", id: "evt_sentinel", data: ["account_id": "acc_1", "kind": "churn_risk"])
            try await world.publish([account, invoice, account, invoice, sentinel]) // each id twice
            try await world.waitUntil("the sentinel") {
                (try? await world.count("SELECT count(*) FROM recoup.inbox WHERE event_id = 'evt_sentinel'")) == 1
            }

            #expect(try await world.count("SELECT count(*) FROM recoup.inbox") == 3)
            #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind LIKE 'event.%'") == 3)
            #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'event.applied'") == 3)
            let invoiceRow = try await world.query { connection in
                let row = try connection.query("""
                    SELECT account_id, number, amount_due_minor, status, snapshot_version, to_char(due_date, 'YYYY-MM-DD')
                    FROM recoup.invoices WHERE invoice_id = 'in_1'
                    """).first!
                return [try row.decode(String.self, at: 0), try row.decode(String.self, at: 1),
                        String(try row.decode(Int.self, at: 2)), try row.decode(String.self, at: 3),
                        String(try row.decode(Int.self, at: 4)), try row.decode(String.self, at: 5)]
            }
            #expect(invoiceRow == ["acc_1", "INV-in_1", "99900", "open", "1", "2026-11-30"])
            let accountRow = try await world.query { connection in
                let row = try connection.query("SELECT version, timezone, locale, consent_sms FROM recoup.accounts WHERE account_id = 'acc_1'").first!
                return "\(try row.decode(Int.self, at: 0)) \(try row.decode(String.self, at: 1)) \(try row.decode(String.self, at: 2)) \(try row.decode(Bool.self, at: 3))"
            }
            #expect(accountRow == "3 Europe/Berlin de-DE false")
        }
    }

    @Test("a stale version is acknowledged, audited as stale, and changes nothing")
    func staleVersion() async throws {
        try await DaemonHarness.with(name: "stale") { world in
            try world.start()

            try await world.publish([TestEvent.accountUpdated("acc_s", version: 5, name: "Newer")])
            try await world.waitForInbox(1)
            try await world.publish([TestEvent.accountUpdated("acc_s", version: 4, id: "evt_stale", name: "Older")])
            try await world.waitForInbox(2)

            let name = try await world.query { connection in
                try connection.query("SELECT name, version FROM recoup.accounts WHERE account_id = 'acc_s'").first!
                    .decode(String.self, at: 0)
            }
            #expect(name == "Newer")
            #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE event_id = 'evt_stale' AND kind = 'event.stale'") == 1)
            #expect(try await world.count("SELECT count(*) FROM recoup.inbox WHERE event_id = 'evt_stale' AND outcome = 'stale'") == 1)
        }
    }

    @Test("invoice.paid before invoice.created converges to paid with the created fields")
    func paidBeforeCreated() async throws {
        try await DaemonHarness.with(name: "order") { world in
            try world.start()

            try await world.publish([TestEvent.invoicePaid("in_p", account: "acc_p", version: 2)])
            try await world.waitForInbox(1)
            try await world.publish([TestEvent.invoiceCreated("in_p", account: "acc_p", version: 1, amount: 5_000)])
            try await world.waitForInbox(2)

            let state = try await world.query { connection in
                let row = try connection.query("""
                    SELECT status, amount_due_minor, number, paid_at IS NOT NULL, snapshot_version, status_version
                    FROM recoup.invoices WHERE invoice_id = 'in_p'
                    """).first!
                return "\(try row.decode(String.self, at: 0)) \(try row.decode(Int.self, at: 1)) \(try row.decode(String.self, at: 2)) \(try row.decode(Bool.self, at: 3)) \(try row.decode(Int.self, at: 4)) \(try row.decode(Int.self, at: 5))"
            }
            #expect(state == "paid 5000 INV-in_p true 1 2")
            #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'event.partially_applied'") == 1)
        }
    }
}
