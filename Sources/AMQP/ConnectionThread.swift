import CRabbitMQ
import Foundation
import Logging
import Synchronization

/// One broker connection on a thread of its own: the only place its `AMQPSession` is touched.
///
/// Callers on any thread or task hand it jobs (acks, publishes, admin calls) through a locked
/// inbox and a wake-up pipe; the thread runs them between reads, reads frames (deliveries,
/// confirms, closes), services heartbeats by never sleeping longer than a fraction of the
/// heartbeat, and on any failure drops the connection and reconnects with backoff —
/// re-declaring the topology and resuming the consumer.
final class ConnectionThread: Sendable {
    enum Job: Sendable {
        case ack(tag: UInt64, generation: UInt64)
        case nack(tag: UInt64, generation: UInt64, requeue: Bool)
        case reject(tag: UInt64, generation: UInt64, requeue: Bool)
        case publish(batch: UInt64, messages: [AMQPOutboundMessage])
        /// Runs on the connection thread with the live session (nil when not connected); returns
        /// the error it met, so a broken channel leads to a reconnect.
        case perform(@Sendable (AMQPSession?, UInt64) -> (any Error)?)
        case stopConsuming
        case close
    }

    /// What the thread is to do besides running jobs.
    struct Role: Sendable {
        /// Consume this queue (deliveries go to `deliveries`).
        var consumeQueue: String?
        var prefetch: UInt16 = 0
        /// Put the channel in confirm mode (publishers).
        var confirms = false
        /// Stay connected even with nothing to do (consumers and publishers), or connect on demand.
        var stayConnected = true
    }

    private struct Shared {
        var jobs: [Job] = []
        var connected = false
        var closed = false
        var nextBatch: UInt64 = 1
        var waiting: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    }

    let configuration: AMQPConfiguration
    let topology: AMQPTopology
    let role: Role
    let logger: Logger
    let deliveries: AsyncStream<AMQPDelivery>
    private let deliveryContinuation: AsyncStream<AMQPDelivery>.Continuation
    private let shared = Mutex(Shared())
    private let wake: WakePipe
    private let finished = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let done = Mutex(false)

    init(configuration: AMQPConfiguration, topology: AMQPTopology, role: Role, logger: Logger) {
        self.configuration = configuration
        self.topology = topology
        self.role = role
        var logger = logger
        logger[metadataKey: "amqp_connection"] = "\(configuration.connectionName)"
        self.logger = logger
        (deliveries, deliveryContinuation) = AsyncStream.makeStream()
        wake = WakePipe()
        let thread = Thread { [self] in
            var loop = Loop(owner: self)
            loop.run()
            self.done.withLock { $0 = true }
            self.finished.withLock { $0?.resume(); $0 = nil }
        }
        thread.name = "amqp \(configuration.connectionName)"
        thread.start()
    }

    var isConnected: Bool { shared.withLock { $0.connected } }

    /// Queues a job and wakes the thread. Jobs after `close` are refused.
    func submit(_ job: Job) {
        let accepted = shared.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { wake.signal() } else if case .perform(let body) = job { _ = body(nil, 0) }
    }

    /// Publishes `messages` and returns once the broker confirmed all of them.
    func publish(_ messages: [AMQPOutboundMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let batch = shared.withLock { state -> UInt64? in
                guard !state.closed else { return nil }
                let batch = state.nextBatch
                state.nextBatch += 1
                state.waiting[batch] = continuation
                state.jobs.append(.publish(batch: batch, messages: messages))
                return batch
            }
            if batch == nil { continuation.resume(throwing: AMQPError.closed) } else { wake.signal() }
        }
    }

