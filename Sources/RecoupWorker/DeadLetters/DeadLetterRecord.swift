import AMQP
import Foundation
import RecoupCore

/// One message in a `.dlq` as an on-call engineer reads it: why it is there, where it came
/// from, how old it is, and how to send it back. Read from the headers `DeadLetter` writes, or
/// from the broker's own `x-death` headers for a message the broker dead-lettered (its delivery
/// limit was reached).
public struct DeadLetterRecord: Sendable {
    public let queue: String
    public let delivery: AMQPDelivery

    public var messageID: String? { delivery.properties.messageID }
    public var errorClass: String {
        header(DeadLetter.errorClassHeader) ?? header("x-first-death-reason").map { "broker:\($0)" } ?? "unknown"
    }
    public var reason: String {
        header(DeadLetter.errorHeader) ?? header("x-first-death-reason").map { "dead-lettered by the broker (\($0))" }
            ?? "no reason recorded"
    }
    /// Where replay sends it: the exchange and routing key it was first published with.
    public var originalExchange: String {
        header(DeadLetter.originalExchangeHeader) ?? header("x-first-death-exchange") ?? RecoupTopology.inboundExchange
    }
    public var originalRoutingKey: String {
        header(DeadLetter.originalRoutingKeyHeader) ?? brokerDeathRoutingKey ?? delivery.routingKey
    }
    /// The queue it was consumed from (a replay with `direct` goes straight back to it).
    public var originalQueue: String? { header(DeadLetter.originalQueueHeader) ?? header("x-first-death-queue") }
    /// The event type, as the routing key the platform published it under says (CONTRACT: key = type).
    public var eventType: String { originalRoutingKey }
    public var deadLetteredAt: Date? {
        header(DeadLetter.deadLetteredAtHeader).flatMap { try? Date($0, strategy: .iso8601) } ?? brokerDeathTime
    }
    public var deliveryCount: Int {
        if case .int(let count)? = delivery.properties.headers[DeadLetter.deliveryCountHeader] { return Int(count) }
        return brokerDeathCount ?? 1
    }
    /// How many times it was replayed before (and came back).
    public var replays: Int {
        if case .int(let count)? = delivery.properties.headers[DeadLetter.replaysHeader] { return Int(count) }
        return 0
    }

    public func age(at now: Date) -> TimeInterval? { deadLetteredAt.map { max(0, now.timeIntervalSince($0)) } }

    /// The account the body names, when it parses; for the audit row of a replay or purge.
    public var accountID: String? {
        guard delivery.body.count <= EventParser.maxBodyBytes, let json = try? JSONParser.parse(delivery.body) else { return nil }
        return json["data"]?["account_id"]?.stringValue.map { String($0.prefix(200)) }
    }

    func header(_ name: String) -> String? {
        if case .string(let value)? = delivery.properties.headers[name] { return value }
        return nil
    }

    private var brokerDeath: [String: AMQPFieldValue]? {
        guard case .array(let deaths)? = delivery.properties.headers["x-death"], case .table(let first)? = deaths.first else { return nil }
        return first
    }
    private var brokerDeathRoutingKey: String? {
        guard case .array(let keys)? = brokerDeath?["routing-keys"], case .string(let key)? = keys.first else { return nil }
        return key
    }
    private var brokerDeathTime: Date? {
        if case .timestamp(let time)? = brokerDeath?["time"] { return time }
        return nil
    }
    private var brokerDeathCount: Int? {
        if case .int(let count)? = brokerDeath?["count"] { return Int(count) }
        return nil
    }

    /// Headers a replayed copy must not carry: this dead-lettering's reasons, and the broker's
    /// delivery counters, which would otherwise make the copy look redelivered already.
    static let headersDroppedOnReplay: Set<String> = [
        DeadLetter.errorHeader, DeadLetter.errorClassHeader, DeadLetter.originalExchangeHeader,
        DeadLetter.originalRoutingKeyHeader, DeadLetter.originalQueueHeader, DeadLetter.deadLetteredAtHeader,
        DeadLetter.deliveryCountHeader, "x-delivery-count", "x-death", "x-first-death-reason", "x-first-death-queue",
        "x-first-death-exchange", "x-last-death-reason", "x-last-death-queue", "x-last-death-exchange",
    ]

