public enum CRMSignalKind: String, Sendable, CaseIterable {
    case supportTicketOpened = "support_ticket_opened", supportTicketClosed = "support_ticket_closed"
    case opportunityOpened = "opportunity_opened", opportunityClosed = "opportunity_closed"
    case renewalUpcoming = "renewal_upcoming", churnRisk = "churn_risk"
}

public enum SignalPriority: String, Sendable, CaseIterable { case low, normal, high }

/// `crm.signal`: something the CRM knows about the account that should shape collections.
public struct CRMSignal: Sendable, Equatable {
    public var accountID: String
    public var kind: CRMSignalKind
    public var priority: SignalPriority?
    public var reference, detail: String?

    public init(accountID: String, kind: CRMSignalKind, priority: SignalPriority? = nil, reference: String? = nil,
                detail: String? = nil) {
        self.accountID = accountID
        self.kind = kind
        self.priority = priority
        self.reference = reference
        self.detail = detail
    }
}
