import Logging

/// Consumes one queue with manual acks on a connection of its own. Reconnects with backoff,
/// re-declares the topology and resumes consuming; deliveries of every connection flow into the
/// one `deliveries` sequence. Call `close()` when done (it ends the connection's thread).
public final class AMQPConsumer: Sendable {
    private let connection: ConnectionThread

    /// Starts connecting at once. `prefetch` bounds the unacked deliveries in flight (0: no bound).
    public init(configuration: AMQPConfiguration, queue: String, prefetch: UInt16, topology: AMQPTopology, logger: Logger) {
        connection = ConnectionThread(
            configuration: configuration, topology: topology,
            role: .init(consumeQueue: queue, prefetch: prefetch, confirms: false, stayConnected: true), logger: logger)
    }

    /// Every delivery, in arrival order, across reconnects. Iterate it once. Finishes after
    /// `stopConsuming()` or `close()` (deliveries already buffered are still handed out).
    public var deliveries: AsyncStream<AMQPDelivery> { connection.deliveries }

    /// Connected, with the consumer registered.
    public var isConnected: Bool { connection.isConnected }

    /// Why the last connection attempt or connection failed; nil while healthy. For readiness reports.
    public var lastError: AMQPError? { connection.lastError }

    /// Acknowledges after the work is committed. Never blocks: the ack is queued for the
    /// connection thread. Dropped if the delivery came from an earlier connection or channel
    /// (the broker has requeued it already).
    public func ack(_ delivery: AMQPDelivery) {
        connection.submit(.ack(tag: delivery.deliveryTag, generation: delivery.consumerGeneration))
    }

    /// basic.nack: with `requeue` false the queue dead-letters it (if it has a DLX) or drops it.
    public func nack(_ delivery: AMQPDelivery, requeue: Bool) {
        connection.submit(.nack(tag: delivery.deliveryTag, generation: delivery.consumerGeneration, requeue: requeue))
    }

    /// basic.reject: like `nack` for one message.
    public func reject(_ delivery: AMQPDelivery, requeue: Bool) {
        connection.submit(.reject(tag: delivery.deliveryTag, generation: delivery.consumerGeneration, requeue: requeue))
    }

    /// basic.cancel, for a graceful stop: returns once the broker confirmed it. No new deliveries
    /// after that (stragglers are handed back), `deliveries` finishes, acks still flow until `close()`.
    public func stopConsuming() async {
        await connection.stopConsuming()
    }

    /// Sends the acks queued so far, closes channel and connection (the broker requeues whatever
    /// is still unacked), and ends the connection's thread.
    public func close() async {
        await connection.close()
    }

    /// Waits until connected and consuming, or `timeout` passes; for readiness checks and tests.
    public func waitUntilConnected(timeout: Duration) async -> Bool {
        await pollConnected(connection, timeout: timeout)
    }
}

/// Publishes with publisher confirms on a connection of its own (so broker flow control on
/// publishing never delays a consumer's acks). Call `close()` when done.
public final class AMQPPublisher: Sendable {
    private let connection: ConnectionThread

    /// Starts connecting at once; `topology` is declared on every (re)connect.
    public init(configuration: AMQPConfiguration, topology: AMQPTopology, logger: Logger) {
        connection = ConnectionThread(
            configuration: configuration, topology: topology,
            role: .init(consumeQueue: nil, confirms: true, stayConnected: true), logger: logger)
    }

    public var isConnected: Bool { connection.isConnected }

    /// Why the last connection attempt or connection failed; nil while healthy.
    public var lastError: AMQPError? { connection.lastError }

    /// Sends all messages, then returns once the broker has confirmed every one. Throws if one was
    /// nacked, returned (when `mandatory`), its channel or connection was lost first, or no
    /// connection came up within `publishTimeout`. After a failure some may have been delivered:
    /// callers that retry must accept duplicates (consumers dedupe on the message id).
    public func publish(_ messages: [AMQPOutboundMessage]) async throws {
        try await connection.publish(messages)
    }

    /// Closes the connection; publishes still waiting fail with `AMQPError.closed`.
    public func close() async {
        await connection.close()
    }

    /// Waits until connected, or `timeout` passes.
    public func waitUntilConnected(timeout: Duration) async -> Bool {
        await pollConnected(connection, timeout: timeout)
    }
}

/// One-off broker operations for the operator CLI and tests: declare, count, get, ack, purge.
/// Connects on first use (errors say why it could not) and after a failure on the next call; a
/// channel error (say, a missing queue) fails only that call.
public final class AMQPAdmin: Sendable {
    private let connection: ConnectionThread

    public init(configuration: AMQPConfiguration, logger: Logger) {
        connection = ConnectionThread(
            configuration: configuration, topology: AMQPTopology(),
            role: .init(consumeQueue: nil, confirms: false, stayConnected: false), logger: logger)
    }

    /// Declares exchanges, queues and bindings (idempotent; a conflicting declaration fails).
    public func declare(_ topology: AMQPTopology) async throws {
        try await connection.perform { session, _ throws(AMQPError) in try session.declare(topology) }
    }

    /// Ready (not unacked) messages in `queue`; throws `channelClosed` 404 if it does not exist.
    public func messageCount(queue: String) async throws -> Int {
        try await connection.perform { session, _ throws(AMQPError) in try session.messageCount(queue: queue) }
    }

    /// Takes one message without acknowledging it, or nil when the queue is empty. Ack or nack it
    /// through this admin; unacked, it returns to the queue when the admin closes.
    public func get(queue: String) async throws -> AMQPDelivery? {
        try await connection.perform { session, generation throws(AMQPError) in try session.get(queue: queue, generation: generation) }
    }

    /// Acknowledges a message from `get`; throws `staleDelivery` if the connection was lost since.
    public func ack(_ delivery: AMQPDelivery) async throws {
        try await connection.perform { session, generation throws(AMQPError) in
            guard generation == delivery.consumerGeneration else { throw .staleDelivery }
            try session.ack(delivery.deliveryTag)
        }
    }

    /// Rejects a message from `get`; without `requeue` it is dead-lettered or dropped.
    public func nack(_ delivery: AMQPDelivery, requeue: Bool) async throws {
        try await connection.perform { session, generation throws(AMQPError) in
            guard generation == delivery.consumerGeneration else { throw .staleDelivery }
            try session.nack(delivery.deliveryTag, requeue: requeue)
        }
    }

    /// Deletes every ready message in `queue`; returns how many.
    public func purge(queue: String) async throws -> Int {
        try await connection.perform { session, _ throws(AMQPError) in try session.purge(queue: queue) }
    }

    /// Closes the connection (messages taken with `get` and not acked return to their queue).
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
