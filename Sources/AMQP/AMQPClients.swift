import Logging

/// Consumes one queue with manual acks. Reconnects with backoff, re-declares the topology and
/// resumes consuming; deliveries of every connection flow into the one `deliveries` sequence.
public final class AMQPConsumer: Sendable {
    private let connection: ConnectionThread

    public init(configuration: AMQPConfiguration, queue: String, prefetch: UInt16, topology: AMQPTopology, logger: Logger) {
        connection = ConnectionThread(
            configuration: configuration, topology: topology,
            role: .init(consumeQueue: queue, prefetch: prefetch, confirms: false, stayConnected: true), logger: logger)
    }

    /// Every delivery, in arrival order; finishes after `stopConsuming()` or `close()`.
    public var deliveries: AsyncStream<AMQPDelivery> { connection.deliveries }

    public var isConnected: Bool { connection.isConnected }

    /// Acknowledges after the work is committed. Dropped if the delivery came from an earlier
    /// connection (the broker has requeued it already). Never blocks.
    public func ack(_ delivery: AMQPDelivery) {
        connection.submit(.ack(tag: delivery.deliveryTag, generation: delivery.consumerGeneration))
    }

    public func nack(_ delivery: AMQPDelivery, requeue: Bool) {
        connection.submit(.nack(tag: delivery.deliveryTag, generation: delivery.consumerGeneration, requeue: requeue))
    }

    public func reject(_ delivery: AMQPDelivery, requeue: Bool) {
        connection.submit(.reject(tag: delivery.deliveryTag, generation: delivery.consumerGeneration, requeue: requeue))
    }

    /// basic.cancel: no new deliveries; acks still flow until `close()`.
    public func stopConsuming() async {
        connection.submit(.stopConsuming)
    }

    /// Sends the queued acks, closes the connection, ends the thread.
    public func close() async {
        await connection.close()
    }

    /// Waits until connected (or `timeout` passes); for readiness checks and tests.
    public func waitUntilConnected(timeout: Duration) async -> Bool {
        await pollConnected(connection, timeout: timeout)
    }
}

/// Publishes with publisher confirms on a connection of its own (so broker flow control on
/// publishing never delays a consumer's acks).
public final class AMQPPublisher: Sendable {
    private let connection: ConnectionThread

    public init(configuration: AMQPConfiguration, topology: AMQPTopology, logger: Logger) {
        connection = ConnectionThread(
            configuration: configuration, topology: topology,
            role: .init(consumeQueue: nil, confirms: true, stayConnected: true), logger: logger)
    }

    public var isConnected: Bool { connection.isConnected }

    /// Returns once the broker has confirmed every message. Throws if one was nacked, returned
    /// (when `mandatory`), or the connection dropped first — then some may have been delivered,
    /// so callers that retry must accept duplicates (consumers dedupe on the message id).
    public func publish(_ messages: [AMQPOutboundMessage]) async throws {
        try await connection.publish(messages)
    }

    public func close() async {
        await connection.close()
    }

    public func waitUntilConnected(timeout: Duration) async -> Bool {
        await pollConnected(connection, timeout: timeout)
    }
}

/// One-off broker operations for the operator CLI and tests: declare, count, get, ack, purge.
public final class AMQPAdmin: Sendable {
    private let connection: ConnectionThread

    public init(configuration: AMQPConfiguration, logger: Logger) {
        connection = ConnectionThread(
            configuration: configuration, topology: AMQPTopology(),
            role: .init(consumeQueue: nil, confirms: false, stayConnected: false), logger: logger)
    }

    public func declare(_ topology: AMQPTopology) async throws {
        try await connection.perform { session, _ in try session.declare(topology) }
    }

    /// Ready (not unacked) messages in `queue`.
    public func messageCount(queue: String) async throws -> Int {
        try await connection.perform { session, _ in try session.messageCount(queue: queue) }
    }

    /// Takes one message without acknowledging it, or nil when the queue is empty.
    public func get(queue: String) async throws -> AMQPDelivery? {
        try await connection.perform { session, generation in try session.get(queue: queue, generation: generation) }
    }

    public func ack(_ delivery: AMQPDelivery) async throws {
        try await connection.perform { session, generation in
            guard generation == delivery.consumerGeneration else { throw AMQPError.notConnected }
            try session.ack(delivery.deliveryTag)
        }
    }

    public func nack(_ delivery: AMQPDelivery, requeue: Bool) async throws {
        try await connection.perform { session, generation in
            guard generation == delivery.consumerGeneration else { throw AMQPError.notConnected }
            try session.nack(delivery.deliveryTag, requeue: requeue)
        }
    }

    /// Deletes every ready message in `queue`; returns how many.
    public func purge(queue: String) async throws -> Int {
        try await connection.perform { session, _ in try session.purge(queue: queue) }
    }

    public func close() async {
        await connection.close()
    }
}

private func pollConnected(_ connection: ConnectionThread, timeout: Duration) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if connection.isConnected { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return connection.isConnected
}
