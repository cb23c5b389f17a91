import Foundation

/// The customer notice after a failed payment (stage `payment_failed`): safe wording from the
/// taxonomy's reasons, the invoice, when Recoup will retry, and the link to pay or update.
public enum PaymentFailureNotice {
    public static let stage = "payment_failed"
    public static let tone = "courtesy"
    public static let channel = "email"

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
    public static func compose(to recipient: MessageRecipient, emailConsent: Bool, invoice: MessageInvoice, reason: String,
                               retryAt: Date?, templates: TemplateLibrary, messageID: String,
                               causedBy: String) -> Result<CustomerMessage, Suppressed> {
        guard recipient.email?.isEmpty == false else { return .failure(.noEmailAddress) }
        guard emailConsent else { return .failure(.noEmailConsent) }
        var extra = ["decline_reason": reason]
        if let retryAt {
            let locale = templates.template(channel: channel, stage: stage, tone: tone, locale: recipient.locale)?.locale ?? recipient.locale
            extra["retry_date"] = LocalFormat.date(retryAt, locale: locale, timeZone: recipient.timeZone)
        }
        switch MessageComposer.compose(channel: channel, stage: stage, tone: tone, recipient: recipient, invoices: [invoice],
                                       extraTokens: extra, templates: templates, messageID: messageID, causedBy: causedBy) {
        case .success(let message): return .success(message)
        case .failure(.noTemplate(let name)): return .failure(.noTemplate(name))
        case .failure(.unsafeWording(let words)): return .failure(.unsafeWording(words))
        case .failure: return .failure(.noEmailAddress)
        }
    }
}
