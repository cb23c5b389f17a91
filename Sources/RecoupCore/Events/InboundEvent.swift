/// Every inbound event type of CONTRACT.md, typed. `invoice.created` and `invoice.updated`
/// share a payload (the invoice as the source has it).
public enum InboundEvent: Sendable, Equatable {
    case accountUpdated(AccountUpdated)
    case invoiceCreated(InvoiceSnapshot)
    case invoiceUpdated(InvoiceSnapshot)
    case invoicePaid(InvoicePaid)
    case invoiceVoided(InvoiceVoided)
    case paymentSucceeded(PaymentSucceeded)
    case paymentFailed(PaymentFailed)
    case disputeOpened(DisputeOpened)
    case disputeResolved(DisputeResolved)
    case crmSignal(CRMSignal)
    case promiseRecorded(PromiseRecorded)
    case planAgreed(PlanAgreed)
    case replyReceived(ReplyReceived)

    /// The CloudEvents `type` of each case, in CONTRACT.md's order.
    public static let types: [String] = [
        "account.updated", "invoice.created", "invoice.updated", "invoice.paid", "invoice.voided",
        "payment.succeeded", "payment.failed", "dispute.opened", "dispute.resolved", "crm.signal",
        "collections.promise_recorded", "collections.plan_agreed", "reply.received",
    ]

    /// This event's CloudEvents `type`.
    public var type: String {
        switch self {
        case .accountUpdated: "account.updated"
        case .invoiceCreated: "invoice.created"
        case .invoiceUpdated: "invoice.updated"
        case .invoicePaid: "invoice.paid"
        case .invoiceVoided: "invoice.voided"
        case .paymentSucceeded: "payment.succeeded"
        case .paymentFailed: "payment.failed"
        case .disputeOpened: "dispute.opened"
        case .disputeResolved: "dispute.resolved"
        case .crmSignal: "crm.signal"
        case .promiseRecorded: "collections.promise_recorded"
        case .planAgreed: "collections.plan_agreed"
        case .replyReceived: "reply.received"
        }
    }

    /// The account the event belongs to: the lane and lock key.
    public var accountID: String {
        switch self {
        case .accountUpdated(let e): e.accountID
        case .invoiceCreated(let e), .invoiceUpdated(let e): e.accountID
        case .invoicePaid(let e): e.accountID
        case .invoiceVoided(let e): e.accountID
        case .paymentSucceeded(let e): e.accountID
        case .paymentFailed(let e): e.accountID
        case .disputeOpened(let e): e.accountID
        case .disputeResolved(let e): e.accountID
        case .crmSignal(let e): e.accountID
        case .promiseRecorded(let e): e.accountID
        case .planAgreed(let e): e.accountID
        case .replyReceived(let e): e.accountID
        }
    }

    /// The invoice the event is about, when it names one.
    public var invoiceID: String? {
        switch self {
        case .accountUpdated, .crmSignal: nil
        case .invoiceCreated(let e), .invoiceUpdated(let e): e.invoiceID
        case .invoicePaid(let e): e.invoiceID
        case .invoiceVoided(let e): e.invoiceID
        case .paymentSucceeded(let e): e.invoiceID
        case .paymentFailed(let e): e.invoiceID
        case .disputeOpened(let e): e.invoiceID
        case .disputeResolved(let e): e.invoiceID
        case .promiseRecorded(let e): e.invoiceID
        case .planAgreed(let e): e.invoiceID
        case .replyReceived(let e): e.invoiceID
        }
    }
}
