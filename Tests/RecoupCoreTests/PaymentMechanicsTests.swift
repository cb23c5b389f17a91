import Foundation
import Mustache
import PropertySupport
import Testing
@testable import RecoupCore

/// The small pure pieces under the retry planner and the notices.
@Suite("Payment mechanics")
struct PaymentMechanicsTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let hour: TimeInterval = 3_600

    @Test("a rolling window counts every attempt in any window containing the new one, earlier or later")
    func slidingWindow() {
        let day = 24 * Self.hour
        let past = (0..<3).map { Self.t0.addingTimeInterval(Double($0) * Self.hour) }        // t0, +1h, +2h
        #expect(SlidingWindow.allows(Self.t0.addingTimeInterval(3 * Self.hour), existing: past, limit: 4, length: day))
        #expect(!SlidingWindow.allows(Self.t0.addingTimeInterval(3 * Self.hour), existing: past, limit: 3, length: day))
        // The oldest leaves the window exactly one length after it.
        #expect(SlidingWindow.earliest(after: Self.t0.addingTimeInterval(3 * Self.hour), existing: past, limit: 3, length: day)
                == Self.t0.addingTimeInterval(day))
        // A scheduled attempt later than the new one counts too.
        let future = [Self.t0.addingTimeInterval(10 * Self.hour)]
        #expect(!SlidingWindow.allows(Self.t0, existing: future, limit: 1, length: day))
        #expect(SlidingWindow.allows(Self.t0, existing: future, limit: 2, length: day))
        #expect(!SlidingWindow.allows(Self.t0, existing: [], limit: 0, length: day), "a limit of 0 allows nothing")
    }

    @Test("paydays: move forward to the 1st or 15th when within the window, never backward", arguments: [
        ("2026-12-13T10:00:00Z", "UTC", "2026-12-15T10:00:00Z"),
        ("2026-12-10T10:00:00Z", "UTC", nil),
        ("2026-12-15T10:00:00Z", "UTC", nil),
        ("2026-12-30T23:00:00Z", "UTC", "2027-01-01T23:00:00Z"),
        // 23:30 UTC on the 14th is already the 15th in Tokyo: a payday there, so no move.
        ("2026-12-14T23:30:00Z", "Asia/Tokyo", nil),
    ])
    func paydays(_ time: String, zone: String, expected: String?) {
        let moved = Paydays.align(Timestamp.parse(time)!, paydays: [1, 15], window: 2 * 86_400, timeZone: TimeZone(identifier: zone)!)
        #expect(moved == expected.map { Timestamp.parse($0)! })
    }

    @Test("durations print in the spelling they parse from")
    func durations() throws {
        for text in ["3d", "1d12h", "2h", "90m", "1h30m", "45s", "10d"] {
            let seconds = try ClockText.duration(text)
            #expect(try ClockText.duration(ClockText.format(seconds)) == seconds)
        }
        #expect(ClockText.format(36 * Self.hour) == "1d12h")
        #expect(ClockText.format(0) == "0s")
    }

    @Test("stable ids: the same parts give the same id, different or re-split parts another")
    func stableIDs() {
        #expect(StableID.make("rty", "evt_1") == StableID.make("rty", "evt_1"))
        #expect(StableID.make("rty", "evt_1") != StableID.make("rty", "evt_2"))
        #expect(StableID.make("x", "ab", "c") != StableID.make("x", "a", "bc"))
        #expect(StableID.make("rty", "evt_1").count == 4 + 32)
    }

    @Test("plan notes write times as RFC 3339 UTC", arguments: [
        (0.0, "1970-01-01T00:00:00Z"), (1_800_000_000.0, "2027-01-15T08:00:00Z"), (-1.0, "1969-12-31T23:59:59Z"),
    ])
    func timestamps(_ seconds: Double, _ text: String) {
        #expect(Timestamps.format(Date(timeIntervalSince1970: seconds)) == text)
        #expect(LocalDate.utc(of: Date(timeIntervalSince1970: seconds)).description == String(text.prefix(10)))
    }

    @Test("value tier from ARR in the account's currency, unless the account names its tier")
    func valueTier() {
        #expect(ValueTier.of(arrMinor: 25_000_000, currency: .usd, override: nil) == .strategic)
        #expect(ValueTier.of(arrMinor: 2_500_000, currency: .usd, override: nil) == .midMarket)
        #expect(ValueTier.of(arrMinor: 2_499_999, currency: .usd, override: nil) == .longTail)
        #expect(ValueTier.of(arrMinor: 250_000, currency: .jpy, override: nil) == .strategic, "JPY has no minor units")
        #expect(ValueTier.of(arrMinor: 1, currency: .usd, override: .strategic) == .strategic)
        #expect(ValueTier.of(arrMinor: nil, currency: nil, override: nil) == .longTail)
    }

    static func library(_ body: String) throws -> TemplateLibrary {
        var library = TemplateLibrary()
        library.add(MessageTemplate(name: "payment_failed.courtesy", subject: try MustacheTemplate(string: "Invoice {{invoice_number}}"),
                                    body: try MustacheTemplate(string: body)),
                    for: .init(channel: "email", stage: "payment_failed", tone: "courtesy", locale: "en-US"))
        return library
    }

    static let recipient = MessageRecipient(accountID: "a", firstName: "<Dana>", email: "d@example.test", phone: nil, locale: "en-GB",
                                            timeZone: TimeZone(identifier: "UTC")!)
    static let invoice = MessageInvoice(invoiceID: "i", number: "INV-1", openBalance: Money(minorUnits: 123_450, currency: .usd),
                                        dueDate: LocalDate("2026-12-01"), paymentURL: "https://pay.example/i")

    static func compose(_ recipient: MessageRecipient = recipient, consent: Bool = true, reason: String, retryAt: Date? = nil,
                        templates: TemplateLibrary) -> Result<CustomerMessage, MessageSuppression> {
        PaymentFailureNotice.compose(to: recipient, emailConsent: consent, invoice: invoice, reason: reason, retryAt: retryAt,
                                     templates: templates, messageID: "msg_1", causedBy: "evt")
    }

    @Test("a notice renders with escaped tokens, local money and dates, in the nearest locale")
    func noticeRenders() throws {
        let library = try Self.library("Hi {{first_name}}, {{amount}} was due {{due_date}}. {{decline_reason}} {{#retry_date}}Retry {{retry_date}}.{{/retry_date}}")
        let message = try Self.compose(reason: "Your bank declined the payment.", retryAt: Self.t0, templates: library).get()
        #expect(message.body.contains("&lt;Dana&gt;"), "tokens are HTML-escaped: \(message.body)")
        #expect(message.body.contains("$1,234.50"))
        #expect(message.body.contains("December 1, 2026"))
        #expect(message.body.contains("Retry January 15, 2027."))
        #expect(message.locale == "en-US", "en-GB falls back to en-US")
        #expect(message.subject == "Invoice INV-1")
    }

    @Test("a notice is not sent without an address or consent, or when its text would reveal why")
    func noticeSuppressed() throws {
        let library = try Self.library("{{decline_reason}}")
        var noEmail = Self.recipient
        noEmail.email = nil
        #expect(Self.compose(noEmail, reason: "x", templates: library) == .failure(.noAddress(channel: "email")))
        #expect(Self.compose(consent: false, reason: "x", templates: library) == .failure(.noConsent(channel: "email")))
        // The labels audit rows carry.
        #expect(MessageSuppression.noAddress(channel: "email").label == "no_email_address")
        #expect(MessageSuppression.noConsent(channel: "email").label == "no_email_consent")
        #expect(Self.compose(reason: "Your card was reported stolen.", templates: library) == .failure(.unsafeWording(["stolen"])))
        #expect(Self.compose(reason: "x", templates: TemplateLibrary()).map(\.messageID)
                == .failure(.noTemplate("email/payment_failed/courtesy.en-GB")))
    }

    @Test("forbidden words are found as whole words, whatever the case")
    func forbidden() {
        #expect(CustomerWording.forbiddenWords(in: "Your card was STOLEN!") == ["stolen"])
        #expect(CustomerWording.forbiddenWords(in: "Lost in the post; suspected Fraud") == ["lost", "fraud", "suspected"])
        #expect(CustomerWording.forbiddenWords(in: "Your bank declined the payment.").isEmpty)
        #expect(CustomerWording.forbiddenWords(in: "a blockedness of the stolenish").isEmpty)
        #expect(CustomerWording.forbiddenWords(in: "Please pick-up the card") == ["pick up"])
        #expect(CustomerWording.forbiddenWords(in: "PICK UP") == ["pick up"])
        #expect(CustomerWording.forbiddenWords(in: "pick  up, pick, up").isEmpty, "a phrase's words stand one character apart")
    }

    /// The first definition, kept as the model: the text lowercased, every non-letter a space,
    /// and each forbidden word looked for with a space on either side.
    static func modelForbiddenWords(in text: String) -> [String] {
        let lowered = " " + text.lowercased().map { $0.isLetter ? $0 : " " }.reduce(into: "") { $0.append($1) } + " "
        return CustomerWording.forbiddenWords.filter { lowered.contains(" \($0) ") }
    }

    @Test("forbidden words: the word-by-word reading finds what the first definition finds, on 2,000 random texts")
    func forbiddenMatchesModel() {
        var random = SeededGenerator(seed: 2026_12_06)
        let pieces = CustomerWording.forbiddenWords + CustomerWording.forbiddenWords.map { $0.uppercased() } + [
            "card", "bank", "Ünïcode", "straße", "pickups", "lostness", "x", "é", "İstanbul", "naïve",
        ] + Array(repeating: "pick", count: 12) + Array(repeating: "Up", count: 12)
        let separators = [" ", "  ", "-", ", ", "\n", "\r\n", ".", "'", "1", "", "\u{301}", "🙂", "\t "]
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...12, using: &random) {
                text += pieces.randomElement(using: &random)! + separators.randomElement(using: &random)!
            }
            #expect(CustomerWording.forbiddenWords(in: text) == Self.modelForbiddenWords(in: text), "\(text.debugDescription)")
        }
    }
}
