import Foundation

/// One invoice as a customer message names it.
public struct MessageInvoice: Sendable, Hashable {
    public var invoiceID: String
    public var number: String?
    public var openBalance: Money?
    public var dueDate: LocalDate?
    public var paymentURL: String?

    public init(invoiceID: String, number: String?, openBalance: Money?, dueDate: LocalDate?, paymentURL: String?) {
        self.invoiceID = invoiceID
        self.number = number
        self.openBalance = openBalance
        self.dueDate = dueDate
        self.paymentURL = paymentURL
    }
}

/// Who a customer message goes to, and how they read.
public struct MessageRecipient: Sendable, Hashable {
    public var accountID: String
    public var firstName: String?
    public var email: String?
    public var phone: String?
    public var locale: String
    public var timeZone: TimeZone

    public init(accountID: String, firstName: String?, email: String?, phone: String?, locale: String, timeZone: TimeZone) {
        self.accountID = accountID
        self.firstName = firstName
        self.email = email
        self.phone = phone
        self.locale = locale
        self.timeZone = timeZone
    }
}

/// Why a customer message is not sent (audited as a suppression, never silent).
public enum MessageSuppression: Error, Sendable, Equatable {
    case noAddress(channel: String)
    case noConsent(channel: String)
    case noTemplate(String)
    /// The rendered text would reveal a decline reason.
    case unsafeWording([String])
    /// An SMS longer than two segments.
    case tooLong(characters: Int)

    /// The reason audit rows and counters name (`no_email_address`, `no_sms_consent`, ...).
    public var label: String {
        switch self {
        case .noAddress(let channel): "no_\(channel)_address"
        case .noConsent(let channel): "no_\(channel)_consent"
        case .noTemplate: "no_template"
        case .unsafeWording: "unsafe_wording"
        case .tooLong: "too_long"
        }
    }
}

/// Renders a customer message from the templates: the tokens of the seeds' templates (first
/// name, invoice number, amount, due date, payment link, remaining balance) in the account's
/// locale; several invoices of one account in one message (`several`, `invoice_count`,
/// `total_amount`, and `invoices` with `number`, `amount`, `due_date`, `payment_link` each).
public enum MessageComposer {
    public static func compose(channel: String, stage: String, tone: String, recipient: MessageRecipient,
                               invoices: [MessageInvoice], extraTokens: [String: String] = [:], templates: TemplateLibrary,
                               messageID: String, causedBy: String) -> Result<CustomerMessage, MessageSuppression> {
        let address: String?
        switch channel {
        case "email": address = recipient.email
        case "sms": address = recipient.phone
        default: address = recipient.accountID
        }
        guard let to = address, !to.isEmpty else { return .failure(.noAddress(channel: channel)) }
        guard let (template, locale) = templates.template(channel: channel, stage: stage, tone: tone, locale: recipient.locale) else {
            return .failure(.noTemplate("\(channel)/\(stage)/\(tone).\(recipient.locale)"))
        }
        var context = tokens(recipient: recipient, invoices: invoices, locale: locale)
        for (key, value) in extraTokens { context[key] = value }
        let (subject, body) = template.render(context)
        let unsafe = CustomerWording.forbiddenWords(in: (subject ?? "") + " " + body)
        guard unsafe.isEmpty else { return .failure(.unsafeWording(unsafe)) }
        if channel == "sms", let limit = SMSLength.twoSegmentLimit(body), body.count > limit {
            return .failure(.tooLong(characters: body.count))
        }
        let first = invoices.first
        return .success(CustomerMessage(
            messageID: messageID, accountID: recipient.accountID, invoiceID: invoices.count == 1 ? first?.invoiceID : nil,
            invoiceIDs: invoices.map(\.invoiceID), channel: channel, to: to, template: template.name, stage: stage, tone: tone, subject: subject, body: body,
            locale: locale, paymentURL: first?.paymentURL, causedBy: causedBy))
    }

    static func tokens(recipient: MessageRecipient, invoices: [MessageInvoice], locale: String) -> [String: Any] {
        var context: [String: Any] = ["first_name": recipient.firstName ?? ""]
        let items: [[String: String]] = invoices.map { invoice in
            var item = ["number": invoice.number ?? "", "payment_link": invoice.paymentURL ?? ""]
            if let balance = invoice.openBalance { item["amount"] = LocalFormat.money(balance, locale: locale) }
            if let due = invoice.dueDate { item["due_date"] = LocalFormat.date(due, locale: locale) }
            return item
        }
        if let first = items.first {
            context["invoice_number"] = first["number"]
            context["amount"] = first["amount"] ?? ""
            context["remaining_balance"] = first["amount"] ?? ""
            context["due_date"] = first["due_date"] ?? ""
            context["payment_link"] = first["payment_link"]
            context["update_link"] = first["payment_link"]
        }
        context["invoices"] = items
        context["invoice_count"] = String(invoices.count)
        if invoices.count > 1 { context["several"] = true }
        let balances = invoices.compactMap(\.openBalance)
        if let currency = balances.first?.currency, balances.allSatisfy({ $0.currency == currency }) {
            let total = balances.reduce(Money.zero(currency)) { $0.adding($1) ?? $0 }
            context["total_amount"] = LocalFormat.money(total, locale: locale)
        }
        return context
    }
}

/// SMS length: two segments are 306 GSM-7 characters, or 134 when any character needs UCS-2.
public enum SMSLength {
    static let gsm7 = Set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà€")

    /// The longest body that fits in two segments.
    public static func twoSegmentLimit(_ text: String) -> Int? {
        text.allSatisfy { gsm7.contains($0) } ? 306 : 134
    }
}
