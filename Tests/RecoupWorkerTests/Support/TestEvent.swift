import Foundation

/// A CloudEvent as the billing platform would publish it, built for tests.
struct TestEvent: Sendable {
    let id: String
    let routingKey: String
    let body: [UInt8]

    /// A well-formed CloudEvent of `type` with `data`.
    static func make(_ type: String, id: String = "evt_\(UUID().uuidString.prefix(12))", data: [String: Any]) -> TestEvent {
        let envelope: [String: Any] = [
            "specversion": "1.0", "id": id, "source": "billing", "type": type,
            "time": "2026-11-22T10:15:00Z", "datacontenttype": "application/json", "data": data,
        ]
        let body = try! JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys])
        return TestEvent(id: id, routingKey: type, body: Array(body))
    }

    /// Raw bytes under a routing key, for bad input.
    static func raw(_ body: [UInt8], routingKey: String, id: String = "raw_\(UUID().uuidString.prefix(12))") -> TestEvent {
        TestEvent(id: id, routingKey: routingKey, body: body)
    }

    static func accountUpdated(_ account: String, version: Int, id: String = "evt_\(UUID().uuidString.prefix(12))",
                               name: String = "Acme", email: String = "ap@acme.example") -> TestEvent {
        make("account.updated", id: id, data: [
            "account_id": account, "name": name, "contact": ["first_name": "Dana", "email": email, "phone": "+15555550100"],
            "timezone": "Europe/Berlin", "locale": "de-DE", "currency": "EUR", "arr_minor": 3_000_000,
            "consents": ["email": true, "sms": false, "in_app": true], "version": version,
        ])
    }

    static func invoiceCreated(_ invoice: String, account: String, version: Int = 1, amount: Int = 120_000,
                               status: String = "open", dueDate: String = "2026-11-30",
                               id: String = "evt_\(UUID().uuidString.prefix(12))", type: String = "invoice.created") -> TestEvent {
        make(type, id: id, data: [
            "invoice_id": invoice, "account_id": account, "number": "INV-\(invoice)", "currency": "EUR",
            "amount_due_minor": amount, "amount_paid_minor": 0, "issued_at": "2026-11-01T09:00:00Z",
            "due_date": dueDate, "status": status, "payment_url": "https://pay.example/\(invoice)", "version": version,
        ])
    }

    static func invoicePaid(_ invoice: String, account: String, version: Int, id: String = "evt_\(UUID().uuidString.prefix(12))") -> TestEvent {
        make("invoice.paid", id: id, data: [
            "invoice_id": invoice, "account_id": account, "paid_at": "2026-11-20T12:00:00Z", "version": version,
        ])
    }
}
