import Testing
@testable import RecoupCore

private let email = "jana.mueller@nordlicht.example"
private let phone = "+49 30 1234567"
private let name = "Nordlicht Logistik GmbH"
private let replyText = "Hi, we'll pay on Friday.\nJana"
private let account = "account.updated"
private let reply = "reply.received"

/// Rejection reasons go into dead-letter headers and logs, so they must never carry personal
/// data from the message: not the e-mail, phone, names or reply text, whatever went wrong.
@Suite("Event parser: reasons carry no personal data")
struct EventPrivacyTests {

    /// Pieces of the personal data that must not appear in any reason, compared case-insensitively.
    static let fragments = ["jana", "mueller", "nordlicht", "1234567", "logistik", "friday", "we'll pay"]

    static func assertClean(_ body: [UInt8], _ label: String, expecting errorClass: DeadLetterClass? = nil) {
        guard case .failure(let rejection) = EventParser.parse(body) else {
            Issue.record("\(label): expected a rejection")
            return
        }
        if let errorClass { #expect(rejection.errorClass == errorClass, "\(label): \(rejection)") }
        let reason = rejection.reason.lowercased()
        for fragment in fragments {
            #expect(!reason.contains(fragment), "\(label): reason \(rejection.reason.debugDescription) leaks \(fragment)")
        }
    }


    @Test("a bad personal field is named, never quoted")
    func personalFieldsThemselves() {
        let cases: [(String, String, JSONValue, DeadLetterClass)] = [
            (account, "contact.email", .string(String(repeating: email, count: 20)), .semantic),
            (account, "contact.email", .string(email + "\u{0}"), .semantic),
            (account, "contact.phone", .number(JSONNumber(4_930_1234567)), .schema),
            (account, "contact.phone", .string(phone + String(repeating: "7", count: 100)), .semantic),
            (account, "contact.first_name", ["Jana"], .schema),
            (account, "name", .string(String(repeating: name, count: 100)), .semantic),
            (account, "name", .string(name + "\u{0}"), .semantic),
            (account, "tags", [.string(email), 7], .schema),
            (account, "tags", [.string(String(repeating: name, count: 20))], .semantic),
            (account, "timezone", .string(name), .semantic),
            (account, "locale", .string(email), .semantic),
            (account, "preferred_channel", .object(["email": .string(email)]), .schema),
            (reply, "text", .string(String(repeating: replyText, count: 3_000)), .semantic),
            (reply, "text", ["Hi", "Friday"], .schema),
            (reply, "channel", .string(replyText), .semantic),
            (reply, "account_id", .string(replyText), .semantic), // a control character in an id
        ]
        for (type, path, value, errorClass) in cases {
            let body = EventSamples.body(type, data: { $0 = EventSamples.setting(path, to: value, in: $0) })
            Self.assertClean(body, "\(type) \(path)", expecting: errorClass)
        }
    }

    @Test("other failures in a message full of personal data do not echo it")
    func otherFailures() {
        let bodies: [(String, [UInt8], DeadLetterClass)] = [
            ("account version wrong type", EventSamples.body(account, data: { $0["version"] = "seven" }), .schema),
            ("account id missing", EventSamples.body(account, data: { $0["account_id"] = nil }), .schema),
            ("reply timestamp", EventSamples.body(reply, data: { $0["received_at"] = "Friday" }), .semantic),
            ("type is an e-mail", EventSamples.body(reply, envelope: { $0["type"] = .string(email) }), .unknownType),
            ("type is a phone number", EventSamples.body(reply, envelope: { $0["type"] = .string(phone) }), .unknownType),
            ("type is a name", EventSamples.body(reply, envelope: { $0["type"] = .string(name) }), .unknownType),
            ("type is reply text", EventSamples.body(reply, envelope: { $0["type"] = .string(replyText) }), .unknownType),
            ("id is a name with a newline", EventSamples.body(reply, envelope: { $0["id"] = .string("Jana\nMueller") }), .semantic),
            ("source is a number", EventSamples.body(account, envelope: { $0["source"] = 1234567 }), .schema),
        ]
        for (label, body, errorClass) in bodies { Self.assertClean(body, label, expecting: errorClass) }
    }

    @Test("JSON errors inside personal values report a position, not the value")
    func jsonErrors() {
        func replacing(_ target: String, with replacement: String, in type: String) -> [UInt8] {
            let text = String(decoding: EventSamples.body(type), as: UTF8.self)
            return Array(text.replacingOccurrences(of: target, with: replacement).utf8)
        }
        let bodies: [(String, [UInt8])] = [
            ("bad escape in the e-mail", replacing(email, with: #"jana.mueller\@nordlicht.example"#, in: account)),
            ("unquoted name", replacing("\"" + name + "\"", with: name, in: account)),
            ("raw tab in the reply", replacing("Hi, we", with: "Hi,\twe", in: reply)),
            ("unterminated reply", Array(String(decoding: EventSamples.body(reply), as: UTF8.self)
                .components(separatedBy: "Friday")[0].utf8)),
            ("lone surrogate in the phone", replacing("+49 30", with: #"+49 \uD83D 30"#, in: account)),
            ("invalid UTF-8 in the name", Array(EventSamples.body(account).split(separator: UInt8(ascii: "G"), maxSplits: 1)
                .joined(separator: [0xC3, 0x28]))),
        ]
        for (label, body) in bodies { Self.assertClean(body, label, expecting: .malformed) }
    }
}
