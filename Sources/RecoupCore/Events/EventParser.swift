/// Turns the bytes of one inbound message into a validated event, or the reason it must be
/// dead-lettered. Pure and total: any input yields one or the other.
public enum EventParser {
    /// CONTRACT.md's size limit for one message.
    public static let maxBodyBytes = 256 * 1024

    /// The inbound `type`s of CONTRACT.md.
    public static let inboundTypes: [String] = [
        "account.updated", "invoice.created", "invoice.updated", "invoice.paid", "invoice.voided",
        "payment.succeeded", "payment.failed", "dispute.opened", "dispute.resolved", "crm.signal",
        "collections.promise_recorded", "collections.plan_agreed", "reply.received",
    ]

    public static func parse(_ body: [UInt8]) -> Result<ParsedEvent, EventRejection> {
        do throws(EventRejection) {
            return .success(try parseOrThrow(body))
        } catch {
            return .failure(error)
        }
    }

    static func parseOrThrow(_ body: [UInt8]) throws(EventRejection) -> ParsedEvent {
        guard body.count <= maxBodyBytes else {
            throw EventRejection(.tooLarge, "message is \(body.count) bytes; the limit is \(maxBodyBytes)")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(body)
        } catch {
            throw EventRejection(.malformed, "not valid JSON: \(error.reason) at byte \(error.offset)")
        }
        guard case .object(let root) = document else {
            throw EventRejection(.malformed, "not a CloudEvent: the message is \(document.typeName), not a JSON object")
        }
        let envelope = FieldReader(root, path: "")
        guard let specVersion = try envelope.string("specversion", max: 16) else {
            throw EventRejection(.schema, "not a CloudEvent: specversion is missing")
        }
        guard specVersion == "1.0" else { throw EventRejection(.schema, "specversion: expected \"1.0\"") }
        let id = try envelope.requiredID("id")
        let source = try envelope.requiredString("source", max: 1_000)
        guard !source.isEmpty else { throw EventRejection(.schema, "source: must not be empty") }
        let type = try envelope.requiredString("type", max: 200)
        let time = try envelope.timestamp("time")
        let contentType = try envelope.string("datacontenttype", max: 200)
        guard inboundTypes.contains(type) else {
            throw EventRejection(.unknownType, "type \(JSONValue.quote(printable(type))) is not an inbound event type")
        }
        let data = try envelope.requiredObject("data")
        let event = try parseData(type: type, data)
        return ParsedEvent(
            envelope: CloudEventEnvelope(id: id, source: source, type: type, time: time, dataContentType: contentType),
            event: event)
    }

