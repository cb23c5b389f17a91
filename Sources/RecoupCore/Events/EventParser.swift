/// Turns the body of one inbound message into a validated, typed event, or into the reason it
/// must be dead-lettered. Pure and total: every input yields one or the other, never a trap.
///
/// Checks run in this order, and the first failure decides the class:
/// 1. size: more than `maxBodyBytes` → `too_large` (before any parsing);
/// 2. JSON: not strict RFC 8259 JSON (including invalid UTF-8, a byte order mark, duplicate
///    keys, nesting deeper than 64) → `malformed`; a document that is not an object →
///    `malformed` ("not a CloudEvent: the message is an array, ...");
/// 3. CloudEvents: `specversion` (must be "1.0"), `id`, `source`, `type` missing, null, of the
///    wrong type or empty → `schema`, reason starting "not a CloudEvent:" (an over-long id or
///    one with control characters → `semantic`, like any other id);
/// 4. `type` not an inbound type (exact, case-sensitive) → `unknown_type`; the reason quotes
///    the type only when it is shaped like a type name (see `describeType`);
/// 5. optional attributes: `time` not RFC 3339 → `semantic`; `datacontenttype`, `subject`
///    not strings → `schema` (their values are not otherwise checked);
/// 6. `data` missing, null or not an object → `schema`;
/// 7. the payload, field by field, by `FieldReader`'s rules (`schema` for shape, `semantic`
///    for values), then the cross-field rules (`amount_paid_minor` ≤ `amount_due_minor`,
///    at least one installment).
///
/// The AMQP routing key plays no part: the body's `type` decides.
public enum EventParser {
    /// CONTRACT.md's size limit for one message (256 KiB).
    public static let maxBodyBytes = 256 * 1024

    /// The inbound `type`s of CONTRACT.md.
    public static let inboundTypes: [String] = InboundEvent.types

