import Testing
@testable import RecoupCore

/// One bad message, the class it must be dead-lettered with, and what the reason must name.
struct BadInput: Sendable, CustomTestStringConvertible {
    let name: String
    let body: [UInt8]
    let errorClass: DeadLetterClass
    let mentions: [String]

    var testDescription: String { name }

    /// The sample of `type` with its data member at `path` set to `value` (nil removes it).
    static func data(_ type: String, _ path: String, _ value: JSONValue?, _ errorClass: DeadLetterClass,
                     _ mentions: String...) -> BadInput {
        BadInput(name: "\(type) data.\(path) = \(value.map { $0.serialized.prefix(40) } ?? "(absent)")",
                 body: EventSamples.body(type, data: { $0 = EventSamples.setting(path, to: value, in: $0) }),
                 errorClass: errorClass, mentions: ["data.\(path)"] + mentions)
    }

    /// The sample of `type` with its envelope attribute `key` set to `value` (nil removes it).
    static func envelope(_ type: String, _ key: String, _ value: JSONValue?, _ errorClass: DeadLetterClass,
                         _ mentions: String...) -> BadInput {
        BadInput(name: "\(type) \(key) = \(value.map { $0.serialized.prefix(40) } ?? "(absent)")",
                 body: EventSamples.body(type, envelope: { $0[key] = value }), errorClass: errorClass, mentions: mentions)
    }

    static func raw(_ name: String, _ body: [UInt8], _ errorClass: DeadLetterClass, _ mentions: String...) -> BadInput {
        BadInput(name: name, body: body, errorClass: errorClass, mentions: mentions)
    }
}

enum BadInputs {
    static let sample = EventSamples.body("invoice.created")

