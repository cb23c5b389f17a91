import Foundation

/// A message Recoup publishes (CONTRACT.md, "Outbound"): a CloudEvent in structured JSON mode,
/// with where it goes. Built by the core, stored in the outbox in the same transaction as the
/// decision, published by the relay.
public struct OutboundMessage: Sendable, Equatable {
    /// The CloudEvent id, also the AMQP `message_id` consumers dedupe on.
    public var messageID: String
    public var accountID: String?
    public var exchange: String
    public var routingKey: String
    /// The CloudEvent `type` (`message.requested`, `payment.retry.requested`, ...).
    public var type: String
    /// The whole CloudEvent, serialized.
    public var body: [UInt8]

    /// The `source` of every CloudEvent Recoup publishes.
    public static let source = "recoup"

    /// Wraps `data` in a CloudEvent with the given id, type and time.
    public init(messageID: String, type: String, time: Date, data: JSONObject, accountID: String?,
                exchange: String, routingKey: String) {
        self.messageID = messageID
        self.accountID = accountID
        self.exchange = exchange
        self.routingKey = routingKey
        self.type = type
        let envelope: JSONObject = [
            "specversion": .string("1.0"),
            "id": .string(messageID),
            "source": .string(Self.source),
            "type": .string(type),
            "time": .string(Timestamps.format(time)),
            "datacontenttype": .string("application/json"),
            "data": .object(data),
        ]
        body = JSONSerializer.serialize(.object(envelope))
    }
}

/// The exchanges of CONTRACT.md that Recoup publishes to.
public enum OutboundExchange {
    public static let outbound = "recoup.outbound"
    public static let escalations = "recoup.escalations"
    public static let commands = "recoup.commands"
}

/// Deterministic identifiers: the same cause always yields the same id, so a decision made
/// twice (a transaction retried, two instances racing) produces one message, not two.
/// FNV-1a over the parts, twice with different offsets: 128 bits, not a cryptographic hash.
public enum StableID {
    public static func make(_ prefix: String, _ parts: String...) -> String {
        make(prefix, parts)
    }

