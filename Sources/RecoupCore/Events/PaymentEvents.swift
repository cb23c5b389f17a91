import Foundation

/// `payment.succeeded`. An amount below the open balance is a partial payment.
public struct PaymentSucceeded: Sendable, Equatable {
    public var paymentID, invoiceID, accountID: String
    public var amountMinor: Int64
    public var currency: Currency
    public var succeededAt: Date

    public init(paymentID: String, invoiceID: String, accountID: String, amountMinor: Int64, currency: Currency,
                succeededAt: Date) {
        self.paymentID = paymentID
        self.invoiceID = invoiceID
        self.accountID = accountID
        self.amountMinor = amountMinor
        self.currency = currency
        self.succeededAt = succeededAt
    }

    public var amount: Money { Money(minorUnits: amountMinor, currency: currency) }
}

public enum PaymentMethodType: String, Sendable, CaseIterable { case card, achDebit = "ach_debit", sepaDebit = "sepa_debit" }

/// Which processor vocabulary a decline code belongs to; nil means "guess from the code".
public enum DeclineScheme: String, Sendable, CaseIterable { case stripe, iso8583, nacha, sepa }

/// `payment.failed`.
public struct PaymentFailed: Sendable, Equatable {
    public struct Method: Sendable, Hashable {
        public var id: String
        public var type: PaymentMethodType
        /// Card network as sent (`visa`, `mastercard`, ...); open-ended, so not an enumeration.
        public var network: String?
        /// 1...12.
        public var expMonth: Int?
        /// 0...9999 as sent (two- or four-digit).
        public var expYear: Int?

        public init(id: String, type: PaymentMethodType, network: String? = nil, expMonth: Int? = nil, expYear: Int? = nil) {
            self.id = id
            self.type = type
            self.network = network
            self.expMonth = expMonth
            self.expYear = expYear
        }
    }

    public struct Decline: Sendable, Equatable {
        /// As the processor sent it: "insufficient_funds", "51", "R01", "AM04".
        public var code: String
        public var scheme: DeclineScheme?
        /// E.g. Mastercard merchant advice code "03".
        public var networkAdviceCode: String?
        public var message: String?

        public init(code: String, scheme: DeclineScheme? = nil, networkAdviceCode: String? = nil, message: String? = nil) {
            self.code = code
            self.scheme = scheme
            self.networkAdviceCode = networkAdviceCode
            self.message = message
        }
    }

    /// Another method on file. Every field is optional in CONTRACT.md, so none is enforced.
    public struct BackupMethod: Sendable, Equatable {
        public var id, type, network: String?

        public init(id: String? = nil, type: String? = nil, network: String? = nil) {
            self.id = id
            self.type = type
            self.network = network
        }
    }

    public var paymentID, invoiceID, accountID: String
    public var amountMinor: Int64
    public var currency: Currency
    public var attemptedAt: Date
    /// 1-based count of attempts at the source.
    public var attempt: Int?
    public var method: Method
    public var decline: Decline
    /// Empty when absent.
    public var backupMethods: [BackupMethod]

    public init(paymentID: String, invoiceID: String, accountID: String, amountMinor: Int64, currency: Currency,
                attemptedAt: Date, attempt: Int? = nil, method: Method, decline: Decline, backupMethods: [BackupMethod] = []) {
        self.paymentID = paymentID
        self.invoiceID = invoiceID
        self.accountID = accountID
        self.amountMinor = amountMinor
        self.currency = currency
        self.attemptedAt = attemptedAt
        self.attempt = attempt
        self.method = method
        self.decline = decline
        self.backupMethods = backupMethods
    }

    public var amount: Money { Money(minorUnits: amountMinor, currency: currency) }
}
