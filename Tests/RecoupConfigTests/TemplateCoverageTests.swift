import Foundation
@testable import RecoupConfig
import RecoupCore
import Testing

/// The shipped templates cover every message the journey can send, in every shipped locale,
/// and render the way each channel needs.
@Suite("Message templates (shipped)")
struct TemplateCoverageTests {
    static let templates = ShippedPolicy.templates
    static let journey = JourneyTableTests.journey
    static let locales = ["en-US", "de-DE"]

    @Test("every channel of every stage and tier has a template in its tone, in en-US and de-DE")
    func coverage() {
        for rule in Self.journey.stages {
            for tier in ValueTier.allCases {
                for channel in rule.actions(for: tier).messages {
                    for locale in Self.locales {
                        let key = TemplateLibrary.Key(channel: channel.rawValue, stage: rule.stage.rawValue, tone: rule.tone.rawValue, locale: locale)
                        #expect(Self.templates.templates[key] != nil, "missing \(channel.rawValue)/\(rule.stage.rawValue)/\(rule.tone.rawValue).\(locale)")
                    }
                }
            }
        }
        for locale in Self.locales {
            #expect(Self.templates.templates[.init(channel: "email", stage: "partial_payment", tone: "courtesy", locale: locale)] != nil)
        }
    }

    static let recipient = MessageRecipient(accountID: "acc_1", firstName: "Dana & <Co>", email: "ap@example.test", phone: "+15555550100",
                                            locale: "de-DE", timeZone: TimeZone(identifier: "Europe/Berlin")!)
    static func invoice(_ n: Int, _ minor: Int64) -> MessageInvoice {
        MessageInvoice(invoiceID: "in_\(n)", number: "INV-\(n)", openBalance: Money(minorUnits: minor, currency: .eur),
                       dueDate: LocalDate("2026-12-01"), paymentURL: "https://pay.example/in_\(n)")
    }

    @Test("an email covers several invoices, in the account's locale, HTML-escaped in the body only")
    func severalInvoices() throws {
        let message = try MessageComposer.compose(
            channel: "email", stage: "overdue_1", tone: "courtesy", recipient: Self.recipient,
            invoices: [Self.invoice(1, 10_000), Self.invoice(2, 25_050), Self.invoice(3, 99)], templates: Self.templates,
            messageID: "msg_1", causedBy: "timer").get()
        // Currency formats put a no-break space before the euro sign.
        let body = message.body.replacingOccurrences(of: "\u{00A0}", with: " ").replacingOccurrences(of: "\u{202F}", with: " ")
        #expect(!body.contains("die Rechnung INV-1 über"), "the single-invoice sentence is not used for several")
        #expect(body.contains("für 3 Rechnungen haben wir noch keinen Zahlungseingang gesehen (insgesamt 351,49 €)"), "\(message.body)")
        for n in 1...3 { #expect(body.contains("INV-\(n)")) }
        #expect(body.contains("250,50 €"))
        #expect(body.contains("1. Dezember 2026"))
        #expect(message.body.contains("Dana &amp; &lt;Co&gt;"), "email bodies are HTML-escaped")
        #expect(message.invoiceID == nil)
        #expect(message.invoiceIDs == ["in_1", "in_2", "in_3"])
        #expect(message.locale == "de-DE")
        #expect(message.subject == "Kurze Nachfrage zu 3 Rechnungen", "\(message.subject ?? "")")
    }

    @Test("an SMS is plain text within two segments; a single-invoice email has no list")
    func smsAndSingle() throws {
        let sms = try MessageComposer.compose(
            channel: "sms", stage: "overdue_7", tone: "firm", recipient: Self.recipient, invoices: [Self.invoice(7, 120_000)],
            templates: Self.templates, messageID: "msg_2", causedBy: "timer").get()
        #expect(sms.to == "+15555550100")
        #expect(sms.body.contains("Dana & <Co>"), "SMS text is not HTML-escaped")
        #expect(sms.body.count <= 306)
        var english = Self.recipient
        english.locale = "en-US"
        let single = try MessageComposer.compose(
            channel: "email", stage: "overdue_7", tone: "firm", recipient: english, invoices: [Self.invoice(7, 120_000)],
            templates: Self.templates, messageID: "msg_3", causedBy: "timer").get()
        #expect(single.subject == "Invoice INV-7 is a week overdue")
        #expect(!single.body.contains("invoices are now a week past due"))
        #expect(single.body.contains("€1,200.00"))
        #expect(single.invoiceID == "in_7")
        let noPhone = MessageComposer.compose(
            channel: "sms", stage: "overdue_7", tone: "firm",
            recipient: MessageRecipient(accountID: "a", firstName: nil, email: nil, phone: nil, locale: "en-US", timeZone: .gmt),
            invoices: [Self.invoice(7, 1)], templates: Self.templates, messageID: "m", causedBy: "t")
        #expect(noPhone.map(\.messageID) == .failure(.noAddress(channel: "sms")))
    }

    @Test("an SMS template too long for two segments is refused when it loads")
    func longSMSRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recoup-templates-\(UUID().uuidString.prefix(8))")
        let file = folder.appendingPathComponent("templates/sms/overdue_7/firm.en-US.mustache")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try String(repeating: "Please pay invoice {{invoice_number}} at {{payment_link}}. ", count: 4).write(to: file, atomically: true, encoding: .utf8)
        do {
            _ = try TemplateFiles.load(directory: folder.path)
            Issue.record("a four-part SMS must be refused")
        } catch {
            #expect(error.file.hasSuffix("firm.en-US.mustache"))
            #expect(error.message.contains("two segments"), "\(error)")
        }
    }
}
