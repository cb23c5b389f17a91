import Foundation

/// An AMQP field-table value (headers, queue arguments). Reading accepts every kind rabbitmq-c
/// decodes: all integer widths become `int`, floats `double`; timestamps and decimals keep their own case.
public indirect enum AMQPFieldValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case double(Double)
    /// AMQP timestamp (whole seconds since 1970), e.g. `time` inside `x-death`.
    case timestamp(Date)
    /// AMQP decimal: `value` × 10^-`scale`.
    case decimal(scale: UInt8, value: UInt32)
    case array([AMQPFieldValue])
    case table([String: AMQPFieldValue])
    case bytes([UInt8])
    case void
}

/// The message properties Recoup uses (others are ignored on receipt and not sent).
public struct AMQPProperties: Sendable, Equatable {
    public var contentType: String?
    /// The idempotency key consumers dedupe on.
    public var messageID: String?
    public var correlationID: String?
    public var type: String?
    public var appID: String?
    public var timestamp: Date?
    /// Delivery mode 2: the broker writes the message to disk.
    public var persistent = false
    /// Application and broker headers (`x-death`, `x-delivery-count`, `x-recoup-error`…).
    public var headers: [String: AMQPFieldValue] = [:]

    public init(contentType: String? = nil, messageID: String? = nil, correlationID: String? = nil, type: String? = nil,
                appID: String? = nil, timestamp: Date? = nil, persistent: Bool = false, headers: [String: AMQPFieldValue] = [:]) {
        self.contentType = contentType
        self.messageID = messageID
        self.correlationID = correlationID
        self.type = type
        self.appID = appID
        self.timestamp = timestamp
        self.persistent = persistent
        self.headers = headers
    }
}

/// A message the broker delivered. Ack it through the consumer (or admin) that received it.
public struct AMQPDelivery: Sendable {
    public var body: [UInt8]
    public var exchange: String
    public var routingKey: String
    /// The broker's number for this delivery on its channel (meaningless on any other).
    public var deliveryTag: UInt64
    /// The broker delivered it before (to this or another consumer) without an ack.
    public var redelivered: Bool
    public var properties: AMQPProperties
    /// Which connection incarnation delivered it. After a reconnect the broker has requeued
    /// older deliveries, so acks for them are dropped instead of hitting a stranger's tag.
    public var consumerGeneration: UInt64

    public init(body: [UInt8], exchange: String, routingKey: String, deliveryTag: UInt64, redelivered: Bool,
                properties: AMQPProperties, consumerGeneration: UInt64) {
        self.body = body
        self.exchange = exchange
        self.routingKey = routingKey
        self.deliveryTag = deliveryTag
        self.redelivered = redelivered
        self.properties = properties
        self.consumerGeneration = consumerGeneration
    }
}

/// A message to publish.
public struct AMQPOutboundMessage: Sendable {
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var properties: AMQPProperties
    /// Ask the broker to return the message if no queue is bound for it (the publish then fails).
    public var mandatory: Bool

    public init(exchange: String, routingKey: String, body: [UInt8], properties: AMQPProperties = AMQPProperties(), mandatory: Bool = false) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.properties = properties
        self.mandatory = mandatory
    }
}

/// Exchanges, queues and bindings to declare (idempotently) after every connect.
public struct AMQPTopology: Sendable {
    /// An exchange; `type` is "topic", "direct", "fanout" or "headers".
    public struct Exchange: Sendable, Equatable {
        public var name: String
        public var type: String
        public var durable: Bool
        public init(name: String, type: String, durable: Bool) {
            self.name = name
            self.type = type
            self.durable = durable
        }
    }

    /// A queue; `arguments` carry `x-queue-type`, `x-dead-letter-exchange`, `x-delivery-limit`…
    public struct Queue: Sendable, Equatable {
        public var name: String
        public var durable: Bool
        public var arguments: [String: AMQPFieldValue]
        public init(name: String, durable: Bool, arguments: [String: AMQPFieldValue] = [:]) {
            self.name = name
            self.durable = durable
            self.arguments = arguments
        }
    }

    /// Routes messages from `exchange` whose routing key matches `routingKey` into `queue`.
    public struct Binding: Sendable, Equatable {
        public var queue: String
        public var exchange: String
        public var routingKey: String
        public init(queue: String, exchange: String, routingKey: String) {
            self.queue = queue
            self.exchange = exchange
            self.routingKey = routingKey
        }
    }

    public var exchanges: [Exchange]
    public var queues: [Queue]
    public var bindings: [Binding]

    public init(exchanges: [Exchange] = [], queues: [Queue] = [], bindings: [Binding] = []) {
        self.exchanges = exchanges
        self.queues = queues
        self.bindings = bindings
    }
}

/// What can go wrong talking to the broker. `isConnectionLevel` tells whether the connection
/// had to be dropped (everything in flight on it failed) or only one operation or channel.
public enum AMQPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broker URL could not be parsed.
    case invalidURL(String)
    /// No connection could be made or the login was refused.
    case connectionFailed(String)
    /// The broker closed the connection (`connection.close`), e.g. 320 CONNECTION_FORCED.
    case connectionClosed(code: Int, text: String)
    /// The broker closed the channel (`channel.close`), e.g. 404 NOT_FOUND for a missing exchange.
    case channelClosed(code: Int, text: String)
    /// The socket failed, a heartbeat was missed, or a call stalled and was broken off.
    case connectionLost(String)
    /// The broker refused (basic.nack) a published message.
    case publishNacked
    /// A `mandatory` message could not be routed to any queue (basic.return).
    case returned(code: Int, text: String)
    /// There is no connection right now (the reason is the last error, when known).
    case notConnected
    /// An ack or nack for a delivery of an earlier connection: the broker has requeued it already.
    case staleDelivery
    /// An operation did not finish in time.
    case timedOut(String)
    /// This client was closed.
    case closed
    /// rabbitmq-c reported something else.
    case library(String)

    /// True when the error ends the connection, not just a channel or one call.
    public var isConnectionLevel: Bool {
        switch self {
        case .connectionFailed, .connectionClosed, .connectionLost, .library, .timedOut: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .invalidURL(let reason): "invalid AMQP URL: \(reason)"
        case .connectionFailed(let reason): "cannot connect to the broker: \(reason)"
        case .connectionClosed(let code, let text): "the broker closed the connection: \(code) \(text)"
        case .channelClosed(let code, let text): "the broker closed the channel: \(code) \(text)"
        case .connectionLost(let reason): "the broker connection was lost: \(reason)"
        case .publishNacked: "the broker refused (nacked) a published message"
        case .returned(let code, let text): "the broker returned an unroutable message: \(code) \(text)"
        case .notConnected: "not connected to the broker"
        case .staleDelivery: "the delivery came from an earlier connection; the broker has requeued it"
        case .timedOut(let what): "timed out: \(what)"
        case .closed: "the AMQP client was closed"
        case .library(let reason): "rabbitmq-c: \(reason)"
        }
    }
}