    public static func make(_ prefix: String, _ parts: [String]) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x6c62_272e_07bb_0142
        for part in parts {
            for byte in part.utf8 {
                a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
                b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            // A separator that cannot occur in UTF-8, so ("ab", "c") and ("a", "bc") differ.
            a = (a ^ 0xff) &* 0x0000_0100_0000_01b3
            b = (b ^ 0xfe) &* 0x0000_0100_0000_01b3
        }
        return prefix + "_" + hex(a) + hex(b)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension OutboundMessage {
    /// `payment.retry.requested` on `recoup.commands` (routing key `payment.retry`).
    public static func paymentRetryRequested(
        retryID: String, invoiceID: String, accountID: String, methodID: String, attempt: Int, reason: String, at time: Date
    ) -> OutboundMessage {
        OutboundMessage(
            messageID: retryID, type: "payment.retry.requested", time: time,
            data: [
                "retry_id": .string(retryID),
                "invoice_id": .string(invoiceID),
                "account_id": .string(accountID),
                "payment_method_id": .string(methodID),
                "attempt": .int(Int64(attempt)),
                "reason": .string(reason),
            ],
            accountID: accountID, exchange: OutboundExchange.commands, routingKey: "payment.retry")
    }

    /// `message.requested` on `recoup.outbound` (routing key `message.<channel>`).
    public static func messageRequested(_ message: CustomerMessage, at time: Date) -> OutboundMessage {
        var data: JSONObject = [
            "message_id": .string(message.messageID),
            "account_id": .string(message.accountID),
        ]
        if let invoiceID = message.invoiceID { data["invoice_id"] = .string(invoiceID) }
        // One message may cover several invoices of the account (an addition to CONTRACT.md).
        if message.invoiceIDs.count > 1 { data["invoice_ids"] = .array(message.invoiceIDs.map(JSONValue.string)) }
        data["channel"] = .string(message.channel)
        data["to"] = .string(message.to)
        data["template"] = .string(message.template)
        data["stage"] = .string(message.stage)
        data["tone"] = .string(message.tone)
        if let subject = message.subject { data["subject"] = .string(subject) }
        data["body"] = .string(message.body)
        data["locale"] = .string(message.locale)
        if let url = message.paymentURL { data["payment_url"] = .string(url) }
        data["caused_by"] = .string(message.causedBy)
        return OutboundMessage(messageID: message.messageID, type: "message.requested", time: time, data: data,
                               accountID: message.accountID, exchange: OutboundExchange.outbound,
                               routingKey: "message.\(message.channel)")
    }

    /// `escalation.raised` on `recoup.escalations` (routing key `escalation.<owner>`).
    public static func escalationRaised(_ escalation: Escalation, at time: Date) -> OutboundMessage {
        OutboundMessage(
            messageID: escalation.escalationID, type: "escalation.raised", time: time,
            data: [
                "escalation_id": .string(escalation.escalationID),
                "account_id": .string(escalation.accountID),
                "invoice_ids": .array(escalation.invoiceIDs.map(JSONValue.string)),
                "rule": .string(escalation.rule),
                "owner": .string(escalation.owner),
                "priority_score": .int(Int64(escalation.priorityScore)),
                "recommended_action": .string(escalation.recommendedAction),
                "context": .object(escalation.context),
            ],
            accountID: escalation.accountID, exchange: OutboundExchange.escalations,
            routingKey: "escalation.\(escalation.owner)")
    }
}

extension OutboundMessage {
    /// `task.created` on `recoup.outbound` (routing key `task.<kind>`).
    public static func taskCreated(_ task: HumanTask, at time: Date) -> OutboundMessage {
        var data: JSONObject = ["task_id": .string(task.taskID), "account_id": .string(task.accountID)]
        if let invoiceID = task.invoiceID { data["invoice_id"] = .string(invoiceID) }
        if let assignee = task.assignee { data["assignee"] = .string(assignee) }
        data["kind"] = .string(task.kind)
        data["due_at"] = .string(Timestamps.format(task.dueAt))
        data["priority"] = .int(Int64(task.priority))
        data["summary"] = .string(task.summary)
        return OutboundMessage(messageID: task.taskID, type: "task.created", time: time, data: data, accountID: task.accountID,
                               exchange: OutboundExchange.outbound, routingKey: "task.\(task.kind)")
    }
}

/// Work for a person (`task.created`): a call to make, a case to review.
public struct HumanTask: Sendable, Equatable {
    public var taskID: String
    public var accountID: String
    public var invoiceID: String?
    /// `phone_call` or `review`.
    public var kind: String
    public var assignee: String?
    /// Not before: the first moment the task is allowed (phone calls keep the SMS and phone hours).
    public var dueAt: Date
    /// The priority score (higher first).
    public var priority: Int
    /// What to do and why, with no personal data beyond ids and amounts.
    public var summary: String

    public init(taskID: String, accountID: String, invoiceID: String?, kind: String, assignee: String?, dueAt: Date,
                priority: Int, summary: String) {
        self.taskID = taskID
        self.accountID = accountID
        self.invoiceID = invoiceID
        self.kind = kind
        self.assignee = assignee
        self.dueAt = dueAt
        self.priority = priority
        self.summary = summary
    }
}

/// A customer message (`message.requested`), rendered.
public struct CustomerMessage: Sendable, Equatable {
    public var messageID: String
    public var accountID: String
    /// The invoice, when the message is about one.
    public var invoiceID: String?
    /// Every invoice the message covers.
    public var invoiceIDs: [String]
    public var channel: String
    public var to: String
    public var template: String
    public var stage: String
    public var tone: String
    public var subject: String?
    public var body: String
    public var locale: String
    public var paymentURL: String?
    public var causedBy: String

    public init(messageID: String, accountID: String, invoiceID: String?, invoiceIDs: [String]? = nil, channel: String, to: String,
                template: String, stage: String, tone: String, subject: String?, body: String, locale: String, paymentURL: String?,
                causedBy: String) {
        self.messageID = messageID
        self.accountID = accountID
        self.invoiceID = invoiceID
        self.invoiceIDs = invoiceIDs ?? invoiceID.map { [$0] } ?? []
        self.channel = channel
        self.to = to
        self.template = template
        self.stage = stage
        self.tone = tone
        self.subject = subject
        self.body = body
        self.locale = locale
        self.paymentURL = paymentURL
        self.causedBy = causedBy
    }
}

/// An escalation to a person (`escalation.raised`).
public struct Escalation: Sendable, Equatable {
    public var escalationID: String
    public var accountID: String
    public var invoiceIDs: [String]
    public var rule: String
    public var owner: String
    public var priorityScore: Int
    public var recommendedAction: String
    /// `days_overdue`, `open_balance_minor`, `currency`, `segment`, `touches`, `replies`,
    /// `disputes`, `signals`, `payments` (CONTRACT.md).
    public var context: JSONObject

    public init(escalationID: String, accountID: String, invoiceIDs: [String], rule: String, owner: String,
                priorityScore: Int, recommendedAction: String, context: JSONObject) {
        self.escalationID = escalationID
        self.accountID = accountID
        self.invoiceIDs = invoiceIDs
        self.rule = rule
        self.owner = owner
        self.priorityScore = priorityScore
        self.recommendedAction = recommendedAction
        self.context = context
    }
}
