import AMQP
import Foundation
import Logging

/// A small, realistic scenario for a newcomer: one mid-market account with three invoices —
/// one overdue with a failed card payment and a reply, one paid (its `invoice.paid` arrives
/// before its `invoice.created`, to show convergence), one disputed — a CRM signal, and one
/// event with a negative amount that goes to the dead-letter queue.
public enum SampleScenario {
    public struct Published: Sendable {
        public let id: String
        public let type: String
    }

    /// The scenario's events, in publishing order. `run` makes ids unique per invocation.
    static func events(run: String, now: Date) -> [(type: String, data: [String: Any])] {
        let account = "acc_sample_acme"
        let overdue = "in_\(run)_1001", paid = "in_\(run)_1000", disputed = "in_\(run)_1002"
        func day(_ offset: Int) -> String {
            let date = now.addingTimeInterval(Double(offset) * 86_400)
            return date.formatted(.iso8601.year().month().day().dateSeparator(.dash))
        }
        let stamp = now.formatted(.iso8601)
        let version = Int(now.timeIntervalSince1970)
        return [
            ("account.updated", [
                "account_id": account, "name": "Acme Analytics",
                "contact": ["first_name": "Dana", "email": "dana@acme.example", "phone": "+15555550123"],
                "timezone": "America/New_York", "locale": "en-US", "currency": "USD",
                "arr_minor": 4_800_000, "owners": ["account_manager": "sam", "csm": "lee", "collector": "kim"],
                "consents": ["email": true, "sms": true, "in_app": true], "preferred_channel": "email",
                "tags": ["sample"], "version": version,
            ]),
            ("invoice.created", [
                "invoice_id": overdue, "account_id": account, "number": "INV-\(run)-1001", "currency": "USD",
                "amount_due_minor": 480_000, "amount_paid_minor": 0, "issued_at": stamp, "due_date": day(-10),
                "status": "open", "payment_url": "https://billing.example/pay/\(overdue)", "version": 1,
            ]),
            ("payment.failed", [
                "payment_id": "py_\(run)_1", "invoice_id": overdue, "account_id": account,
                "amount_minor": 480_000, "currency": "USD", "attempted_at": stamp, "attempt": 1,
                "method": ["id": "pm_\(run)_visa", "type": "card", "network": "visa", "exp_month": 4, "exp_year": 2028],
                "decline": ["code": "insufficient_funds", "scheme": "stripe"],
                "backup_methods": [] as [Any],
            ]),
            ("invoice.paid", [
                "invoice_id": paid, "account_id": account, "paid_at": stamp, "version": 2,
            ]),
            ("invoice.created", [
                "invoice_id": paid, "account_id": account, "number": "INV-\(run)-1000", "currency": "USD",
                "amount_due_minor": 120_000, "issued_at": stamp, "due_date": day(-3), "status": "open", "version": 1,
            ]),
            ("invoice.created", [
                "invoice_id": disputed, "account_id": account, "number": "INV-\(run)-1002", "currency": "USD",
                "amount_due_minor": 250_000, "issued_at": stamp, "due_date": day(5), "status": "open", "version": 1,
            ]),
            ("dispute.opened", [
                "dispute_id": "dp_\(run)_1", "invoice_id": disputed, "account_id": account, "reason": "seat count",
            ]),
            ("crm.signal", [
                "account_id": account, "kind": "support_ticket_opened", "priority": "high", "reference": "T-\(run)",
            ]),
            ("reply.received", [
                "reply_id": "rp_\(run)_1", "account_id": account, "invoice_id": overdue, "channel": "email",
                "text": "Thanks for the nudge - we'll pay on Friday.", "received_at": stamp,
            ]),
            // Bad input on purpose: a negative amount is dead-lettered with its reason.
            ("invoice.created", [
                "invoice_id": "in_\(run)_bad", "account_id": account, "number": "INV-\(run)-BAD", "currency": "USD",
                "amount_due_minor": -5, "due_date": day(0), "status": "open", "version": 1,
            ]),
        ]
    }

    /// Publishes the scenario to `billing.events` with publisher confirms.
    public static func publish(configuration: RecoupConfiguration, logger: Logger, now: Date = Date()) async throws -> [Published] {
        let run = String(UInt64(now.timeIntervalSince1970 * 1000), radix: 36)
        var messages: [AMQPOutboundMessage] = []
        var published: [Published] = []
        for (index, event) in events(run: run, now: now).enumerated() {
            let id = "evt_sample_\(run)_\(index + 1)"
            let envelope: [String: Any] = [
                "specversion": "1.0", "id": id, "source": "billing", "type": event.type,
                "time": now.formatted(.iso8601), "datacontenttype": "application/json", "data": event.data,
            ]
            let body = try JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys])
            var properties = AMQPProperties()
            properties.contentType = "application/cloudevents+json"
            properties.messageID = id
            properties.type = event.type
            properties.persistent = true
            messages.append(AMQPOutboundMessage(
                exchange: RecoupTopology.inboundExchange, routingKey: event.type, body: Array(body), properties: properties))
            published.append(Published(id: id, type: event.type))
        }
        let publisher = AMQPPublisher(
            configuration: try configuration.amqpConfiguration(connectionName: "recoupctl publish-sample"),
            topology: RecoupTopology.topology, logger: logger)
        do {
            try await publisher.publish(messages)
        } catch {
            await publisher.close()
            throw error
        }
        await publisher.close()
        return published
    }
}
