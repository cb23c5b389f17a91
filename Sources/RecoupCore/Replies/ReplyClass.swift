/// What a customer reply is about (POLICY.md, "Replies"). Cases are listed in the order that
/// settles a reply mixing intents: the earlier case wins, so a dispute is never hidden behind
/// the promise next to it.
public enum ReplyClass: String, Sendable, CaseIterable, Hashable, Comparable {
    case dispute
    case optOut = "opt_out"
    case frustration
    case alreadyPaid = "already_paid"
    case promiseToPay = "promise_to_pay"
    case paymentPlanRequest = "payment_plan_request"
    case question
    case acknowledgement
    case outOfOffice = "out_of_office"
    case unknown

    /// 0 for the class that wins every mix, upwards.
    public var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: ReplyClass, rhs: ReplyClass) -> Bool { lhs.rank < rhs.rank }
}

/// The classifier's answer for one reply, with what decided it, so a support engineer can see
/// why and a collector can trust it.
public struct ReplyClassification: Sendable, Hashable {
    public var replyClass: ReplyClass
    /// 0...1: how sure the cues make the class. Below the policy's threshold a person decides.
    public var confidence: Double
    /// For `promise_to_pay`: the date the customer committed to, in their own calendar.
    public var promisedDate: LocalDate?
    /// For `opt_out`: the channels the customer asked to stop (the reply's own channel unless
    /// they named another).
    public var optOutChannels: [ReplyChannel]
    /// The cues that decided, as `class: "cue"` (lexicon phrases, never the customer's words),
    /// and what was set aside ("negated", "outranked").
    public var why: [String]

    public init(replyClass: ReplyClass, confidence: Double, promisedDate: LocalDate? = nil,
                optOutChannels: [ReplyChannel] = [], why: [String]) {
        self.replyClass = replyClass
        self.confidence = confidence
        self.promisedDate = promisedDate
        self.optOutChannels = optOutChannels
        self.why = why
    }
}
