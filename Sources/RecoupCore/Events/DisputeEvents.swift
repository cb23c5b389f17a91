/// `dispute.opened`.
public struct DisputeOpened: Sendable, Equatable {
    public var disputeID, invoiceID, accountID: String
    public var reason: String?

    public init(disputeID: String, invoiceID: String, accountID: String, reason: String? = nil) {
        self.disputeID = disputeID
        self.invoiceID = invoiceID
        self.accountID = accountID
        self.reason = reason
    }
}

public enum DisputeOutcome: String, Sendable, CaseIterable { case customerWon = "customer_won", merchantWon = "merchant_won", withdrawn }

/// `dispute.resolved`.
public struct DisputeResolved: Sendable, Equatable {
    public var disputeID, invoiceID, accountID: String
    public var reason: String?
    public var outcome: DisputeOutcome?

    public init(disputeID: String, invoiceID: String, accountID: String, reason: String? = nil, outcome: DisputeOutcome? = nil) {
        self.disputeID = disputeID
        self.invoiceID = invoiceID
        self.accountID = accountID
        self.reason = reason
        self.outcome = outcome
    }
}
