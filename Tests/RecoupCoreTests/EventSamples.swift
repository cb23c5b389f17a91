@testable import RecoupCore

/// Realistic inbound messages of every type, as JSON, and ways to damage them for tests.
enum EventSamples {
    /// The personal data in the samples: no rejection reason may ever contain any of it.
    static let personalData = [
        "Nordlicht Logistik GmbH", "Jana", "jana.mueller@nordlicht.example", "+49 30 1234567",
        "we'll pay on Friday", "Hi, we",
    ]

    static let dataText: [String: String] = [
        "account.updated": #"""
            {"account_id":"acc_1042","name":"Nordlicht Logistik GmbH","contact":{"first_name":"Jana",
            "email":"jana.mueller@nordlicht.example","phone":"+49 30 1234567"},"timezone":"Europe/Berlin",
            "locale":"de-DE","currency":"EUR","arr_minor":4800000,"tier":"mid_market","owners":{"account_manager":"sam.okafor",
            "csm":"lee.chen","collector":"kim.ito"},"consents":{"sms":true},"preferred_channel":"email",
            "tags":["eu","logistics"],"version":7,"crm_owner_id":"00Q5"}
            """#,
        "invoice.created": #"""
            {"invoice_id":"inv_2026_0042","account_id":"acc_1042","number":"INV-2026-0042","currency":"EUR",
            "amount_due_minor":1250000,"issued_at":"2026-11-01T09:00:00+01:00","due_date":"2026-12-01","status":"open",
            "payment_url":"https://pay.billing.example/i/inv_2026_0042","version":1}
            """#,
        "invoice.updated": #"""
            {"invoice_id":"inv_2026_0042","account_id":"acc_1042","number":"INV-2026-0042","currency":"JPY",
            "amount_due_minor":150000,"amount_paid_minor":50000,"due_date":"2028-02-29","status":"open","version":2}
            """#,
        "invoice.paid": #"""
            {"invoice_id":"inv_2026_0042","account_id":"acc_1042","paid_at":"2026-11-20T12:00:00.5Z","version":3}
            """#,
        "invoice.voided": #"""
            {"invoice_id":"inv_2026_0042","account_id":"acc_1042","version":4}
            """#,
        "payment.succeeded": #"""
            {"payment_id":"pay_77","invoice_id":"inv_2026_0042","account_id":"acc_1042","amount_minor":625000,
            "currency":"EUR","succeeded_at":"2026-11-21T08:00:00Z"}
            """#,
        "payment.failed": #"""
            {"payment_id":"pay_78","invoice_id":"inv_2026_0042","account_id":"acc_1042","amount_minor":625000,
            "currency":"KWD","attempted_at":"2026-11-21T09:30:00+02:00","attempt":2,"method":{"id":"pm_card_1",
            "type":"card","network":"mastercard","exp_month":12,"exp_year":2027},"decline":{"code":"51",
            "scheme":"iso8583","network_advice_code":"03","message":"Insufficient funds"},
            "backup_methods":[{"id":"pm_sepa_2","type":"sepa_debit"}]}
            """#,
        "dispute.opened": #"""
            {"dispute_id":"dp_9","invoice_id":"inv_2026_0042","account_id":"acc_1042","reason":"duplicate charge"}
            """#,
        "dispute.resolved": #"""
            {"dispute_id":"dp_9","invoice_id":"inv_2026_0042","account_id":"acc_1042","reason":"duplicate charge",
            "outcome":"merchant_won"}
            """#,
        "crm.signal": #"""
            {"account_id":"acc_1042","kind":"renewal_upcoming","priority":"high","reference":"OPP-3381",
            "detail":"Renewal call booked for 2026-12-03"}
            """#,
        "collections.promise_recorded": #"""
            {"invoice_id":"inv_2026_0042","account_id":"acc_1042","promised_date":"2026-12-04","amount_minor":625000,
            "recorded_by":"kim.ito"}
            """#,
        "collections.plan_agreed": #"""
            {"invoice_id":"inv_2026_0042","account_id":"acc_1042","installments":[{"due_date":"2026-12-15",
            "amount_minor":625000},{"due_date":"2027-01-15","amount_minor":625000}],"recorded_by":"kim.ito"}
            """#,
        "reply.received": #"""
            {"reply_id":"rpl_31","account_id":"acc_1042","invoice_id":"inv_2026_0042","channel":"email",
            "in_reply_to":"msg_5521","text":"Hi, we'll pay on Friday.\nJana","received_at":"2026-11-22T09:45:00Z"}
            """#,
    ]

    /// CONTRACT.md's required (*) fields of each type, as paths inside `data`.
    static let requiredFields: [String: [String]] = [
        "account.updated": ["account_id", "version"],
        "invoice.created": ["invoice_id", "account_id", "number", "currency", "amount_due_minor", "due_date", "status", "version"],
        "invoice.updated": ["invoice_id", "account_id", "number", "currency", "amount_due_minor", "due_date", "status", "version"],
        "invoice.paid": ["invoice_id", "account_id", "paid_at", "version"],
        "invoice.voided": ["invoice_id", "account_id", "version"],
        "payment.succeeded": ["payment_id", "invoice_id", "account_id", "amount_minor", "currency", "succeeded_at"],
        "payment.failed": ["payment_id", "invoice_id", "account_id", "amount_minor", "currency", "attempted_at",
                           "method", "method.id", "method.type", "decline", "decline.code"],
        "dispute.opened": ["dispute_id", "invoice_id", "account_id"],
        "dispute.resolved": ["dispute_id", "invoice_id", "account_id"],
        "crm.signal": ["account_id", "kind"],
        "collections.promise_recorded": ["invoice_id", "account_id", "promised_date"],
        "collections.plan_agreed": ["invoice_id", "account_id", "installments"],
        "reply.received": ["reply_id", "account_id", "channel", "text", "received_at"],
    ]

    static func data(_ type: String) -> JSONObject {
        guard case .object(let object) = try! JSONParser.parse(dataText[type]!) else { fatalError("sample \(type)") }
        return object
    }

    static func envelope(_ type: String, data: JSONValue, id: String = "evt_01JD8Q") -> JSONObject {
        [
            "specversion": "1.0", "id": .string(id), "source": "https://billing.example/webhooks", "type": .string(type),
            "time": "2026-11-22T10:15:00Z", "datacontenttype": "application/json", "subject": "acc_1042",
            "data": data, "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ]
    }

    /// The sample message of `type`.
    static func body(_ type: String) -> [UInt8] { body(type, data: { _ in }) }

    /// The sample message of `type`, with `edit` applied to its data.
    static func body(_ type: String, data edit: (inout JSONObject) -> Void) -> [UInt8] {
        var data = data(type)
        edit(&data)
        return JSONSerializer.serialize(.object(envelope(type, data: .object(data))))
    }

    /// The sample message of `type`, with `edit` applied to its envelope.
    static func body(_ type: String, envelope edit: (inout JSONObject) -> Void) -> [UInt8] {
        var envelope = envelope(type, data: .object(data(type)))
        edit(&envelope)
        return JSONSerializer.serialize(.object(envelope))
    }

    /// `object` with the member at the dotted `path` set to `value` (nil removes it).
    static func setting(_ path: String, to value: JSONValue?, in object: JSONObject) -> JSONObject {
        var object = object
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 1 {
            object[parts[0]] = value
        } else if case .object(let inner)? = object[parts[0]] {
            object[parts[0]] = .object(setting(parts[1], to: value, in: inner))
        }
        return object
    }

    /// Every sample as a complete message body.
    static var allBodies: [(type: String, body: [UInt8])] {
        InboundEvent.types.map { ($0, body($0)) }
    }
}