    /// A type name fit to quote in a reason: short, and only the characters type names use.
    static func printable(_ text: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-".unicodeScalars)
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.prefix(64).map { allowed.contains($0) ? $0 : "?" }))
        return text.unicodeScalars.count > 64 ? cleaned + "…" : cleaned
    }

    static func parseData(type: String, _ d: FieldReader) throws(EventRejection) -> InboundEvent {
        switch type {
        case "account.updated": return .accountUpdated(try account(d))
        case "invoice.created": return .invoiceCreated(try invoice(d))
        case "invoice.updated": return .invoiceUpdated(try invoice(d))
        case "invoice.paid":
            return .invoicePaid(InvoicePaid(
                invoiceID: try d.requiredID("invoice_id"), accountID: try d.requiredID("account_id"),
                paidAt: try d.requiredTimestamp("paid_at"), version: try d.requiredVersion()))
        case "invoice.voided":
            return .invoiceVoided(InvoiceVoided(
                invoiceID: try d.requiredID("invoice_id"), accountID: try d.requiredID("account_id"),
                version: try d.requiredVersion()))
        case "payment.succeeded":
            return .paymentSucceeded(PaymentSucceeded(
                paymentID: try d.requiredID("payment_id"), invoiceID: try d.requiredID("invoice_id"),
                accountID: try d.requiredID("account_id"), amountMinor: try d.requiredAmount("amount_minor"),
                currency: try d.requiredCurrency("currency"), succeededAt: try d.requiredTimestamp("succeeded_at")))
        case "payment.failed": return .paymentFailed(try paymentFailed(d))
        case "dispute.opened":
            return .disputeOpened(DisputeOpened(
                disputeID: try d.requiredID("dispute_id"), invoiceID: try d.requiredID("invoice_id"),
                accountID: try d.requiredID("account_id"), reason: try d.string("reason")))
        case "dispute.resolved":
            return .disputeResolved(DisputeResolved(
                disputeID: try d.requiredID("dispute_id"), invoiceID: try d.requiredID("invoice_id"),
                accountID: try d.requiredID("account_id"), reason: try d.string("reason"),
                outcome: try d.choice("outcome", DisputeOutcome.self)))
        case "crm.signal":
            return .crmSignal(CRMSignal(
                accountID: try d.requiredID("account_id"), kind: try d.requiredChoice("kind", CRMSignalKind.self),
                priority: try d.choice("priority", SignalPriority.self), reference: try d.string("reference"),
                detail: try d.string("detail", max: FieldReader.maxLongText)))
        case "collections.promise_recorded":
            return .promiseRecorded(PromiseRecorded(
                invoiceID: try d.requiredID("invoice_id"), accountID: try d.requiredID("account_id"),
                promisedDate: try d.requiredDate("promised_date"), amountMinor: try d.amount("amount_minor"),
                recordedBy: try d.string("recorded_by")))
        case "collections.plan_agreed":
            let invoiceID = try d.requiredID("invoice_id"), accountID = try d.requiredID("account_id")
            let installments: [PlanAgreed.Installment]? = try d.objects("installments") { (item: FieldReader) throws(EventRejection) in
                PlanAgreed.Installment(dueDate: try item.date("due_date"), amountMinor: try item.amount("amount_minor"))
            }
            guard let installments else { throw EventRejection(.schema, "data.installments: required field is missing") }
            guard !installments.isEmpty else { throw EventRejection(.semantic, "data.installments: must not be empty") }
            return .planAgreed(PlanAgreed(invoiceID: invoiceID, accountID: accountID, installments: installments,
                                          recordedBy: try d.string("recorded_by")))
        case "reply.received":
            return .replyReceived(ReplyReceived(
                replyID: try d.requiredID("reply_id"), accountID: try d.requiredID("account_id"),
                invoiceID: try d.id("invoice_id"), channel: try d.requiredChoice("channel", ReplyChannel.self),
                inReplyTo: try d.id("in_reply_to"), text: try d.requiredString("text", max: FieldReader.maxLongText),
                receivedAt: try d.requiredTimestamp("received_at")))
        default:
            throw EventRejection(.unknownType, "type is not an inbound event type")
        }
    }

    static func account(_ d: FieldReader) throws(EventRejection) -> AccountUpdated {
        let accountID = try d.requiredID("account_id")
        let contact = try d.object("contact").map { (c: FieldReader) throws(EventRejection) in
            AccountUpdated.Contact(firstName: try c.string("first_name"), email: try c.string("email", max: 320),
                                   phone: try c.string("phone", max: 64))
        }
        let owners = try d.object("owners").map { (o: FieldReader) throws(EventRejection) in
            AccountUpdated.Owners(accountManager: try o.string("account_manager"), csm: try o.string("csm"),
                                  collector: try o.string("collector"))
        }
        var consents = AccountUpdated.Consents()
        if let c = try d.object("consents") {
            consents.email = try c.bool("email") ?? true
            consents.sms = try c.bool("sms") ?? false
            consents.inApp = try c.bool("in_app") ?? true
        }
        return AccountUpdated(
            accountID: accountID, name: try d.string("name"), contact: contact,
            timezone: try d.timeZone("timezone") ?? "UTC", locale: try d.string("locale", max: 35) ?? "en-US",
            currency: try d.currency("currency"), arrMinor: try d.amount("arr_minor"),
            tier: try d.choice("tier", ValueTier.self), owners: owners, consents: consents,
            preferredChannel: try d.string("preferred_channel", max: 32), tags: try d.strings("tags"),
            version: try d.requiredVersion())
    }

    static func invoice(_ d: FieldReader) throws(EventRejection) -> InvoiceSnapshot {
        let snapshot = InvoiceSnapshot(
            invoiceID: try d.requiredID("invoice_id"), accountID: try d.requiredID("account_id"),
            number: try d.requiredString("number", max: FieldReader.maxIDLength), currency: try d.requiredCurrency("currency"),
            amountDueMinor: try d.requiredAmount("amount_due_minor"), amountPaidMinor: try d.amount("amount_paid_minor") ?? 0,
            issuedAt: try d.timestamp("issued_at"), dueDate: try d.requiredDate("due_date"),
            status: try d.requiredChoice("status", InvoiceStatus.self), paymentURL: try d.url("payment_url"),
            version: try d.requiredVersion())
        guard snapshot.amountPaidMinor <= snapshot.amountDueMinor else {
            throw EventRejection(.semantic, "data.amount_paid_minor: exceeds data.amount_due_minor")
        }
        return snapshot
    }

    static func paymentFailed(_ d: FieldReader) throws(EventRejection) -> PaymentFailed {
        let paymentID = try d.requiredID("payment_id"), invoiceID = try d.requiredID("invoice_id")
        let accountID = try d.requiredID("account_id")
        let amount = try d.requiredAmount("amount_minor"), currency = try d.requiredCurrency("currency")
        let attemptedAt = try d.requiredTimestamp("attempted_at")
        let attempt = try d.smallInt("attempt", in: 1...10_000)
        let m = try d.requiredObject("method")
        let method = PaymentFailed.Method(
            id: try m.requiredID("id"), type: try m.requiredChoice("type", PaymentMethodType.self),
            network: try m.string("network", max: 64), expMonth: try m.smallInt("exp_month", in: 1...12),
            expYear: try m.smallInt("exp_year", in: 2000...2200))
        let x = try d.requiredObject("decline")
        let decline = PaymentFailed.Decline(
            code: try x.requiredString("code", max: 64), scheme: try x.choice("scheme", DeclineScheme.self),
            networkAdviceCode: try x.string("network_advice_code", max: 16), message: try x.string("message"))
        guard !decline.code.isEmpty else { throw EventRejection(.schema, "data.decline.code: must not be empty") }
        let backups = try d.objects("backup_methods") { (b: FieldReader) throws(EventRejection) in
            PaymentFailed.BackupMethod(id: try b.id("id"), type: try b.string("type", max: 64), network: try b.string("network", max: 64))
        } ?? []
        return PaymentFailed(paymentID: paymentID, invoiceID: invoiceID, accountID: accountID, amountMinor: amount,
                             currency: currency, attemptedAt: attemptedAt, attempt: attempt, method: method,
                             decline: decline, backupMethods: backups)
    }
}