    public static func parse(_ body: [UInt8]) -> Result<ParsedEvent, EventRejection> {
        do {
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
        let specversion = try cloudEventAttribute(envelope, "specversion")
        guard specversion == "1.0" else { throw EventRejection(.schema, "not a CloudEvent: specversion must be \"1.0\"") }
        let id = try cloudEventAttribute(envelope, "id")
        let source = try cloudEventAttribute(envelope, "source")
        let type = try cloudEventAttribute(envelope, "type")
        guard InboundEvent.types.contains(type) else {
            throw EventRejection(.unknownType, "\(describeType(type)) is not an inbound event type")
        }
        let time = try envelope.timestamp("time")
        let contentType = try envelope.string("datacontenttype", max: 256)
        let subject = try envelope.string("subject", max: FieldReader.maxShortTextBytes)
        let data = try envelope.requiredObject("data")
        let event = try payload(type: type, data)
        return ParsedEvent(
            envelope: CloudEventEnvelope(id: id, source: source, type: type, specversion: specversion, time: time,
                                         datacontenttype: contentType, subject: subject),
            event: event)
    }

    /// A required CloudEvents attribute: a non-empty string. Shape problems say "not a CloudEvent".
    static func cloudEventAttribute(_ envelope: FieldReader, _ key: String) throws(EventRejection) -> String {
        let max = key == "id" ? FieldReader.maxIDBytes : 1_024
        do throws(EventRejection) {
            let text = try envelope.requiredString(key, max: max)
            guard !text.isEmpty else { throw EventRejection(.schema, "\(key): must not be empty") }
            if key == "id" { _ = try FieldReader.identifier(.string(text), key) }
            return text
        } catch {
            guard error.errorClass == .schema else { throw error }
            throw EventRejection(.schema, "not a CloudEvent: \(error.reason)")
        }
    }

    /// How an unknown `type` is named in a reason. Only something shaped like a type name is
    /// quoted — dot-separated words of letters, digits, `_` and `-`, at most 100 characters —
    /// so a value that is not a type name (an e-mail address, a phone number, free text) never
    /// reaches a header or a log through this path.
    static func describeType(_ type: String) -> String {
        let bytes = Array(type.utf8)
        var shaped = !bytes.isEmpty && bytes.count <= 100 && bytes.contains(UInt8(ascii: "."))
        var previous = UInt8(ascii: ".")
        for byte in bytes where shaped {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "-"):
                break
            case UInt8(ascii: ".") where previous != UInt8(ascii: "."):
                break
            default:
                shaped = false
            }
            previous = byte
        }
        if previous == UInt8(ascii: ".") { shaped = false }
        return shaped ? "type \"\(type)\"" : "type (not shaped like a type name)"
    }

    // MARK: - Payloads

    static func payload(type: String, _ data: FieldReader) throws(EventRejection) -> InboundEvent {
        switch type {
        case "account.updated": return .accountUpdated(try accountUpdated(data))
        case "invoice.created": return .invoiceCreated(try invoiceSnapshot(data))
        case "invoice.updated": return .invoiceUpdated(try invoiceSnapshot(data))
        case "invoice.paid": return .invoicePaid(try invoicePaid(data))
        case "invoice.voided": return .invoiceVoided(try invoiceVoided(data))
        case "payment.succeeded": return .paymentSucceeded(try paymentSucceeded(data))
        case "payment.failed": return .paymentFailed(try paymentFailed(data))
        case "dispute.opened": return .disputeOpened(try disputeOpened(data))
        case "dispute.resolved": return .disputeResolved(try disputeResolved(data))
        case "crm.signal": return .crmSignal(try crmSignal(data))
        case "collections.promise_recorded": return .promiseRecorded(try promiseRecorded(data))
        case "collections.plan_agreed": return .planAgreed(try planAgreed(data))
        case "reply.received": return .replyReceived(try replyReceived(data))
        default: throw EventRejection(.unknownType, "\(describeType(type)) is not an inbound event type")
        }
    }

    static func accountUpdated(_ d: FieldReader) throws(EventRejection) -> AccountUpdated {
        let accountID = try d.requiredID("account_id")
        let name = try d.string("name")
        let contact: AccountUpdated.Contact? = try d.object("contact").map { (c: FieldReader) throws(EventRejection) in
            AccountUpdated.Contact(firstName: try c.string("first_name"), email: try c.string("email", max: 320),
                                   phone: try c.string("phone", max: 64))
        }
        let timezone = try d.timeZone("timezone") ?? "UTC"
        let locale = try d.locale("locale") ?? "en-US"
        let currency = try d.currency("currency")
        let arrMinor = try d.amount("arr_minor")
        let tier = try d.choice("tier", ValueTier.self)
        let owners: AccountUpdated.Owners? = try d.object("owners").map { (o: FieldReader) throws(EventRejection) in
            AccountUpdated.Owners(accountManager: try o.string("account_manager", max: FieldReader.maxIDBytes),
                                  csm: try o.string("csm", max: FieldReader.maxIDBytes),
                                  collector: try o.string("collector", max: FieldReader.maxIDBytes))
        }
        var consents = AccountUpdated.Consents()
        if let c = try d.object("consents") {
            consents.email = try c.bool("email") ?? true
            consents.sms = try c.bool("sms") ?? false
            consents.inApp = try c.bool("in_app") ?? true
        }
        let preferredChannel = try d.string("preferred_channel", max: 64)
        let tags = try d.list("tags") { (value, field) throws(EventRejection) in
            try FieldReader.text(value, field, max: FieldReader.maxIDBytes)
        }
        return AccountUpdated(
            accountID: accountID, name: name, contact: contact, timezone: timezone, locale: locale, currency: currency,
            arrMinor: arrMinor, tier: tier, owners: owners, consents: consents, preferredChannel: preferredChannel,
            tags: tags, version: try d.requiredVersion())
    }

    static func invoiceSnapshot(_ d: FieldReader) throws(EventRejection) -> InvoiceSnapshot {
        let snapshot = InvoiceSnapshot(
            invoiceID: try d.requiredID("invoice_id"), accountID: try d.requiredID("account_id"),
            number: try d.requiredID("number"), currency: try d.requiredCurrency("currency"),
            amountDueMinor: try d.requiredAmount("amount_due_minor"),
            amountPaidMinor: try d.amount("amount_paid_minor") ?? 0,
            issuedAt: try d.timestamp("issued_at"), dueDate: try d.requiredDate("due_date"),
            status: try d.requiredChoice("status", InvoiceStatus.self), paymentURL: try d.url("payment_url"),
            version: try d.requiredVersion())
        guard snapshot.amountPaidMinor <= snapshot.amountDueMinor else {
            throw EventRejection(.semantic, "data.amount_paid_minor: exceeds data.amount_due_minor")
        }
        return snapshot
    }

    static func invoicePaid(_ d: FieldReader) throws(EventRejection) -> InvoicePaid {
        InvoicePaid(invoiceID: try d.requiredID("invoice_id"), accountID: try d.requiredID("account_id"),
                    paidAt: try d.requiredTimestamp("paid_at"), version: try d.requiredVersion())
    }

    static func invoiceVoided(_ d: FieldReader) throws(EventRejection) -> InvoiceVoided {
        InvoiceVoided(invoiceID: try d.requiredID("invoice_id"), accountID: try d.requiredID("account_id"),
                      version: try d.requiredVersion())
    }

    static func paymentSucceeded(_ d: FieldReader) throws(EventRejection) -> PaymentSucceeded {
        PaymentSucceeded(
            paymentID: try d.requiredID("payment_id"), invoiceID: try d.requiredID("invoice_id"),
            accountID: try d.requiredID("account_id"), amountMinor: try d.requiredAmount("amount_minor"),
            currency: try d.requiredCurrency("currency"), succeededAt: try d.requiredTimestamp("succeeded_at"))
    }

    static func paymentFailed(_ d: FieldReader) throws(EventRejection) -> PaymentFailed {
        let paymentID = try d.requiredID("payment_id")
        let invoiceID = try d.requiredID("invoice_id")
        let accountID = try d.requiredID("account_id")
        let amount = try d.requiredAmount("amount_minor")
        let currency = try d.requiredCurrency("currency")
        let attemptedAt = try d.requiredTimestamp("attempted_at")
        let attempt = try d.int("attempt", in: 1...1_000_000)
        let m = try d.requiredObject("method")
        let method = PaymentFailed.Method(
            id: try m.requiredID("id"), type: try m.requiredChoice("type", PaymentMethodType.self),
            network: try m.string("network", max: 64), expMonth: try m.int("exp_month", in: 1...12),
            expYear: try m.int("exp_year", in: 0...9999))
        let x = try d.requiredObject("decline")
        let decline = PaymentFailed.Decline(
            code: try x.required("code") { (value, field) throws(EventRejection) in
                let code = try FieldReader.text(value, field, max: 64)
                guard !code.isEmpty else { throw EventRejection(.schema, "\(field): must not be empty") }
                return code
            },
            scheme: try x.choice("scheme", DeclineScheme.self),
            networkAdviceCode: try x.string("network_advice_code", max: 16),
            message: try x.string("message"))
        let backups = try d.list("backup_methods") { (value, field) throws(EventRejection) -> PaymentFailed.BackupMethod in
            let b = try FieldReader.object(value, field)
            return PaymentFailed.BackupMethod(id: try b.id("id"), type: try b.string("type", max: 64),
                                              network: try b.string("network", max: 64))
        } ?? []
        return PaymentFailed(paymentID: paymentID, invoiceID: invoiceID, accountID: accountID, amountMinor: amount,
                             currency: currency, attemptedAt: attemptedAt, attempt: attempt, method: method,
                             decline: decline, backupMethods: backups)
    }

    static func disputeOpened(_ d: FieldReader) throws(EventRejection) -> DisputeOpened {
        DisputeOpened(disputeID: try d.requiredID("dispute_id"), invoiceID: try d.requiredID("invoice_id"),
                      accountID: try d.requiredID("account_id"), reason: try d.string("reason"))
    }

    static func disputeResolved(_ d: FieldReader) throws(EventRejection) -> DisputeResolved {
        DisputeResolved(disputeID: try d.requiredID("dispute_id"), invoiceID: try d.requiredID("invoice_id"),
                        accountID: try d.requiredID("account_id"), reason: try d.string("reason"),
                        outcome: try d.choice("outcome", DisputeOutcome.self))
    }

    static func crmSignal(_ d: FieldReader) throws(EventRejection) -> CRMSignal {
        CRMSignal(accountID: try d.requiredID("account_id"), kind: try d.requiredChoice("kind", CRMSignalKind.self),
                  priority: try d.choice("priority", SignalPriority.self),
                  reference: try d.string("reference", max: FieldReader.maxIDBytes),
                  detail: try d.string("detail", max: FieldReader.maxLongTextBytes))
    }

    static func promiseRecorded(_ d: FieldReader) throws(EventRejection) -> PromiseRecorded {
        PromiseRecorded(invoiceID: try d.requiredID("invoice_id"), accountID: try d.requiredID("account_id"),
                        promisedDate: try d.requiredDate("promised_date"), amountMinor: try d.amount("amount_minor"),
                        recordedBy: try d.string("recorded_by", max: FieldReader.maxIDBytes))
    }

    static func planAgreed(_ d: FieldReader) throws(EventRejection) -> PlanAgreed {
        let invoiceID = try d.requiredID("invoice_id")
        let accountID = try d.requiredID("account_id")
        let installments = try d.requiredList("installments") { (value, field) throws(EventRejection) in
            let item = try FieldReader.object(value, field)
            return PlanAgreed.Installment(dueDate: try item.date("due_date"), amountMinor: try item.amount("amount_minor"))
        }
        guard !installments.isEmpty else { throw EventRejection(.semantic, "data.installments: must not be empty") }
        return PlanAgreed(invoiceID: invoiceID, accountID: accountID, installments: installments,
                          recordedBy: try d.string("recorded_by", max: FieldReader.maxIDBytes))
    }

    static func replyReceived(_ d: FieldReader) throws(EventRejection) -> ReplyReceived {
        ReplyReceived(replyID: try d.requiredID("reply_id"), accountID: try d.requiredID("account_id"),
                      invoiceID: try d.id("invoice_id"), channel: try d.requiredChoice("channel", ReplyChannel.self),
                      inReplyTo: try d.id("in_reply_to"),
                      text: try d.requiredString("text", max: FieldReader.maxLongTextBytes),
                      receivedAt: try d.requiredTimestamp("received_at"))
    }
}
