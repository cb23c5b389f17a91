import Foundation

public enum ReplyChannel: String, Sendable, CaseIterable { case email, sms, inApp = "in_app", phoneNote = "phone_note" }

/// `reply.received`: something the customer said. `text` is personal data: it is never
/// quoted in a rejection reason, log line or audit row.
public struct ReplyReceived: Sendable, Equatable {
    public var replyID, accountID: String
    public var invoiceID: String?
    public var channel: ReplyChannel
    /// The outbound `message_id` this answers.
    public var inReplyTo: String?
    public var text: String
    public var receivedAt: Date

    public init(replyID: String, accountID: String, invoiceID: String? = nil, channel: ReplyChannel,
                inReplyTo: String? = nil, text: String, receivedAt: Date) {
        self.replyID = replyID
        self.accountID = accountID
        self.invoiceID = invoiceID
        self.channel = channel
        self.inReplyTo = inReplyTo
        self.text = text
        self.receivedAt = receivedAt
    }
}