    /// Runs `body` on the connection thread with the live session; connects first if needed.
    func perform<T: Sendable>(_ body: @escaping @Sendable (AMQPSession, UInt64) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit(.perform { session, generation in
                guard let session else {
                    continuation.resume(throwing: AMQPError.notConnected)
                    return nil
                }
                let result = Result { try body(session, generation) }
                continuation.resume(with: result)
                if case .failure(let error) = result { return error }
                return nil
            })
        }
    }

    /// Closes the connection after the jobs already queued, and waits for the thread to end.
    func close() async {
        submit(.close)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyDone = done.withLock { isDone -> Bool in
                if isDone { return true }
                finished.withLock { $0 = continuation }
                return false
            }
            if alreadyDone { continuation.resume() }
        }
    }

    fileprivate func takeJobs() -> [Job] {
        shared.withLock { state in
            let jobs = state.jobs
            state.jobs.removeAll(keepingCapacity: true)
            return jobs
        }
    }

    fileprivate func setConnected(_ connected: Bool) { shared.withLock { $0.connected = connected } }

    /// Marks closed and returns the publishes still waiting, to fail them.
    fileprivate func markClosed() -> [CheckedContinuation<Void, any Error>] {
        shared.withLock { state in
            state.closed = true
            let waiting = Array(state.waiting.values)
            state.waiting.removeAll()
            return waiting
        }
    }

    fileprivate func settle(batch: UInt64, error: (any Error)?) {
        guard let continuation = shared.withLock({ $0.waiting.removeValue(forKey: batch) }) else { return }
        if let error { continuation.resume(throwing: error) } else { continuation.resume() }
    }

    /// The thread's own state; never leaves the thread.
    private struct Loop {
        let owner: ConnectionThread
        var session: AMQPSession?
        var generation: UInt64 = 0
        var consumerTag: String?
        var consuming: Bool
        var confirms = ConfirmTracker()
        var backoff: Backoff
        var nextConnectAttempt = ContinuousClock.now
        var wantConnection: Bool

        init(owner: ConnectionThread) {
            self.owner = owner
            consuming = owner.role.consumeQueue != nil
            backoff = Backoff(policy: owner.configuration.reconnectBackoff)
            wantConnection = owner.role.stayConnected
        }

        var logger: Logger { owner.logger }

        /// Poll no longer than this between reads: a fraction of the heartbeat, so heartbeats go
        /// out in time and a dead broker is noticed.
        var tick: Duration {
            let heartbeat = owner.configuration.heartbeatSeconds
            let base: Duration = heartbeat > 0 ? .milliseconds(heartbeat * 1000 / 4) : .seconds(1)
            return min(base, owner.configuration.url.tls ? .milliseconds(50) : .milliseconds(500))
        }

        mutating func run() {
            while true {
                for job in owner.takeJobs() {
                    if case .close = job {
                        shutDown()
                        return
                    }
                    handle(job)
                }
                if session == nil, wantConnection, ContinuousClock.now >= nextConnectAttempt { connect() }
                if session != nil { readAvailableFrames() }
                if let session, session.hasBufferedInput { continue }
                let wait = session == nil && wantConnection ? min(tick, max(.zero, nextConnectAttempt - .now)) : tick
                owner.wake.wait(socket: session?.socketDescriptor ?? -1, timeout: wait)
            }
        }

        mutating func connect() {
            do {
                let session = try AMQPSession(configuration: owner.configuration)
                try session.declare(owner.topology)
                if owner.role.confirms { try session.confirmSelect() }
                generation += 1
                if consuming, let queue = owner.role.consumeQueue {
                    try session.qos(prefetch: owner.role.prefetch)
                    consumerTag = try session.consume(queue: queue)
                }
                self.session = session
                owner.setConnected(true)
                if backoff.attempt > 0 {
                    logger.notice("reconnected to the broker", metadata: ["broker": "\(owner.configuration.url)"])
                } else {
                    logger.debug("connected to the broker", metadata: ["broker": "\(owner.configuration.url)"])
                }
                backoff.reset()
            } catch {
                let delay = backoff.next()
                nextConnectAttempt = .now + delay
                logger.warning("cannot connect to the broker; retrying", metadata: [
                    "broker": "\(owner.configuration.url)", "error": "\(error)", "retry_in_ms": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
                ])
            }
        }

        /// Drops the connection after a failure; waiting publishes fail, and the broker requeues
        /// every unacked delivery of this generation.
        mutating func disconnect(_ error: any Error) {
            logger.warning("broker connection lost", metadata: ["error": "\(error)"])
            session?.close()
            session = nil
            consumerTag = nil
            owner.setConnected(false)
            for batch in confirms.reset() { owner.settle(batch: batch, error: error) }
            nextConnectAttempt = .now + backoff.next()
        }

        mutating func handle(_ job: Job) {
            switch job {
            case .ack(let tag, let jobGeneration):
                guard let session, jobGeneration == generation else { return }
                do { try session.ack(tag) } catch { disconnect(error) }
            case .nack(let tag, let jobGeneration, let requeue):
                guard let session, jobGeneration == generation else { return }
                do { try session.nack(tag, requeue: requeue) } catch { disconnect(error) }
            case .reject(let tag, let jobGeneration, let requeue):
                guard let session, jobGeneration == generation else { return }
                do { try session.reject(tag, requeue: requeue) } catch { disconnect(error) }
            case .publish(let batch, let messages):
                if session == nil { connect() }
                guard let session else {
                    owner.settle(batch: batch, error: AMQPError.notConnected)
                    return
                }
                do {
                    for message in messages {
                        confirms.published(batch: batch)
                        try session.publish(message)
                    }
                } catch {
                    disconnect(error)
                }
            case .perform(let body):
                if session == nil { connect() }
                if let error = body(session, generation) as? AMQPError {
                    switch error {
                    case .closedByBroker, .library: disconnect(error)
                    default: break
                    }
                }
            case .stopConsuming:
                guard consuming else { return }
                consuming = false
                if let session, let tag = consumerTag {
                    do { try session.cancel(consumerTag: tag) } catch { disconnect(error) }
                }
                consumerTag = nil
                owner.deliveryContinuation.finish()
            case .close:
                break
            }
        }

        mutating func readAvailableFrames() {
            // Bounded, so queued jobs (acks) are not starved by a flood of deliveries.
            for _ in 0..<512 {
                guard let session else { return }
                let frame: AMQPSession.Frame?
                do {
                    frame = try session.nextFrame(generation: generation)
                } catch {
                    disconnect(error)
                    return
                }
                guard let frame else { return }
                switch frame {
                case .delivery(let delivery):
                    // After stopConsuming, deliveries still in flight stay unacked: the broker
                    // requeues them when the channel closes.
                    if consuming { owner.deliveryContinuation.yield(delivery) }
                case .ack(let tag, let multiple):
                    for settled in confirms.ack(tag, multiple: multiple) {
                        owner.settle(batch: settled.batch, error: settled.ok ? nil : AMQPError.returned(code: 312, text: "NO_ROUTE"))
                    }
                case .nack(let tag, let multiple):
                    for settled in confirms.nack(tag, multiple: multiple) {
                        owner.settle(batch: settled.batch, error: AMQPError.publishNacked)
                    }
                case .returned:
                    if let oldest = confirms.oldestOutstanding { confirms.returned(sequence: oldest) }
                case .cancelledByBroker:
                    // The queue was deleted or failed over: reconnect and consume again.
                    disconnect(AMQPError.closedByBroker(code: 0, text: "consumer cancelled by the broker"))
                    return
                case .blocked(let reason):
                    logger.warning("broker blocked publishing", metadata: ["reason": "\(reason)"])
                case .unblocked:
                    logger.notice("broker unblocked publishing")
                case .other:
                    break
                }
            }
        }

        mutating func shutDown() {
            if consuming { owner.deliveryContinuation.finish() }
            session?.close()
            session = nil
            owner.setConnected(false)
            for continuation in owner.markClosed() { continuation.resume(throwing: AMQPError.closed) }
            // Jobs that raced with close: admin calls get "not connected".
            for job in owner.takeJobs() {
                if case .perform(let body) = job { _ = body(nil, 0) }
            }
            owner.deliveryContinuation.finish()
        }
    }
}

/// A self-pipe: other threads write a byte to interrupt the connection thread's poll().
final class WakePipe: Sendable {
    private let readFD: Int32
    private let writeFD: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        let result = pipe(&fds)
        precondition(result == 0, "pipe failed: \(errno)")
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    func signal() {
        var byte: UInt8 = 1
        _ = Foundation.write(writeFD, &byte, 1)
    }

    /// Waits until the socket is readable, a signal arrives, or `timeout` passes; drains signals.
    func wait(socket: Int32, timeout: Duration) {
        var fds = [pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)]
        if socket >= 0 { fds.append(pollfd(fd: socket, events: Int16(POLLIN), revents: 0)) }
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        _ = poll(&fds, nfds_t(fds.count), max(0, milliseconds))
        if fds[0].revents != 0 {
            var buffer = [UInt8](repeating: 0, count: 64)
            while Foundation.read(readFD, &buffer, buffer.count) > 0 {}
        }
    }

    // Closed only when nothing can signal any more: a late signal must never hit a reused fd.
    deinit {
        Foundation.close(readFD)
        Foundation.close(writeFD)
    }
}
