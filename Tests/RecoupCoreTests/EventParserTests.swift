import Foundation
import Testing
@testable import RecoupCore

@Suite("Event parser")
struct EventParserTests {
    static func envelope(_ type: String, _ data: String, id: String = "evt_1") -> [UInt8] {
        Array(#"{"specversion":"1.0","id":"\#(id)","source":"billing","type":"\#(type)","time":"2026-11-22T10:15:00Z","datacontenttype":"application/json","data":\#(data),"extension_attr":"ignored"}"#.utf8)
    }

    /// One realistic sample of every inbound type.
    static let samples: [String: String] = [
        "account.updated": #"{"account_id":"acc_1","name":"Acme GmbH","contact":{"first_name":"Jana","email":"jana@acme.example","phone":"+4930123456"},"timezone":"Europe/Berlin","locale":"de-DE","currency":"EUR","arr_minor":3000000,"tier":"mid_market","owners":{"account_manager":"sam","csm":"lee","collector":"kim"},"consents":{"sms":true},"preferred_channel":"email","tags":["eu"],"version":7,"unknown_field":{"x":1}}"#,
        "invoice.created": #"{"invoice_id":"in_1","account_id":"acc_1","number":"INV-1","currency":"EUR","amount_due_minor":120000,"issued_at":"2026-11-01T09:00:00+01:00","due_date":"2026-11-30","status":"open","payment_url":"https://pay.example/in_1","version":1}"#,
        "invoice.updated": #"{"invoice_id":"in_1","account_id":"acc_1","number":"INV-1","currency":"JPY","amount_due_minor":5000,"amount_paid_minor":5000,"due_date":"2028-02-29","status":"paid","version":2}"#,
        "invoice.paid": #"{"invoice_id":"in_1","account_id":"acc_1","paid_at":"2026-11-20T12:00:00.5Z","version":3}"#,
        "invoice.voided": #"{"invoice_id":"in_1","account_id":"acc_1","version":4}"#,
        "payment.succeeded": #"{"payment_id":"py_1","invoice_id":"in_1","account_id":"acc_1","amount_minor":60000,"currency":"EUR","succeeded_at":"2026-11-21T08:00:00Z"}"#,
        "payment.failed": #"{"payment_id":"py_2","invoice_id":"in_1","account_id":"acc_1","amount_minor":60000,"currency":"USD","attempted_at":"2026-11-21T08:00:00Z","attempt":2,"method":{"id":"pm_1","type":"card","network":"mastercard","exp_month":12,"exp_year":2026},"decline":{"code":"51","scheme":"iso8583","network_advice_code":"03","message":"Insufficient funds"},"backup_methods":[{"id":"pm_2","type":"sepa_debit"}]}"#,
        "dispute.opened": #"{"dispute_id":"dp_1","invoice_id":"in_1","account_id":"acc_1","reason":"seat count"}"#,
        "dispute.resolved": #"{"dispute_id":"dp_1","invoice_id":"in_1","account_id":"acc_1","outcome":"customer_won"}"#,
        "crm.signal": #"{"account_id":"acc_1","kind":"churn_risk","priority":"high","reference":"OPP-9","detail":"budget cut"}"#,
        "collections.promise_recorded": #"{"invoice_id":"in_1","account_id":"acc_1","promised_date":"2026-12-04","amount_minor":60000,"recorded_by":"kim"}"#,
        "collections.plan_agreed": #"{"invoice_id":"in_1","account_id":"acc_1","installments":[{"due_date":"2026-12-15","amount_minor":60000},{"due_date":"2027-01-15","amount_minor":60000}],"recorded_by":"kim"}"#,
        "reply.received": #"{"reply_id":"rp_1","account_id":"acc_1","invoice_id":"in_1","channel":"sms","in_reply_to":"msg_1","text":"STOP","received_at":"2026-11-22T10:00:00Z"}"#,
    ]

    @Test("every inbound type has a sample that parses")
    func coverage() {
        #expect(Set(Self.samples.keys) == Set(EventParser.inboundTypes))
    }

    @Test("each sample parses to its typed value", arguments: EventParser.inboundTypes)
    func sample(type: String) throws {
        let parsed = try EventParser.parse(Self.envelope(type, Self.samples[type]!)).get()
        #expect(parsed.envelope.id == "evt_1")
        #expect(parsed.envelope.type == type)
        #expect(parsed.envelope.time == Date(timeIntervalSince1970: 1_795_342_500))
        #expect(parsed.accountID == "acc_1")
        if type != "account.updated" && type != "crm.signal" { #expect(parsed.invoiceID == "in_1") }
    }

    @Test("typed values carry the fields and the defaults of CONTRACT.md")
    func typedValues() throws {
        guard case .accountUpdated(let account) = try EventParser.parse(Self.envelope("account.updated", Self.samples["account.updated"]!)).get().event else {
            Issue.record("not an account"); return
        }
        #expect(account.consents == .init(email: true, sms: true, inApp: true))
        #expect(account.tier == .midMarket)
        #expect(account.currency?.code == "EUR")
        #expect(account.contact?.email == "jana@acme.example")
        #expect(account.version == 7)

        let minimal = try EventParser.parse(Self.envelope("account.updated", #"{"account_id":"a","version":1}"#)).get()
        guard case .accountUpdated(let bare) = minimal.event else { Issue.record("not an account"); return }
        #expect(bare.timezone == "UTC")
        #expect(bare.locale == "en-US")
        #expect(bare.consents == .init(email: true, sms: false, inApp: true))

        guard case .invoiceCreated(let invoice) = try EventParser.parse(Self.envelope("invoice.created", Self.samples["invoice.created"]!)).get().event else {
            Issue.record("not an invoice"); return
        }
        #expect(invoice.amountPaidMinor == 0)
        #expect(invoice.dueDate == LocalDate(year: 2026, month: 11, day: 30))
        #expect(invoice.issuedAt == Date(timeIntervalSince1970: 1_793_520_000))

        guard case .paymentFailed(let failure) = try EventParser.parse(Self.envelope("payment.failed", Self.samples["payment.failed"]!)).get().event else {
            Issue.record("not a failure"); return
        }
        #expect(failure.decline == .init(code: "51", scheme: .iso8583, networkAdviceCode: "03", message: "Insufficient funds"))
        #expect(failure.method.type == .card)
        #expect(failure.backupMethods.first?.type == "sepa_debit")
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        let body: [UInt8]
        let errorClass: DeadLetterClass
        let mentions: String
        let label: String
        var testDescription: String { label }

        init(_ label: String, _ body: [UInt8], _ errorClass: DeadLetterClass, mentions: String) {
            self.label = label; self.body = body; self.errorClass = errorClass; self.mentions = mentions
        }

        /// A sample of `type` with `key` replaced by `value` (nil removes it) at `path` ("" = data).
        static func mutate(_ type: String, _ key: String, _ value: String?, in object: String? = nil,
                           _ errorClass: DeadLetterClass, mentions: String? = nil) -> Bad {
            var data = try! JSONSerialization.jsonObject(with: Data(EventParserTests.samples[type]!.utf8)) as! [String: Any]
            let parsedValue = value.map { try! JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) }
            if let object {
                var inner = data[object] as! [String: Any]
                inner[key] = parsedValue
                data[object] = inner
            } else {
                data[key] = parsedValue
            }
            let json = String(decoding: try! JSONSerialization.data(withJSONObject: data), as: UTF8.self)
            let label = "\(type) \(object.map { "\($0)." } ?? "")\(key) = \(value ?? "missing")"
            return Bad(label, EventParserTests.envelope(type, json), errorClass, mentions: mentions ?? key)
        }
    }

    static let requiredFields: [String: [String]] = [
        "account.updated": ["account_id", "version"],
        "invoice.created": ["invoice_id", "account_id", "number", "currency", "amount_due_minor", "due_date", "status", "version"],
        "invoice.updated": ["invoice_id", "account_id", "number", "currency", "amount_due_minor", "due_date", "status", "version"],
        "invoice.paid": ["invoice_id", "account_id", "paid_at", "version"],
        "invoice.voided": ["invoice_id", "account_id", "version"],
        "payment.succeeded": ["payment_id", "invoice_id", "account_id", "amount_minor", "currency", "succeeded_at"],
        "payment.failed": ["payment_id", "invoice_id", "account_id", "amount_minor", "currency", "attempted_at", "method", "decline"],
        "dispute.opened": ["dispute_id", "invoice_id", "account_id"],
        "dispute.resolved": ["dispute_id", "invoice_id", "account_id"],
        "crm.signal": ["account_id", "kind"],
        "collections.promise_recorded": ["invoice_id", "account_id", "promised_date"],
        "collections.plan_agreed": ["invoice_id", "account_id", "installments"],
        "reply.received": ["reply_id", "account_id", "channel", "text", "received_at"],
    ]

    static let badInputs: [Bad] = {
        var cases: [Bad] = [
            Bad("empty body", [], .malformed, mentions: "JSON"),
            Bad("not JSON", Array("hello".utf8), .malformed, mentions: "JSON"),
            Bad("truncated", Array(#"{"specversion":"1.0","id":"#.utf8), .malformed, mentions: "JSON"),
            Bad("invalid UTF-8", [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], .malformed, mentions: "UTF-8"),
            Bad("array, not object", Array("[1,2]".utf8), .malformed, mentions: "not a CloudEvent"),
            Bad("no specversion", Array(#"{"id":"e","source":"s","type":"invoice.paid","data":{}}"#.utf8), .schema, mentions: "specversion"),
            Bad("wrong specversion", Array(#"{"specversion":"0.3","id":"e","source":"s","type":"invoice.paid","data":{}}"#.utf8), .schema, mentions: "specversion"),
            Bad("no id", Array(#"{"specversion":"1.0","source":"s","type":"invoice.paid","data":{}}"#.utf8), .schema, mentions: "id"),
            Bad("empty id", Array(#"{"specversion":"1.0","id":"","source":"s","type":"invoice.paid","data":{}}"#.utf8), .schema, mentions: "id"),
            Bad("numeric id", Array(#"{"specversion":"1.0","id":5,"source":"s","type":"invoice.paid","data":{}}"#.utf8), .schema, mentions: "id"),
            Bad("no source", Array(#"{"specversion":"1.0","id":"e","type":"invoice.paid","data":{}}"#.utf8), .schema, mentions: "source"),
            Bad("no data", Array(#"{"specversion":"1.0","id":"e","source":"s","type":"invoice.paid"}"#.utf8), .schema, mentions: "data"),
            Bad("data not object", Array(#"{"specversion":"1.0","id":"e","source":"s","type":"invoice.paid","data":"x"}"#.utf8), .schema, mentions: "data"),
            Bad("bad time", Array(#"{"specversion":"1.0","id":"e","source":"s","type":"invoice.paid","time":"yesterday","data":{}}"#.utf8), .semantic, mentions: "time"),
            Bad("unknown type", envelope("invoice.exploded", "{}"), .unknownType, mentions: "invoice.exploded"),
            Bad("outbound type inbound", envelope("message.requested", "{}"), .unknownType, mentions: "message.requested"),
            Bad("over 256 KiB", envelope("crm.signal", #"{"account_id":"a","kind":"churn_risk","detail":"\#(String(repeating: "x", count: 262_144))"}"#), .tooLarge, mentions: "262144"),
            .mutate("invoice.created", "amount_due_minor", "-1", .semantic),
            .mutate("invoice.created", "amount_due_minor", "\"100\"", .schema),
            .mutate("invoice.created", "amount_due_minor", "10.5", .schema),
            .mutate("invoice.created", "amount_paid_minor", "999999999", .semantic),
            .mutate("invoice.created", "currency", "\"XYZ\"", .semantic),
            .mutate("invoice.created", "currency", "\"usd\"", .semantic),
            .mutate("invoice.created", "due_date", "\"2026-02-30\"", .semantic),
            .mutate("invoice.created", "due_date", "\"30/11/2026\"", .semantic),
            .mutate("invoice.created", "status", "\"pending\"", .semantic),
            .mutate("invoice.created", "version", "-3", .semantic),
            .mutate("invoice.created", "version", "\"1\"", .schema),
            .mutate("invoice.created", "issued_at", "\"2026-11-01T09:00:00\"", .semantic),
            .mutate("invoice.paid", "paid_at", "\"2026-13-01T00:00:00Z\"", .semantic),
            .mutate("account.updated", "timezone", "\"Mars/Olympus\"", .semantic),
            .mutate("account.updated", "tier", "\"enterprise\"", .semantic),
            .mutate("account.updated", "arr_minor", "-5", .semantic),
            .mutate("account.updated", "consents", "{\"sms\":\"yes\"}", .schema, mentions: "consents.sms"),
            .mutate("account.updated", "tags", "[1]", .schema, mentions: "tags[0]"),
            .mutate("payment.succeeded", "amount_minor", "-100", .semantic),
            .mutate("payment.succeeded", "currency", "\"EURO\"", .semantic),
            .mutate("payment.failed", "type", "\"cheque\"", in: "method", .semantic, mentions: "method.type"),
            .mutate("payment.failed", "code", nil, in: "decline", .schema, mentions: "decline.code"),
            .mutate("payment.failed", "scheme", "\"swift\"", in: "decline", .semantic, mentions: "decline.scheme"),
            .mutate("payment.failed", "exp_month", "13", in: "method", .semantic, mentions: "method.exp_month"),
            .mutate("payment.failed", "backup_methods", "[\"pm\"]", .schema, mentions: "backup_methods[0]"),
            .mutate("dispute.resolved", "outcome", "\"draw\"", .semantic),
            .mutate("crm.signal", "kind", "\"birthday\"", .semantic),
            .mutate("crm.signal", "priority", "\"urgent\"", .semantic),
            .mutate("collections.promise_recorded", "promised_date", "\"next week\"", .semantic),
            .mutate("collections.plan_agreed", "installments", "[]", .semantic),
            .mutate("collections.plan_agreed", "installments", "[{\"amount_minor\":-1}]", .semantic, mentions: "installments[0].amount_minor"),
            .mutate("reply.received", "channel", "\"fax\"", .semantic),
            .mutate("reply.received", "text", "42", .schema),
            .mutate("reply.received", "text", "\"a\\u0000b\"", .semantic),
            .mutate("reply.received", "account_id", "\"\(String(repeating: "a", count: 201))\"", .semantic),
        ]
        for (type, fields) in requiredFields.sorted(by: { $0.key < $1.key }) {
            for field in fields {
                cases.append(.mutate(type, field, nil, .schema))
                cases.append(.mutate(type, field, "null", .schema))
            }
        }
        return cases
    }()

    @Test("every bad-input class is rejected with its class and a one-line reason naming the field", arguments: badInputs)
    func rejected(_ bad: Bad) {
        switch EventParser.parse(bad.body) {
        case .success:
            Issue.record("\(bad.label) was accepted")
        case .failure(let rejection):
            #expect(rejection.errorClass == bad.errorClass, "\(bad.label): \(rejection.reason)")
            #expect(rejection.reason.contains(bad.mentions), "\(bad.label): \(rejection.reason)")
            #expect(!rejection.reason.contains("\n") && rejection.reason.count < 300)
        }
    }

    @Test("reasons never quote personal data from the payload")
    func noPersonalData() {
        let secrets = ["jana.private@example.org", "+4915112345678", "Jana Geheim", "I will never pay you"]
        let bodies: [[UInt8]] = [
            Self.envelope("account.updated", #"{"account_id":"a","name":"Jana Geheim","contact":{"email":"jana.private@example.org","phone":"+4915112345678"},"timezone":"Jana Geheim","version":1}"#),
            Self.envelope("account.updated", #"{"account_id":"a","contact":{"email":["jana.private@example.org"]},"version":1}"#),
            Self.envelope("reply.received", #"{"reply_id":"r","account_id":"a","channel":"I will never pay you","text":"I will never pay you","received_at":"2026-11-22T10:00:00Z"}"#),
            Self.envelope("reply.received", #"{"reply_id":"r","account_id":"a","channel":"email","text":"I will never pay you","received_at":"jana.private@example.org"}"#),
            Self.envelope("jana.private@example.org", "{}"),
            Array(#"{"specversion":"1.0","id":"e","source":"s","type":"account.updated","data":{"name":"Jana Geheim" "x"}}"#.utf8),
        ]
        for body in bodies {
            guard case .failure(let rejection) = EventParser.parse(body) else { Issue.record("expected a rejection"); continue }
            for secret in secrets { #expect(!rejection.reason.contains(secret), "\(rejection.reason)") }
        }
    }

    /// Property: mutated valid samples never crash the parser, and every outcome is either an
    /// event or a rejection with a non-empty one-line reason.
    @Test("5,000 random mutations of valid samples")
    func fuzz() {
        var rng = JSONTestRNG(seed: 424_242)
        let bodies = EventParser.inboundTypes.map { Self.envelope($0, Self.samples[$0]!) }
        var rejected = 0
        for _ in 0..<5_000 {
            var body = bodies.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                guard !body.isEmpty else { break }
                let at = Int.random(in: 0..<body.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: body[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: body.removeSubrange(at..<min(body.count, at + Int.random(in: 1...8, using: &rng)))
                case 2: body.insert(contentsOf: Array(#"{}[]",:\"#.utf8).shuffled(using: &rng).prefix(3), at: at)
                default: body = Array(body.prefix(at))
                }
            }
            if case .failure(let rejection) = EventParser.parse(body) {
                rejected += 1
                #expect(!rejection.reason.isEmpty && !rejection.reason.contains("\n"))
            }
        }
        #expect(rejected > 2_500, "most mutations should be rejected")
    }
}
