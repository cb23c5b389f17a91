import AMQP
import Foundation
import Postgres
import RecoupWorker
import Testing

/// Every bad-input class of CONTRACT.md, published once, lands once in its queue's `.dlq` with
/// both headers, is logged without personal data, and the daemon keeps processing.
@Suite("recoupd dead-lettering, end to end", .serialized)
struct DeadLetterEndToEndTests {
    static let secretEmail = "very.private.person@example.org"
    static let secretText = "PLEASE-DO-NOT-LOG-THIS-REPLY-TEXT"

    @Test("each bad-input class yields one .dlq message with x-recoup-error and x-recoup-error-class")
    func everyClass() async throws {
        // transient_exhausted: a trigger makes every write to one invoice fail with a
        // serialization error, so the daemon retries, requeues, and finally gives up with a reason.
        try await DaemonHarness.with(name: "dlq", extraConfig: """
            processing:
              transient_attempts: 2
              transient_delivery_limit: 2
            """) { world in
            try world.start()
            try await world.waitUntil("migrations", timeout: .seconds(60)) {
                ((try? await world.count("SELECT count(*) FROM recoup.schema_migrations")) ?? 0) >= 1
            }
            try await world.poisonWrites(toInvoice: "in_poison")

            let tooLarge = TestEvent.make("crm.signal", id: "evt_big", data: [
                "account_id": "acc_big", "kind": "churn_risk", "detail": String(repeating: "x", count: 300 * 1024),
            ])
            var missingField = TestEvent.invoiceCreated("in_m", account: "acc_bad", id: "evt_schema")
            missingField = TestEvent.make("invoice.created", id: "evt_schema", data: [
                "invoice_id": "in_m", "account_id": "acc_bad", "currency": "EUR", "amount_due_minor": 10,
                "due_date": "2026-12-01", "status": "open", "version": 1, // no "number"
            ])
            let bad: [(TestEvent, DeadLetterExpectation)] = [
                (.raw(Array("this is not json {".utf8), routingKey: "invoice.created", id: "raw_malformed"),
                 .init(queue: "recoup.invoices.dlq", errorClass: "malformed")),
                (missingField, .init(queue: "recoup.invoices.dlq", errorClass: "schema", mentions: "number")),
                (TestEvent.invoiceCreated("in_neg", account: "acc_bad", amount: -1, id: "evt_negative"),
                 .init(queue: "recoup.invoices.dlq", errorClass: "semantic", mentions: "amount_due_minor")),
                (TestEvent.make("payment.failed", id: "evt_currency", data: [
                    "payment_id": "py_1", "invoice_id": "in_x", "account_id": "acc_bad", "amount_minor": 100,
                    "currency": "XYZ", "attempted_at": "2026-11-22T10:00:00Z",
                    "method": ["id": "pm_1", "type": "card"], "decline": ["code": "51"],
                 ]), .init(queue: "recoup.payment-failures.dlq", errorClass: "semantic", mentions: "currency")),
                (tooLarge, .init(queue: "recoup.invoices.dlq", errorClass: "too_large")),
                (TestEvent.make("invoice.exploded", id: "evt_unknown", data: ["invoice_id": "in_u", "account_id": "acc_bad"]),
                 .init(queue: "recoup.invoices.dlq", errorClass: "unknown_type", mentions: "invoice.exploded")),
                (TestEvent.make("reply.received", id: "evt_reply_bad", data: [
                    "reply_id": "rp_1", "account_id": "acc_bad", "channel": "carrier-pigeon",
                    "text": Self.secretText + " " + Self.secretEmail, "received_at": "2026-11-22T10:00:00Z",
                 ]), .init(queue: "recoup.replies.dlq", errorClass: "semantic", mentions: "channel")),
                (TestEvent.invoiceCreated("in_poison", account: "acc_poison", id: "evt_poison"),
                 .init(queue: "recoup.invoices.dlq", errorClass: "transient_exhausted")),
            ]
            try await world.publish(bad.map(\.0))
            // A valid event after all of them: the daemon must still be processing.
            try await world.publish([TestEvent.accountUpdated("acc_ok", version: 1, id: "evt_after")])
            try await world.waitUntil("the valid event after the bad ones") {
                (try? await world.count("SELECT count(*) FROM recoup.inbox WHERE event_id = 'evt_after'")) == 1
            }

            var dead: [String: [AMQPDelivery]] = [:]
            try await world.waitUntil("all dead letters", timeout: .seconds(60)) {
                var total = 0
                for queue in ["recoup.invoices.dlq", "recoup.payment-failures.dlq", "recoup.replies.dlq"] {
                    total += try await world.admin.messageCount(queue: queue)
                }
                return total >= bad.count
            }
            for queue in ["recoup.invoices.dlq", "recoup.payment-failures.dlq", "recoup.replies.dlq"] {
                dead[queue] = try await world.drain(queue: queue)
            }
            #expect(dead.values.map(\.count).reduce(0, +) == bad.count)

            for (event, expected) in bad {
                let matches = (dead[expected.queue] ?? []).filter { $0.properties.messageID == event.id }
                #expect(matches.count == 1, "\(event.id) should be dead-lettered once to \(expected.queue)")
                guard let message = matches.first else { continue }
                #expect(message.properties.headers["x-recoup-error-class"] == .string(expected.errorClass), "\(event.id)")
                guard case .string(let reason)? = message.properties.headers["x-recoup-error"] else {
                    Issue.record("\(event.id): no x-recoup-error header")
                    continue
                }
                #expect(!reason.isEmpty && !reason.contains("\n"))
                if let mention = expected.mentions {
                    #expect(reason.contains(mention), "\(event.id): reason \(reason.debugDescription) should name \(mention)")
                }
                #expect(message.properties.headers["x-recoup-original-routing-key"] == .string(event.routingKey))
                #expect(message.body == event.body, "\(event.id): the body travels unchanged")
            }

            // Nothing bad was applied, and nothing personal reached the log.
            #expect(try await world.count("SELECT count(*) FROM recoup.inbox") == 1)
            let log = world.allLogText
            #expect(log.contains("event dead-lettered"))
            #expect(!log.contains(Self.secretEmail))
            #expect(!log.contains(Self.secretText))
            try await world.stop()
        }
    }

    struct DeadLetterExpectation {
        let queue: String
        let errorClass: String
        var mentions: String? = nil
    }
}
