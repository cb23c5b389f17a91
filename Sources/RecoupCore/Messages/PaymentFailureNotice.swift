import Foundation

/// The customer notice after a failed payment (stage `payment_failed`): safe wording from the
/// taxonomy's reasons, the invoice, when Recoup will retry, and the link to pay or update.
public enum PaymentFailureNotice {
    public static let stage = "payment_failed"
    public static let tone = "courtesy"
    public static let channel = "email"

    /// Who the notice is for and what it is about, as the store read them.
    public struct Facts: Sendable {
        public var accountID: String
        public var firstName: String?
        public var email: String?
        public var emailConsent: Bool
        public var locale: String
        public var timeZone: TimeZone
        public var invoiceID: String
        public var invoiceNumber: String?
        public var openBalance: Money?
        public var dueDate: LocalDate?
        public var paymentURL: String?

        public init(accountID: String, firstName: String?, email: String?, emailConsent: Bool, locale: String, timeZone: TimeZone,
                    invoiceID: String, invoiceNumber: String?, openBalance: Money?, dueDate: LocalDate?, paymentURL: String?) {
            self.accountID = accountID
            self.firstName = firstName
            self.email = email
            self.emailConsent = emailConsent
            self.locale = locale
            self.timeZone = timeZone
            self.invoiceID = invoiceID
            self.invoiceNumber = invoiceNumber
            self.openBalance = openBalance
            self.dueDate = dueDate
            self.paymentURL = paymentURL
        }
    }

    /// Why no notice goes out (audited as a suppression, never silent).
    public enum Suppressed: Error, Sendable, Equatable {
        case noEmailAddress
        case noEmailConsent
        case noTemplate(String)
        /// The rendered text would reveal a decline reason; it is not sent.
        case unsafeWording([String])

        public var label: String {
            switch self {
            case .noEmailAddress: "no_email_address"
            case .noEmailConsent: "no_email_consent"
            case .noTemplate: "no_template"
            case .unsafeWording: "unsafe_wording"
            }
        }
    }

    /// Renders the notice, or says why it must not be sent.
    public static func compose(_ facts: Facts, reason: String, retryAt: Date?, templates: TemplateLibrary,
                               messageID: String, causedBy: String) -> Result<CustomerMessage, Suppressed> {
        guard let email = facts.email, !email.isEmpty else { return .failure(.noEmailAddress) }
        guard facts.emailConsent else { return .failure(.noEmailConsent) }
        guard let (template, locale) = templates.template(channel: channel, stage: stage, tone: tone, locale: facts.locale) else {
            return .failure(.noTemplate("\(channel)/\(stage)/\(tone).\(facts.locale)"))
        }
        var tokens: [String: String] = [
            "first_name": facts.firstName ?? "",
            "invoice_number": facts.invoiceNumber ?? "",
            "decline_reason": reason,
            "payment_link": facts.paymentURL ?? "",
            "update_link": facts.paymentURL ?? "",
        ]
        if let balance = facts.openBalance {
            tokens["amount"] = LocalFormat.money(balance, locale: locale)
            tokens["remaining_balance"] = tokens["amount"]
        }
        if let due = facts.dueDate { tokens["due_date"] = LocalFormat.date(due, locale: locale) }
        if let retryAt { tokens["retry_date"] = LocalFormat.date(retryAt, locale: locale, timeZone: facts.timeZone) }
        let (subject, body) = template.render(tokens)
        let unsafe = CustomerWording.forbiddenWords(in: (subject ?? "") + " " + body)
        guard unsafe.isEmpty else { return .failure(.unsafeWording(unsafe)) }
        return .success(CustomerMessage(
            messageID: messageID, accountID: facts.accountID, invoiceID: facts.invoiceID, channel: channel, to: email,
            template: template.name, stage: stage, tone: tone, subject: subject, body: body, locale: locale,
            paymentURL: facts.paymentURL, causedBy: causedBy))
    }
}
