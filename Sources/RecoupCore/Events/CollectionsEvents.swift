/// `collections.promise_recorded`: the customer promised to pay by a date.
public struct PromiseRecorded: Sendable, Equatable {
    public var invoiceID, accountID: String
    public var promisedDate: LocalDate
    public var amountMinor: Int64?
    public var recordedBy: String?

    public init(invoiceID: String, accountID: String, promisedDate: LocalDate, amountMinor: Int64? = nil, recordedBy: String? = nil) {
        self.invoiceID = invoiceID
        self.accountID = accountID
        self.promisedDate = promisedDate
        self.amountMinor = amountMinor
        self.recordedBy = recordedBy
    }
}

/// `collections.plan_agreed`: a payment plan of at least one installment.
public struct PlanAgreed: Sendable, Equatable {
    /// CONTRACT.md marks neither field of an installment as required.
    public struct Installment: Sendable, Equatable {
        public var dueDate: LocalDate?
        public var amountMinor: Int64?

        public init(dueDate: LocalDate? = nil, amountMinor: Int64? = nil) {
            self.dueDate = dueDate
            self.amountMinor = amountMinor
        }
    }

    public var invoiceID, accountID: String
    public var installments: [Installment]
    public var recordedBy: String?

    public init(invoiceID: String, accountID: String, installments: [Installment], recordedBy: String? = nil) {
        self.invoiceID = invoiceID
        self.accountID = accountID
        self.installments = installments
        self.recordedBy = recordedBy
    }
}
