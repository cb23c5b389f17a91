import Foundation

public enum InvoiceStatus: String, Sendable, CaseIterable { case open, paid, void, uncollectible }

/// `invoice.created` and `invoice.updated`: the invoice as the source has it at `version`.
/// `amountPaidMinor` never exceeds `amountDueMinor` (the parser refuses that).
public struct InvoiceSnapshot: Sendable, Equatable {
    public var invoiceID: String
    public var accountID: String
    public var number: String
    public var currency: Currency
    /// The invoice total.
    public var amountDueMinor: Int64
    public var amountPaidMinor: Int64
    public var issuedAt: Date?
    /// In the account's time zone.
    public var dueDate: LocalDate
    public var status: InvoiceStatus
    public var paymentURL: String?
    public var version: Int64

    public init(invoiceID: String, accountID: String, number: String, currency: Currency, amountDueMinor: Int64,
                amountPaidMinor: Int64 = 0, issuedAt: Date? = nil, dueDate: LocalDate, status: InvoiceStatus,
                paymentURL: String? = nil, version: Int64) {
        self.invoiceID = invoiceID
        self.accountID = accountID
        self.number = number
        self.currency = currency
        self.amountDueMinor = amountDueMinor
        self.amountPaidMinor = amountPaidMinor
        self.issuedAt = issuedAt
        self.dueDate = dueDate
        self.status = status
        self.paymentURL = paymentURL
        self.version = version
    }

    public var amountDue: Money { Money(minorUnits: amountDueMinor, currency: currency) }
    public var amountPaid: Money { Money(minorUnits: amountPaidMinor, currency: currency) }
    /// What is still owed according to this snapshot.
    public var openBalance: Money { Money(minorUnits: amountDueMinor - amountPaidMinor, currency: currency) }
}

/// `invoice.paid`.
public struct InvoicePaid: Sendable, Equatable {
    public var invoiceID, accountID: String
    public var paidAt: Date
    public var version: Int64

    public init(invoiceID: String, accountID: String, paidAt: Date, version: Int64) {
        self.invoiceID = invoiceID
        self.accountID = accountID
        self.paidAt = paidAt
        self.version = version
    }
}

/// `invoice.voided`.
public struct InvoiceVoided: Sendable, Equatable {
    public var invoiceID, accountID: String
    public var version: Int64

    public init(invoiceID: String, accountID: String, version: Int64) {
        self.invoiceID = invoiceID
        self.accountID = accountID
        self.version = version
    }
}
