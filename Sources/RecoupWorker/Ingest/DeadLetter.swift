import AMQP
import Foundation
import RecoupCore

/// Builds the message that carries a delivery Recoup could not process to its queue's `.dlq`.
///
/// The daemon publishes dead letters itself (rather than letting the broker dead-letter a
/// rejected message) because only then can the reason travel with it as headers.
public enum DeadLetter {
    public static let errorHeader = "x-recoup-error"
    public static let errorClassHeader = "x-recoup-error-class"
    public static let originalExchangeHeader = "x-recoup-original-exchange"
    public static let originalRoutingKeyHeader = "x-recoup-original-routing-key"
    public static let originalQueueHeader = "x-recoup-original-queue"
    public static let deadLetteredAtHeader = "x-recoup-dead-lettered-at"
    public static let deliveryCountHeader = "x-recoup-delivery-count"
    /// Set by `recoupctl dlq replay` on the copy it sends back: how many replays, and the last one's time.
    public static let replaysHeader = "x-recoup-replays"
    public static let replayedAtHeader = "x-recoup-replayed-at"

    /// The dead-letter message for `delivery`, keeping its body, properties and headers, and
    /// adding the reason (one line), the class, and where it came from so it can be replayed.
    public static func message(
        for delivery: AMQPDelivery,
        from queue: RecoupTopology.InboundQueue,
        errorClass: DeadLetterClass,
        reason: String,
        at now: Date
    ) -> AMQPOutboundMessage {
        var properties = delivery.properties
        properties.persistent = true
        properties.headers[errorHeader] = .string(oneLine(reason))
        properties.headers[errorClassHeader] = .string(errorClass.rawValue)
        properties.headers[originalExchangeHeader] = .string(delivery.exchange)
        properties.headers[originalRoutingKeyHeader] = .string(delivery.routingKey)
        properties.headers[originalQueueHeader] = .string(queue.name)
        properties.headers[deadLetteredAtHeader] = .string(now.formatted(.iso8601))
        properties.headers[deliveryCountHeader] = .int(Int64(deliveryCount(of: delivery)))
        return AMQPOutboundMessage(
            exchange: RecoupTopology.deadLetterExchange,
            routingKey: queue.deadLetterRoutingKey,
            body: delivery.body,
            properties: properties)
    }

    /// How many times the broker has delivered this message, this delivery included.
    /// Quorum queues count earlier deliveries in `x-delivery-count`.
    public static func deliveryCount(of delivery: AMQPDelivery) -> Int {
        switch delivery.properties.headers["x-delivery-count"] {
        case .int(let count)?: return Int(count) + 1
        default: return delivery.redelivered ? 2 : 1
        }
    }

    /// Header values are read by people in a terminal: keep them to one bounded line.
    static func oneLine(_ text: String) -> String {
        let flattened = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flattened.count > 500 ? String(flattened.prefix(500)) + "…" : flattened
    }
}
