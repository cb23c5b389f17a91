import Foundation

/// An AMQP field-table value (headers, queue arguments).
public indirect enum AMQPFieldValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case double(Double)
    case timestamp(Date)
    case decimal(scale: UInt8, value: UInt32)
    case array([AMQPFieldValue])
    case table([String: AMQPFieldValue])
    case bytes([UInt8])
    case void
}

/// The message properties Recoup uses.
public struct AMQPProperties: Sendable, Equatable {
    public var contentType: String?
    public var messageID: String?
    public var correlationID: String?
    public var type: String?
    public var appID: String?
    public var timestamp: Date?
    /// Delivery mode 2: the broker writes the message to disk.
    public var persistent = false
    public var headers: [String: AMQPFieldValue] = [:]

    public init() {}
}

/// A message the broker delivered. Ack it through the consumer (or admin) that received it.
public struct AMQPDelivery: Sendable {
    public var body: [UInt8]
    public var exchange: String
    public var routingKey: String
    public var deliveryTag: UInt64
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

/// What can go wrong talking to the broker.
public enum AMQPError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL(String)
    case connectionFailed(String)
    case closedByBroker(code: Int, text: String)
    case library(String)
    case notConnected
    case publishNacked
    case returned(code: Int, text: String)
    case closed
    case timedOut

    public var description: String {
        switch self {
        case .invalidURL(let reason): "invalid AMQP URL: \(reason)"
        case .connectionFailed(let reason): "cannot connect to the broker: \(reason)"
        case .closedByBroker(let code, let text): "the broker closed the channel or connection: \(code) \(text)"
        case .library(let reason): "rabbitmq-c: \(reason)"
        case .notConnected: "not connected to the broker"
        case .publishNacked: "the broker refused (nacked) a published message"
        case .returned(let code, let text): "the broker returned an unroutable message: \(code) \(text)"
        case .closed: "the connection was closed by this process"
        case .timedOut: "timed out"
        }
    }
}
