/// Who gets which escalation and when (POLICY.md, "Escalation"; `Config/cadence/escalations.yaml`).
public struct EscalationPolicy: Sendable, Hashable {
    /// An invoice this many days overdue is past its segment's escalation age.
    public var agingDays: [ValueTier: Int]
    /// Who takes a disputed, doubtful or aging invoice, per tier.
    public var owners: [ValueTier: String]
    /// Mid-market invoices move from the collector to the collections lead this many days overdue.
    public var collectionsLeadAfterDays: Int
    /// Long-tail invoices go to write-off review this many days overdue.
    public var writeOffReviewAfterDays: Int
    /// This many short payments on one invoice raise an escalation.
    public var repeatedShortPays: Int
    /// Replies classified with less confidence than this (0...1) go to a person.
    public var replyMinConfidence: Double
    /// Tiers whose frustrated replies go to the account team (others to the collector).
    public var frustrationToAccountTeam: Set<ValueTier>

    public init(agingDays: [ValueTier: Int] = [.strategic: 14, .midMarket: 14, .longTail: 30],
                owners: [ValueTier: String] = [.strategic: "account_team", .midMarket: "collector", .longTail: "collector"],
                collectionsLeadAfterDays: Int = 30, writeOffReviewAfterDays: Int = 60, repeatedShortPays: Int = 2,
                replyMinConfidence: Double = 0.6, frustrationToAccountTeam: Set<ValueTier> = [.strategic, .midMarket]) {
        self.agingDays = agingDays
        self.owners = owners
        self.collectionsLeadAfterDays = collectionsLeadAfterDays
        self.writeOffReviewAfterDays = writeOffReviewAfterDays
        self.repeatedShortPays = repeatedShortPays
        self.replyMinConfidence = replyMinConfidence
        self.frustrationToAccountTeam = frustrationToAccountTeam
    }

    public static let ownerNames = ["account_team", "collector", "collections_lead", "write_off_review", "service_impact"]

    /// The person an invoice of `tier` this many days overdue belongs to.
    public func owner(for tier: ValueTier, daysOverdue: Int) -> String {
        switch tier {
        case .midMarket where daysOverdue >= collectionsLeadAfterDays: "collections_lead"
        case .longTail where daysOverdue >= writeOffReviewAfterDays: "write_off_review"
        default: owners[tier] ?? "collector"
        }
    }

    public func agingThreshold(for tier: ValueTier) -> Int? { agingDays[tier] }
}
