import Foundation

/// The customer notice after a failed payment (stage `payment_failed`): safe wording from the
/// taxonomy's reasons, the invoice, when Recoup will retry, and the link to pay or update.
public enum PaymentFailureNotice {
    public static let stage = "payment_failed"
    public static let tone = "courtesy"
    public static let channel = "email"

    /// Renders the notice, or says why it must not be sent.
    public static func compose(to recipient: MessageRecipient, emailConsent: Bool, invoice: MessageInvoice, reason: String,
                               retryAt: Date?, templates: TemplateLibrary, messageID: String,
                               causedBy: String) -> Result<CustomerMessage, MessageSuppression> {
        guard recipient.email?.isEmpty == false else { return .failure(.noAddress(channel: channel)) }
        guard emailConsent else { return .failure(.noConsent(channel: channel)) }
        var extra = ["decline_reason": reason]
        if let retryAt {
            let locale = templates.template(channel: channel, stage: stage, tone: tone, locale: recipient.locale)?.locale ?? recipient.locale
            extra["retry_date"] = LocalFormat.date(retryAt, locale: locale, timeZone: recipient.timeZone)
        }
        return MessageComposer.compose(channel: channel, stage: stage, tone: tone, recipient: recipient, invoices: [invoice],
                                       extraTokens: extra, templates: templates, messageID: messageID, causedBy: causedBy)
    }
}
