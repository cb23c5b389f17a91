import Foundation
import Testing
import TestSupport

/// Micro-batching (issue 7): deliveries that wait for a lane are recorded in one transaction,
/// and nothing the one-at-a-time daemon guaranteed is given up for it.
@Suite("micro-batching, end to end", .serialized)
struct BatchingEndToEndTests {
    @Test("queued deliveries share transactions; a poison event is dead-lettered alone; each account keeps its order")
    func batchesWithPoison() async throws {
        try await DaemonHarness.with(name: "batching", extraConfig: """
            processing:
              lanes: 1
              batch_max: 64
            """) { world in
            #expect(try await world.recoupctl(["migrate"]).status == 0)
            // A refusal of the data itself, as a broken constraint would give: bad input for this
            // one event, nothing to retry.
            try await world.poisonWrites(toInvoice: "inv_b_poison", errorCode: "check_violation")
            // Published before recoupd starts, so the one lane finds them queued. Each account
            // gets three versions of one invoice in order: the audit must show them in that order.
            var events: [TestEvent] = []
            for round in 1...3 {
                for account in 0..<40 {
                    events.append(.invoiceCreated("inv_b_\(account)", account: "acc_b_\(account)", version: round,
                                                  amount: 100_000 + round, id: "evt_b_\(account)_\(round)",
                                                  type: round == 1 ? "invoice.created" : "invoice.updated"))
                    if round == 2 && account == 17 {
                        events.append(.invoiceCreated("inv_b_poison", account: "acc_b_17", id: "evt_b_poison"))
                    }
                }
            }
            try await world.publish(events)
            try world.start()

            try await world.waitForInbox(events.count - 1)
            try await world.waitUntil("the poison event in the dead letters") {
                try await world.admin.messageCount(queue: "recoup.invoices.dlq") == 1
            }
            let dead = try await world.drain(queue: "recoup.invoices.dlq")
            #expect(dead.map(\.properties.messageID) == ["evt_b_poison"])
            #expect(dead.first?.properties.headers["x-recoup-error-class"] == .string("semantic"))
            #expect(try await world.count("SELECT count(*) FROM recoup.inbox WHERE event_id = 'evt_b_poison'") == 0)
            #expect(try await world.count("SELECT count(*) FROM recoup.invoices WHERE invoice_id LIKE 'inv_b_%' AND snapshot_version = 3") == 40)

            // Rows committed by one transaction share its xmin: far fewer transactions than events,
            // even with the poison event bisected out of its batch.
            let transactions = try await world.count("SELECT count(DISTINCT xmin::text) FROM recoup.inbox")
            #expect(transactions < (events.count - 1) / 4, "\(transactions) transactions for \(events.count - 1) events")

            // Within each account, the audit rows follow the publish order.
            let audited = try await world.query { connection in
                try connection.query("""
                    SELECT account_id, event_id FROM recoup.audit_log
                     WHERE kind LIKE 'event.%' AND event_id LIKE 'evt_b_%' ORDER BY audit_id
                    """).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
            }
            for account in 0..<40 {
                let order = audited.filter { $0.0 == "acc_b_\(account)" && $0.1 != "evt_b_poison" }.map(\.1)
                #expect(order == (1...3).map { "evt_b_\(account)_\($0)" }, "acc_b_\(account): \(order)")
            }
            #expect(try await world.stop().status == 0)
        }
    }
}