    static let notJSON: [BadInput] = [
        .raw("empty body", [], .malformed, "not valid JSON", "empty document"),
        .raw("prose", Array("this is not json {".utf8), .malformed, "not valid JSON", "byte 0"),
        .raw("truncated sample", Array(sample.prefix(sample.count / 2)), .malformed, "not valid JSON", "byte"),
        .raw("truncated after a comma", Array(sample.prefix(through: sample.lastIndex(of: UInt8(ascii: ","))!)), .malformed, "end of input"),
        .raw("sample missing its last byte", Array(sample.dropLast()), .malformed, "not valid JSON"),
        .raw("trailing garbage", sample + Array(" x".utf8), .malformed, "not valid JSON", "end of the document"),
        .raw("two documents", sample + sample, .malformed, "not valid JSON"),
        .raw("byte order mark", [0xEF, 0xBB, 0xBF] + sample, .malformed, "byte order mark"),
        .raw("invalid UTF-8 in a value", Array(sample.replacing(Array("INV-".utf8), with: [0x49, 0xFF, 0x56, 0x2D])),
             .malformed, "invalid UTF-8"),
        .raw("encoded surrogate in a value", Array(sample.replacing(Array("INV-".utf8), with: [0xED, 0xA0, 0x80, 0x2D])),
             .malformed, "invalid UTF-8"),
        .raw("lone surrogate escape", Array(sample.replacing(Array("INV-".utf8), with: Array(#"\uD800"#.utf8))),
             .malformed, "lone surrogate"),
        .raw("bad escape", Array(sample.replacing(Array("INV-".utf8), with: Array(#"\q"#.utf8))), .malformed, "invalid escape"),
        .raw("raw control character", Array(sample.replacing(Array("INV-".utf8), with: [0x49, 0x07])), .malformed, "control character"),
        .raw("duplicate envelope key", Array(#"{"specversion":"1.0","id":"a","id":"b","source":"s","type":"invoice.voided","data":{}}"#.utf8),
             .malformed, "duplicate key"),
        .raw("duplicate data key", Array(sample.replacing(Array(#""version":1"#.utf8), with: Array(#""version":1,"version":2"#.utf8))),
             .malformed, "duplicate key"),
        .raw("trailing comma", Array(sample.replacing(Array(#""version":1}"#.utf8), with: Array(#""version":1,}"#.utf8))),
             .malformed, "trailing comma"),
        .raw("leading zero", Array(sample.replacing(Array(#""version":1"#.utf8), with: Array(#""version":01"#.utf8))),
             .malformed, "leading zero"),
        .raw("NaN amount", Array(sample.replacing(Array("1250000".utf8), with: Array("NaN".utf8))), .malformed, "not valid JSON"),
        .raw("nesting beyond the limit", EventSamples.body("invoice.created", data: { data in
            var deep: JSONValue = .null
            for _ in 0..<70 { deep = .array([deep]) }
            data["extra"] = deep
        }), .malformed, "nesting deeper than 64"),
    ]

    static let notAnObject: [BadInput] = [
        .raw("array", Array("[1,2]".utf8), .malformed, "not a CloudEvent", "an array"),
        .raw("string", Array(#""evt""#.utf8), .malformed, "not a CloudEvent", "a string"),
        .raw("number", Array("42".utf8), .malformed, "not a CloudEvent", "an integer"),
        .raw("null", Array("null".utf8), .malformed, "not a CloudEvent", "null"),
        .raw("boolean", Array("true".utf8), .malformed, "not a CloudEvent", "a boolean"),
    ]

    static let notACloudEvent: [BadInput] = [
        .envelope("invoice.created", "specversion", nil, .schema, "not a CloudEvent", "specversion", "missing"),
        .envelope("invoice.created", "specversion", .null, .schema, "not a CloudEvent", "specversion", "null"),
        .envelope("invoice.created", "specversion", "0.3", .schema, "not a CloudEvent", "specversion"),
        .envelope("invoice.created", "specversion", .number(JSONNumber(literal: "1.0")!), .schema, "not a CloudEvent", "specversion", "expected a string"),
        .envelope("invoice.created", "id", nil, .schema, "not a CloudEvent", "id", "missing"),
        .envelope("invoice.created", "id", "", .schema, "not a CloudEvent", "id", "empty"),
        .envelope("invoice.created", "id", 42, .schema, "not a CloudEvent", "id", "expected a string, got an integer"),
        .envelope("invoice.created", "source", nil, .schema, "not a CloudEvent", "source"),
        .envelope("invoice.created", "source", "", .schema, "not a CloudEvent", "source", "empty"),
        .envelope("invoice.created", "source", ["billing"], .schema, "not a CloudEvent", "source", "an array"),
        .envelope("invoice.created", "type", nil, .schema, "not a CloudEvent", "type", "missing"),
        .envelope("invoice.created", "type", "", .schema, "not a CloudEvent", "type", "empty"),
        .envelope("invoice.created", "type", 7, .schema, "not a CloudEvent", "type"),
        .envelope("invoice.created", "data", nil, .schema, "data", "missing"),
        .envelope("invoice.created", "data", .null, .schema, "data", "null"),
        .envelope("invoice.created", "data", "{}", .schema, "data", "expected an object, got a string"),
        .envelope("reply.received", "data", [], .schema, "data", "expected an object, got an array"),
        .envelope("invoice.created", "datacontenttype", 5, .schema, "datacontenttype", "expected a string"),
        .envelope("invoice.created", "subject", false, .schema, "subject", "expected a string"),
    ]

    static let unknownType: [BadInput] = [
        .envelope("invoice.created", "type", "invoice.exploded", .unknownType, "invoice.exploded"),
        .envelope("invoice.created", "type", "Invoice.Created", .unknownType, "Invoice.Created"),
        .envelope("invoice.created", "type", "message.requested", .unknownType, "message.requested"),
        .envelope("invoice.created", "type", "payment.failed.v2", .unknownType, "payment.failed.v2"),
        .envelope("invoice.created", "type", "invoice.created ", .unknownType, "not shaped like a type name"),
        .envelope("invoice.created", "type", "evil\ntype\u{7}", .unknownType, "not shaped like a type name"),
        .envelope("invoice.created", "type", "invoice..created", .unknownType, "not shaped like a type name"),
        .envelope("invoice.created", "type", .string(String(repeating: "x.", count: 250) + "x"), .unknownType, "not an inbound event type"),
    ]

    static let tooLarge: [BadInput] = [
        .raw("one byte over 256 KiB", EventSamples.body("crm.signal", data: { data in
            data["detail"] = .string(String(repeating: "x", count: 262_144))
        }), .tooLarge, "262144"),
        .raw("a megabyte of garbage", Array(repeating: 0xFF, count: 1 << 20), .tooLarge, "1048576 bytes", "262144"),
        .raw("exactly one byte over", Array(repeating: 0x20, count: 262_145), .tooLarge, "262145 bytes"),
    ]

    /// Every required field of every type, left out and set to null.
    static let missingRequired: [BadInput] = InboundEvent.types.flatMap { type in
        EventSamples.requiredFields[type]!.flatMap { path in
            [BadInput.data(type, path, nil, .schema, "missing"), BadInput.data(type, path, .null, .schema, "null")]
        }
    }

    /// Every required field of every type, given a value of another JSON type.
    static let wrongTypes: [BadInput] = InboundEvent.types.flatMap { type in
        EventSamples.requiredFields[type]!.map { path in
            let original = path.split(separator: ".").reduce(JSONValue.object(EventSamples.data(type))) { $0?[String($1)] }
            let wrong: JSONValue = switch original {
            case .string?: 42
            case .number?: "42"
            case .object?: ["not", "an", "object"]
            case .array?: ["not": "an array"]
            default: .bool(true)
            }
            return BadInput.data(type, path, wrong, .schema, "expected")
        }
    }

    static let schema: [BadInput] = [
        .data("invoice.created", "amount_due_minor", .number(JSONNumber(literal: "1250.5")!), .schema, "expected an integer", "fraction"),
        .data("invoice.created", "amount_due_minor", .number(JSONNumber(literal: "1.25e6")!), .schema, "expected an integer"),
        .data("invoice.created", "amount_due_minor", "1250000", .schema, "expected an integer, got a string"),
        .data("invoice.created", "amount_due_minor", .number(JSONNumber(literal: "9223372036854775808")!), .schema, "expected an integer", "64 bits"),
        .data("invoice.created", "amount_paid_minor", true, .schema, "expected an integer, got a boolean"),
        .data("invoice.paid", "version", .number(JSONNumber(literal: "3.0")!), .schema, "expected an integer"),
        .data("account.updated", "consents.sms", "true", .schema, "expected a boolean"),
        .data("account.updated", "consents", true, .schema, "expected an object"),
        .data("account.updated", "contact", "jana", .schema, "expected an object"),
        .data("account.updated", "tags", "eu", .schema, "expected an array"),
        .data("account.updated", "tags", ["eu", 1], .schema, "data.tags[1]", "expected a string"),
        .data("account.updated", "name", 12, .schema, "expected a string"),
        .data("payment.failed", "backup_methods", [1], .schema, "data.backup_methods[0]", "expected an object"),
        .data("payment.failed", "attempt", "2", .schema, "expected an integer"),
        .data("collections.plan_agreed", "installments", ["2026-12-15"], .schema, "data.installments[0]", "expected an object"),
        .data("collections.plan_agreed", "installments", [["due_date": 20261215]], .schema, "data.installments[0].due_date"),
        .data("invoice.created", "account_id", "", .schema, "must not be empty"),
        .data("payment.succeeded", "payment_id", "", .schema, "must not be empty"),
        .data("payment.failed", "method.id", "", .schema, "must not be empty"),
        .data("payment.failed", "decline.code", "", .schema, "must not be empty"),
        .data("reply.received", "invoice_id", "", .schema, "must not be empty"),
    ]

    static let semantic: [BadInput] = [
        // Negative amounts and versions.
        .data("invoice.created", "amount_due_minor", -1, .semantic, "negative"),
        .data("invoice.updated", "amount_paid_minor", -5, .semantic, "negative"),
        .data("payment.succeeded", "amount_minor", -100, .semantic, "negative"),
        .data("payment.failed", "amount_minor", .int(Int64.min), .semantic, "negative"),
        .data("account.updated", "arr_minor", -1, .semantic, "negative"),
        .data("collections.promise_recorded", "amount_minor", -1, .semantic, "negative"),
        .data("collections.plan_agreed", "installments", [["amount_minor": 10], ["amount_minor": -1]], .semantic,
              "data.installments[1].amount_minor", "negative"),
        .data("invoice.paid", "version", -1, .semantic, "negative"),
        .data("account.updated", "version", -3, .semantic, "negative"),
        // Currencies.
        .data("invoice.created", "currency", "XYZ", .semantic, "ISO 4217"),
        .data("invoice.created", "currency", "eur", .semantic, "ISO 4217"),
        .data("payment.failed", "currency", "XAU", .semantic, "ISO 4217"),
        .data("payment.succeeded", "currency", "", .semantic, "ISO 4217"),
        .data("account.updated", "currency", "EURO", .semantic, "ISO 4217"),
        // Amount paid above amount due.
        .data("invoice.updated", "amount_paid_minor", 150_001, .semantic, "exceeds data.amount_due_minor"),
        // Dates.
        .data("invoice.created", "due_date", "2026-02-30", .semantic, "YYYY-MM-DD"),
        .data("invoice.created", "due_date", "2026-13-01", .semantic, "YYYY-MM-DD"),
        .data("invoice.created", "due_date", "26-12-01", .semantic, "YYYY-MM-DD"),
        .data("invoice.created", "due_date", "2026-12-01T00:00:00Z", .semantic, "YYYY-MM-DD"),
        .data("invoice.updated", "due_date", "2026/12/01", .semantic, "YYYY-MM-DD"),
        .data("invoice.updated", "due_date", "", .semantic, "YYYY-MM-DD"),
        .data("collections.promise_recorded", "promised_date", "2027-02-29", .semantic, "YYYY-MM-DD"),
        .data("collections.plan_agreed", "installments", [["due_date": "next week"]], .semantic, "data.installments[0].due_date"),
        // Timestamps.
        .envelope("invoice.created", "time", "yesterday", .semantic, "time", "RFC 3339"),
        .envelope("invoice.created", "time", "2026-11-22T10:15:00", .semantic, "time", "RFC 3339"),
        .data("invoice.paid", "paid_at", "2026-11-20 12:00", .semantic, "RFC 3339"),
        .data("payment.succeeded", "succeeded_at", "2026-11-21T25:00:00Z", .semantic, "RFC 3339"),
        .data("payment.failed", "attempted_at", "1795246200", .semantic, "RFC 3339"),
        .data("reply.received", "received_at", "2026-11-22", .semantic, "RFC 3339"),
        .data("invoice.created", "issued_at", "2026-11-01T09:00:00+1:00", .semantic, "RFC 3339"),
        // Time zones and locales.
        .data("account.updated", "timezone", "Mars/Olympus_Mons", .semantic, "IANA time zone"),
        .data("account.updated", "timezone", "../../etc/passwd", .semantic, "IANA time zone"),
        .data("account.updated", "timezone", "Europe//Berlin", .semantic, "IANA time zone"),
        .data("account.updated", "timezone", "", .semantic, "IANA time zone"),
        .data("account.updated", "locale", "not a locale!", .semantic, "language tag"),
        .data("account.updated", "locale", "e", .semantic, "language tag"),
        // Enumerations.
        .data("invoice.created", "status", "closed", .semantic, "open, paid, void, uncollectible"),
        .data("invoice.updated", "status", "OPEN", .semantic, "must be one of"),
        .data("account.updated", "tier", "gold", .semantic, "strategic, mid_market, long_tail"),
        .data("reply.received", "channel", "carrier-pigeon", .semantic, "email, sms, in_app, phone_note"),
        .data("payment.failed", "method.type", "paypal", .semantic, "card, ach_debit, sepa_debit"),
        .data("payment.failed", "decline.scheme", "visa", .semantic, "stripe, iso8583, nacha, sepa"),
        .data("crm.signal", "kind", "vip", .semantic, "churn_risk"),
        .data("crm.signal", "priority", "urgent", .semantic, "low, normal, high"),
        .data("dispute.resolved", "outcome", "lost", .semantic, "customer_won, merchant_won, withdrawn"),
        // Ranges and lengths.
        .data("payment.failed", "method.exp_month", 13, .semantic, "between 1 and 12"),
        .data("payment.failed", "method.exp_month", 0, .semantic, "between 1 and 12"),
        .data("payment.failed", "attempt", 0, .semantic, "between 1"),
        .data("invoice.voided", "invoice_id", .string(String(repeating: "i", count: 201)), .semantic, "too long"),
        .data("crm.signal", "account_id", .string(String(repeating: "a", count: 300)), .semantic, "too long"),
        .data("invoice.created", "number", .string(String(repeating: "9", count: 201)), .semantic, "too long"),
        .data("reply.received", "text", .string(String(repeating: "y", count: 64 * 1024 + 1)), .semantic, "too long"),
        .envelope("invoice.created", "id", .string(String(repeating: "e", count: 201)), .semantic, "id", "too long"),
        .envelope("invoice.created", "id", "evt\u{1}1", .semantic, "id", "control character"),
        .data("account.updated", "name", "Acme\u{0}", .semantic, "NUL"),
        .data("collections.plan_agreed", "installments", [], .semantic, "must not be empty"),
        .data("invoice.created", "payment_url", "javascript:alert(1)", .semantic, "http(s) URL"),
        .data("invoice.created", "payment_url", "https://", .semantic, "http(s) URL"),
        .data("invoice.created", "payment_url", "https://pay.example/a b", .semantic, "http(s) URL"),
    ]

    static let all: [BadInput] = notJSON + notAnObject + notACloudEvent + unknownType + tooLarge + missingRequired
        + wrongTypes + schema + semantic
}

private extension Array where Element == UInt8 {
    /// The first occurrence of `target` replaced by `replacement`.
    func replacing(_ target: [UInt8], with replacement: [UInt8]) -> [UInt8] {
        guard target.count <= count else { return self }
        for start in 0...(count - target.count) where Array(self[start..<(start + target.count)]) == target {
            return Array(self[..<start]) + replacement + Array(self[(start + target.count)...])
        }
        return self
    }
}

@Suite("Event parser: bad input")
struct EventRejectionTests {
    @Test("every bad input is rejected with its class and a one-line reason naming the field", arguments: BadInputs.all)
    func rejected(_ input: BadInput) {
        switch EventParser.parse(input.body) {
        case .success(let event):
            Issue.record("accepted as \(event.envelope.type)")
        case .failure(let rejection):
            #expect(rejection.errorClass == input.errorClass, "\(rejection.reason)")
            for mention in input.mentions {
                #expect(rejection.reason.contains(mention), "reason \(rejection.reason.debugDescription) lacks \(mention.debugDescription)")
            }
            #expect(!rejection.reason.isEmpty)
            #expect(!rejection.reason.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
            #expect(rejection.reason.count <= EventRejection.maxReasonLength)
        }
    }

    @Test("the table covers every class the parser decides, every type and every required field")
    func coverage() {
        let classes = Set(BadInputs.all.map(\.errorClass))
        #expect(classes == Set(DeadLetterClass.allCases).subtracting([.transientExhausted]))
        #expect(BadInputs.missingRequired.count == 2 * EventSamples.requiredFields.values.map(\.count).reduce(0, +))
        #expect(BadInputs.all.count > 250)
        // The samples themselves are valid, so each case fails only because of its one change.
        for (type, body) in EventSamples.allBodies {
            #expect(throws: Never.self, "\(type)") { try EventParser.parse(body).get() }
        }
    }

    @Test("size is checked before parsing: an oversized body is too_large whatever it contains")
    func sizeFirst() {
        let hostile = Array(repeating: UInt8(ascii: "["), count: EventParser.maxBodyBytes + 1)
        #expect(EventParser.parse(hostile) == .failure(EventRejection(.tooLarge, "message is 262145 bytes; the limit is 262144")))
    }

    @Test("reasons are cut to one line of at most 200 characters")
    func reasonShape() {
        let long = EventRejection(.schema, String(repeating: "a", count: 500) + "\nsecond line")
        #expect(long.reason.count == EventRejection.maxReasonLength)
        #expect(!long.reason.contains("\n"))
        #expect(EventRejection(.semantic, "x\r\ny").reason == "x  y")
        #expect(EventRejection(.semantic, "").reason == "rejected")
        #expect(DeadLetterClass.allCases.map(\.rawValue) == ["malformed", "schema", "semantic", "too_large", "unknown_type", "transient_exhausted"])
    }
}
