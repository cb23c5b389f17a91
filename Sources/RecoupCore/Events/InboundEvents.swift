import Foundation

/// The classes of CONTRACT.md's dead-letter header `x-recoup-error-class`.
public enum DeadLetterClass: String, Sendable, CaseIterable {
    case malformed, schema, semantic
    case tooLarge = "too_large"
    case unknownType = "unknown_type"
    case transientExhausted = "transient_exhausted"
}

/// Why an inbound message cannot be processed: a class and one line naming the field.
/// The reason never quotes a value that could be personal data.
public struct EventRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public let errorClass: DeadLetterClass
    public let reason: String

    public init(_ errorClass: DeadLetterClass, _ reason: String) {
        self.errorClass = errorClass
        self.reason = reason
    }

    public var description: String { "\(errorClass.rawValue): \(reason)" }
}

/// The CloudEvents 1.0 attributes Recoup reads.
public struct CloudEventEnvelope: Sendable, Equatable {
    public var id: String
    public var source: String
    public var type: String
    public var time: Date?
    public var dataContentType: String?
}

/// A validated inbound event: its envelope and typed payload.
public struct ParsedEvent: Sendable, Equatable {
    public var envelope: CloudEventEnvelope
    public var event: InboundEvent

    /// Every inbound event names its account; lanes and locks are per account.
    public var accountID: String { event.accountID }
    public var invoiceID: String? { event.invoiceID }
}

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

public enum ValueTier: String, Sendable, CaseIterable { case strategic, midMarket = "mid_market", longTail = "long_tail" }

public struct AccountUpdated: Sendable, Equatable {
    public struct Contact: Sendable, Equatable { public var firstName, email, phone: String? }
    public struct Owners: Sendable, Equatable { public var accountManager, csm, collector: String? }
    public struct Consents: Sendable, Equatable { public var email = true, sms = false, inApp = true }

    public var accountID: String
    public var name: String?
    public var contact: Contact?
    public var timezone: String
    public var locale: String
    public var currency: Currency?
    public var arrMinor: Int64?
    public var tier: ValueTier?
    public var owners: Owners?
    public var consents: Consents
    public var preferredChannel: String?
    public var tags: [String]?
    public var version: Int64
}

public enum InvoiceStatus: String, Sendable, CaseIterable { case open, paid, void, uncollectible }

/// `invoice.created` and `invoice.updated`: the invoice as the source has it at `version`.
public struct InvoiceSnapshot: Sendable, Equatable {
    public var invoiceID: String
    public var accountID: String
    public var number: String
    public var currency: Currency
    public var amountDueMinor: Int64
    public var amountPaidMinor: Int64
    public var issuedAt: Date?
    public var dueDate: LocalDate
    public var status: InvoiceStatus
    public var paymentURL: String?
    public var version: Int64
}

public struct InvoicePaid: Sendable, Equatable {
    public var invoiceID, accountID: String
    public var paidAt: Date
    public var version: Int64
}

public struct InvoiceVoided: Sendable, Equatable {
    public var invoiceID, accountID: String
    public var version: Int64
}

public struct PaymentSucceeded: Sendable, Equatable {
    public var paymentID, invoiceID, accountID: String
    public var amountMinor: Int64
    public var currency: Currency
    public var succeededAt: Date
}

public enum PaymentMethodType: String, Sendable, CaseIterable { case card, achDebit = "ach_debit", sepaDebit = "sepa_debit" }
public enum DeclineScheme: String, Sendable, CaseIterable { case stripe, iso8583, nacha, sepa }

public struct PaymentFailed: Sendable, Equatable {
    public struct Method: Sendable, Equatable {
        public var id: String
        public var type: PaymentMethodType
        public var network: String?
        public var expMonth, expYear: Int?
    }
    public struct Decline: Sendable, Equatable {
        public var code: String
        public var scheme: DeclineScheme?
        public var networkAdviceCode: String?
        public var message: String?
    }
    public struct BackupMethod: Sendable, Equatable {
        public var id, type, network: String?
    }

    public var paymentID, invoiceID, accountID: String
    public var amountMinor: Int64
    public var currency: Currency
    public var attemptedAt: Date
    public var attempt: Int?
    public var method: Method
    public var decline: Decline
    public var backupMethods: [BackupMethod]
}

public struct DisputeOpened: Sendable, Equatable {
    public var disputeID, invoiceID, accountID: String
    public var reason: String?
}

public enum DisputeOutcome: String, Sendable, CaseIterable { case customerWon = "customer_won", merchantWon = "merchant_won", withdrawn }

public struct DisputeResolved: Sendable, Equatable {
    public var disputeID, invoiceID, accountID: String
    public var reason: String?
    public var outcome: DisputeOutcome?
}

public enum CRMSignalKind: String, Sendable, CaseIterable {
    case supportTicketOpened = "support_ticket_opened", supportTicketClosed = "support_ticket_closed"
    case opportunityOpened = "opportunity_opened", opportunityClosed = "opportunity_closed"
    case renewalUpcoming = "renewal_upcoming", churnRisk = "churn_risk"
}
public enum SignalPriority: String, Sendable, CaseIterable { case low, normal, high }

public struct CRMSignal: Sendable, Equatable {
    public var accountID: String
    public var kind: CRMSignalKind
    public var priority: SignalPriority?
    public var reference, detail: String?
}

public struct PromiseRecorded: Sendable, Equatable {
    public var invoiceID, accountID: String
    public var promisedDate: LocalDate
    public var amountMinor: Int64?
    public var recordedBy: String?
}

public struct PlanAgreed: Sendable, Equatable {
    public struct Installment: Sendable, Equatable {
        public var dueDate: LocalDate?
        public var amountMinor: Int64?
    }
    public var invoiceID, accountID: String
    public var installments: [Installment]
    public var recordedBy: String?
}

public enum ReplyChannel: String, Sendable, CaseIterable { case email, sms, inApp = "in_app", phoneNote = "phone_note" }

public struct ReplyReceived: Sendable, Equatable {
    public var replyID, accountID: String
    public var invoiceID: String?
    public var channel: ReplyChannel
    public var inReplyTo: String?
    public var text: String
    public var receivedAt: Date
}