    /// The message replay publishes: body and properties unchanged (the same `message_id`, so
    /// the inbox dedupes a copy that arrives twice), reasons dropped, the replay counted.
    /// `direct` sends it through the default exchange to the original queue only, so other
    /// subscribers of `billing.events` do not see the event again.
    public func replayMessage(at now: Date, direct: Bool) -> AMQPOutboundMessage {
        var properties = delivery.properties
        properties.persistent = true
        for name in Self.headersDroppedOnReplay { properties.headers.removeValue(forKey: name) }
        properties.headers[DeadLetter.replaysHeader] = .int(Int64(replays + 1))
        properties.headers[DeadLetter.replayedAtHeader] = .string(now.formatted(.iso8601))
        if direct, let originalQueue {
            return AMQPOutboundMessage(exchange: "", routingKey: originalQueue, body: delivery.body, properties: properties)
        }
        return AMQPOutboundMessage(exchange: originalExchange, routingKey: originalRoutingKey, body: delivery.body, properties: properties)
    }

    /// A summary without the body (for `dlq list --json`): ids, classes, reasons (which name
    /// fields, never values), times.
    public func summary(at now: Date) -> JSONValue { .object(summaryFields(at: now)) }

    /// The summary's fields in their order; audit rows and `full` build on them.
    func summaryFields(at now: Date) -> JSONObject {
        [
            "queue": .string(queue), "message_id": messageID.map(JSONValue.string) ?? .null,
            "event_type": .string(eventType), "error_class": .string(errorClass), "reason": .string(reason),
            "dead_lettered_at": deadLetteredAt.map { .string($0.formatted(.iso8601)) } ?? .null,
            "age_seconds": age(at: now).map { .int(Int64($0)) } ?? .null,
            "delivery_count": .int(Int64(deliveryCount)), "replays": .int(Int64(replays)),
            "original_exchange": .string(originalExchange), "original_routing_key": .string(originalRoutingKey),
        ]
    }

    /// Everything, body included (for `dlq show` and `dlq export`): the body as text when it is
    /// UTF-8, else base64, so an export can be re-read without loss.
    public func full(at now: Date) -> JSONValue {
        var object = summaryFields(at: now)
        let properties = delivery.properties
        _ = object.insertNew("properties", .object([
            "content_type": properties.contentType.map(JSONValue.string) ?? .null,
            "type": properties.type.map(JSONValue.string) ?? .null,
            "app_id": properties.appID.map(JSONValue.string) ?? .null,
            "correlation_id": properties.correlationID.map(JSONValue.string) ?? .null,
            "timestamp": properties.timestamp.map { .string($0.formatted(.iso8601)) } ?? .null,
            "persistent": .bool(properties.persistent),
        ]))
        _ = object.insertNew("headers", .object(JSONObject(sortingKeysOf: properties.headers.mapValues(Self.json))))
        if let text = String(validating: delivery.body, as: UTF8.self) {
            _ = object.insertNew("body", .string(text))
        } else {
            _ = object.insertNew("body_base64", .string(Data(delivery.body).base64EncodedString()))
        }
        return .object(object)
    }

    static func json(_ value: AMQPFieldValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .int(let number): .int(number)
        case .bool(let flag): .bool(flag)
        case .double(let number): JSONNumber(number).map(JSONValue.number) ?? .null
        case .timestamp(let time): .string(time.formatted(.iso8601))
        case .decimal(let scale, let value): .string("\(value)e-\(scale)")
        case .array(let values): .array(values.map(json))
        case .table(let table): .object(JSONObject(sortingKeysOf: table.mapValues(json)))
        case .bytes(let bytes): .string(Data(bytes).base64EncodedString())
        case .void: .null
        }
    }
}
