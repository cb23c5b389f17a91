import CRabbitMQ
import Foundation
import Logging
import Synchronization

/// One broker connection on a thread of its own: the only place its `AMQPSession` is touched,
/// so no blocking C call ever runs on the Swift concurrency pool.
///
/// Callers on any thread or task hand it jobs (acks, publishes, admin calls) through a locked
/// inbox and a wake-up pipe that is polled together with the socket. Between jobs the thread
/// reads frames (deliveries, confirms, returns, cancels, blocks, closes) and never waits longer
/// than a fraction of the heartbeat, so rabbitmq-c sends and checks heartbeats in time. A channel
/// closed by the broker is reopened and set up again; a lost connection is rebuilt with backoff,
/// re-declaring the topology and resuming the consumer.
final class ConnectionThread: Sendable {
    enum Job: Sendable {
        case ack(tag: UInt64, generation: UInt64)
        case nack(tag: UInt64, generation: UInt64, requeue: Bool)
        case reject(tag: UInt64, generation: UInt64, requeue: Bool)
        case publish(batch: UInt64, messages: [AMQPOutboundMessage], deadline: ContinuousClock.Instant)
        /// Runs on the connection thread with the live session (nil when there is none; then the
        /// error says why) and the channel generation; returns the error it met so that a broken
        /// channel or connection is repaired.
        case perform(@Sendable (AMQPSession?, UInt64, AMQPError) -> AMQPError?)
        /// basic.cancel; the closure runs once it is done.
        case stopConsuming(@Sendable () -> Void)
        case close
    }

    /// What the thread is for.
    struct Role: Sendable {
        /// Consume this queue (deliveries go to `deliveries`).
        var consumeQueue: String?
        var prefetch: UInt16 = 0
        /// Put the channel in confirm mode (publishers).
        var confirms = false
        /// Stay connected with nothing to do (consumers, publishers), or connect on demand (admin).
        var stayConnected = true
    }

    private struct Shared {
        var jobs: [Job] = []
        var connected = false
        var lastError: AMQPError?
        var closed = false
        var threadEnded = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var nextBatch: UInt64 = 1
        var waiting: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    }

    let configuration: AMQPConfiguration
    let topology: AMQPTopology
    let role: Role
    let logger: Logger
    let deliveries: AsyncStream<AMQPDelivery>
    fileprivate let deliveryContinuation: AsyncStream<AMQPDelivery>.Continuation
    private let shared = Mutex(Shared())
    fileprivate let wake: WakePipe

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
            let waiters = shared.withLock { state in
                state.threadEnded = true
                defer { state.closeWaiters.removeAll() }
                return state.closeWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.name = "amqp \(configuration.connectionName)"
        thread.start()
    }

    var isConnected: Bool { shared.withLock { $0.connected } }

    /// Why the last connect attempt or connection failed (nil while healthy).
    var lastError: AMQPError? { shared.withLock { $0.lastError } }

    /// Queues a job and wakes the thread. After `close` jobs are refused: an admin call then
    /// fails with `.closed`, a stop completes at once, acks are dropped.
    func submit(_ job: Job) {
        let accepted = shared.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted {
            wake.signal()
        } else {
            switch job {
            case .perform(let body): _ = body(nil, 0, .closed)
            case .stopConsuming(let done): done()
            default: break
            }
        }
    }

    /// Publishes `messages` and returns once the broker confirmed all of them. Cancelling the
    /// task stops the wait (the messages may still be published).
    func publish(_ messages: [AMQPOutboundMessage]) async throws {
        guard !messages.isEmpty else { return }
        let batch = shared.withLock { state -> UInt64 in
            defer { state.nextBatch += 1 }
            return state.nextBatch
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let accepted = shared.withLock { state -> Bool in
                    guard !state.closed else { return false }
                    if Task.isCancelled { return false }
                    state.waiting[batch] = continuation
                    state.jobs.append(.publish(batch: batch, messages: messages, deadline: .now + configuration.publishTimeout))
                    return true
                }
                if accepted {
                    wake.signal()
                } else {
                    continuation.resume(throwing: Task.isCancelled ? CancellationError() : AMQPError.closed)
                }
            }
        } onCancel: {
            settle(batch: batch, error: CancellationError())
        }
    }

    /// Runs `body` on the connection thread with the live session; connects first if needed.
    func perform<T: Sendable>(_ body: @escaping @Sendable (AMQPSession, UInt64) throws(AMQPError) -> T) async throws(AMQPError) -> T {
        let result: Result<T, AMQPError> = await withCheckedContinuation { continuation in
            submit(.perform { session, generation, reason in
                guard let session else {
                    continuation.resume(returning: .failure(reason))
                    return nil
                }
                do throws(AMQPError) {
                    let value = try body(session, generation)
                    continuation.resume(returning: .success(value))
                    return nil
                } catch {
                    continuation.resume(returning: .failure(error))
                    return error
                }
            })
        }
        return try result.get()
    }

    /// Cancels the consumer and returns once the broker confirmed it (or there was no consumer).
    func stopConsuming() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            submit(.stopConsuming { continuation.resume() })
        }
    }

    /// Runs the jobs already queued (acks), closes the connection, and waits for the thread to end.
    func close() async {
        submit(.close)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ended = shared.withLock { state -> Bool in
                if state.threadEnded { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if ended { continuation.resume() }
        }
    }

    fileprivate func takeJobs() -> [Job] {
        shared.withLock { state in
            defer { state.jobs.removeAll(keepingCapacity: true) }
            return state.jobs
        }
    }

    fileprivate func setConnected(_ connected: Bool, error: AMQPError?) {
        shared.withLock { state in
            state.connected = connected
            state.lastError = error
        }
    }

    /// Refuses further jobs; returns the jobs that raced with `close` and the publishes still waiting.
    fileprivate func markClosed() -> (jobs: [Job], waiting: [CheckedContinuation<Void, any Error>]) {
        shared.withLock { state in
            state.closed = true
            defer {
                state.jobs.removeAll()
                state.waiting.removeAll()
            }
            return (state.jobs, Array(state.waiting.values))
        }
    }

    /// Completes the `publish` call of `batch` (at most once; later settlements are ignored).
    fileprivate func settle(batch: UInt64, error: (any Error)?) {
        guard let continuation = shared.withLock({ $0.waiting.removeValue(forKey: batch) }) else { return }
        if let error { continuation.resume(throwing: error) } else { continuation.resume() }
    }

    /// The thread's own state; never leaves the thread.
    private struct Loop {
        let owner: ConnectionThread
        var session: AMQPSession?
        /// Bumped for every new channel: delivery tags are per channel.
        var generation: UInt64 = 0
        var consumerTag: String?
        var consuming: Bool
        var pipeline = PublishPipeline()
        var acks = AckCoalescer()
        /// Acks of the current generation taken from the inbox and not yet written.
        var pendingAcks: [UInt64] = []
        /// Acks were written since the last round trip with the broker.
        var acksUnsynced = false
        var blocked = false
        var backoff: Backoff
        var nextConnectAttempt = ContinuousClock.now
        var lastError: AMQPError?
        var everConnected = false

        /// Messages written per pass before frames are read again.
        static let publishSlice = 64
        /// Frames read per pass before queued jobs (acks) get their turn.
        static let readSlice = 256
        /// How long `close()` lingers after the last acks (see `settleAcksBeforeClosing`).
        static let ackLinger: Duration = .milliseconds(100)

        init(owner: ConnectionThread) {
            self.owner = owner
            consuming = owner.role.consumeQueue != nil
            backoff = Backoff(policy: owner.configuration.reconnectBackoff)
        }

        var logger: Logger { owner.logger }
        var configuration: AMQPConfiguration { owner.configuration }

        /// Poll no longer than this between reads: a fraction of the heartbeat, so heartbeats go
        /// out in time and a dead broker is noticed (TLS: short, as OpenSSL may hold decrypted
        /// bytes that poll() cannot see).
        var tick: Duration {
            let heartbeat = configuration.heartbeatSeconds
            let base: Duration = heartbeat > 0 ? .milliseconds(heartbeat * 1000 / 4) : .milliseconds(500)
            return min(base, configuration.url.tls ? .milliseconds(50) : .milliseconds(500))
        }

        var wantsConnection: Bool { owner.role.stayConnected || pipeline.hasUnsent }

        mutating func run() {
            while true {
                for job in owner.takeJobs() {
                    if case .close = job {
                        flushAcks()
                        shutDown()
                        return
                    }
                    handle(job)
                }
                flushAcks()
                let now = ContinuousClock.now
                for batch in pipeline.expire(now: now) {
                    let reason: AMQPError = blocked
                        ? .timedOut("the broker blocks publishing (resource alarm)")
                        : lastError ?? .notConnected
                    owner.settle(batch: batch, error: reason)
                }
                if session == nil, wantsConnection, now >= nextConnectAttempt { connect() }
                if session != nil { readAvailableFrames() }
                if session != nil, !blocked, pipeline.hasUnsent {
                    sendSlice()
                    if session != nil, !blocked, pipeline.hasUnsent { continue }
                }
                if let session, session.hasBufferedInput { continue }
                var wait = tick
                if session == nil, wantsConnection { wait = min(wait, max(.zero, nextConnectAttempt - .now)) }
                owner.wake.wait(socket: session?.socketDescriptor ?? -1, timeout: wait)
            }
        }

        // MARK: Connection lifecycle

        mutating func connect() {
            do {
                let session = try AMQPSession(configuration: configuration)
                self.session = session
                generation += 1
                acks.reset()
                pendingAcks.removeAll()
                blocked = false
                try setUpChannel(session)
            } catch {
                session?.abandon()
                session = nil
                lastError = error
                owner.setConnected(false, error: error)
                let delay = backoff.next()
                nextConnectAttempt = .now + delay
                if owner.role.stayConnected {
                    logger.warning("cannot connect to the broker; retrying", metadata: [
                        "broker": "\(configuration.url)", "error": "\(error)", "retry_in_ms": "\(delay.milliseconds)",
                    ])
                } else {
                    logger.info("cannot connect to the broker", metadata: ["broker": "\(configuration.url)", "error": "\(error)"])
                }
                return
            }
            lastError = nil
            owner.setConnected(true, error: nil)
            if everConnected {
                logger.notice("reconnected to the broker", metadata: ["broker": "\(configuration.url)"])
            } else {
                logger.debug("connected to the broker", metadata: ["broker": "\(configuration.url)"])
            }
            everConnected = true
            backoff.reset()
        }

        /// Declares the topology and sets the channel up for its role (confirms, qos, consume).
        mutating func setUpChannel(_ session: AMQPSession) throws(AMQPError) {
            try session.declare(owner.topology)
            if owner.role.confirms { try session.confirmSelect() }
            if consuming, let queue = owner.role.consumeQueue {
                try session.qos(prefetch: owner.role.prefetch)
                consumerTag = try session.consume(queue: queue)
            }
        }

        /// Repairs what `error` broke: a closed channel is reopened (started publishes fail);
        /// a connection-level error drops the connection. Other errors concern one call only.
        mutating func recover(from error: AMQPError) {
            switch error {
            case .channelClosed(let code, let text):
                guard let session else { return }
                logger.warning("the broker closed the channel; reopening it", metadata: ["code": "\(code)", "reason": "\(text)"])
                failStartedPublishes(error)
                consumerTag = nil
                generation += 1
                acks.reset()
                pendingAcks.removeAll()
                do {
                    try session.openChannel()
                    try setUpChannel(session)
                } catch {
                    disconnect(error)
                }
            case .connectionFailed, .connectionClosed, .connectionLost, .library, .timedOut, .notConnected:
                disconnect(error)
            case .invalidURL, .publishNacked, .returned, .staleDelivery, .closed:
                break
            }
        }

        /// Drops the connection after a failure: started publishes fail, and the broker requeues
        /// every unacked delivery of this generation. Reconnects after a backoff delay.
        mutating func disconnect(_ error: AMQPError) {
            session?.abandon()
            session = nil
            consumerTag = nil
            blocked = false
            lastError = error
            owner.setConnected(false, error: error)
            failStartedPublishes(error)
            let delay = backoff.next()
            nextConnectAttempt = .now + delay
            if owner.role.stayConnected {
                logger.warning("broker connection lost; reconnecting", metadata: ["error": "\(error)", "retry_in_ms": "\(delay.milliseconds)"])
            } else {
                logger.info("broker connection dropped", metadata: ["error": "\(error)"])
            }
        }

        mutating func failStartedPublishes(_ error: AMQPError) {
            for batch in pipeline.channelLost() { owner.settle(batch: batch, error: error) }
        }

        // MARK: Jobs

        mutating func handle(_ job: Job) {
            switch job {
            case .ack(let tag, let jobGeneration):
                // Gathered, then written together by `flushAcks` (after this pass over the inbox).
                guard session != nil, jobGeneration == generation else { return }
                pendingAcks.append(tag)
            case .nack(let tag, let jobGeneration, let requeue):
                flushAcks()
                guard let session, jobGeneration == generation, session.channelOpen else { return }
                acks.settledElsewhere(tag)
                do { try session.nack(tag, requeue: requeue) } catch { recover(from: error) }
            case .reject(let tag, let jobGeneration, let requeue):
                flushAcks()
                guard let session, jobGeneration == generation, session.channelOpen else { return }
                acks.settledElsewhere(tag)
                do { try session.reject(tag, requeue: requeue) } catch { recover(from: error) }
            case .publish(let batch, let messages, let deadline):
                pipeline.enqueue(id: batch, messages: messages, deadline: deadline)
            case .perform(let body):
                flushAcks()
                // On-demand users (admin) connect now; the backoff paces only background retries.
                if session == nil { connect() }
                if let error = body(session, generation, lastError ?? .notConnected) { recover(from: error) }
            case .stopConsuming(let done):
                flushAcks()
                stopConsuming()
                done()
            case .close:
                break
            }
        }

        /// Writes the gathered acks, folded into as few frames as possible.
        mutating func flushAcks() {
            guard !pendingAcks.isEmpty else { return }
            defer { pendingAcks.removeAll(keepingCapacity: true) }
            guard let session, session.channelOpen else { return }
            for action in acks.plan(acks: pendingAcks) {
                guard case .ack(let tag, let multiple) = action else { continue }
                do {
                    try session.ack(tag, multiple: multiple)
                    acksUnsynced = true
                } catch {
                    recover(from: error)
                    return
                }
            }
        }

        mutating func stopConsuming() {
            guard consuming else { return }
            consuming = false
            if let session, let tag = consumerTag {
                do { try session.cancel(consumerTag: tag) } catch { recover(from: error) }
            }
            consumerTag = nil
            owner.deliveryContinuation.finish()
        }

        // MARK: Frames and publishing

        mutating func readAvailableFrames() {
            for _ in 0..<Self.readSlice {
                guard let session else { return }
                let frame: AMQPSession.Frame?
                do {
                    frame = try session.nextFrame(generation: generation)
                } catch {
                    recover(from: error)
                    return
                }
                guard let frame else { return }
                switch frame {
                case .delivery(let delivery):
                    if consuming {
                        acks.delivered(delivery.deliveryTag)
                        owner.deliveryContinuation.yield(delivery)
                    } else {
                        // Arrived after basic.cancel: hand it straight back for another consumer.
                        do { try session.reject(delivery.deliveryTag, requeue: true) } catch { recover(from: error) }
                    }
                case .ack(let tag, let multiple):
                    for settled in pipeline.ack(tag, multiple: multiple) {
                        owner.settle(batch: settled.batch, error: settled.failure)
                    }
                case .nack(let tag, let multiple):
                    for settled in pipeline.nack(tag, multiple: multiple) {
                        owner.settle(batch: settled.batch, error: settled.failure ?? .publishNacked)
                    }
                case .returned(let returned):
                    logger.debug("the broker returned a message", metadata: [
                        "exchange": "\(returned.exchange)", "routing_key": "\(returned.routingKey)", "reason": "\(returned.text)",
                    ])
                    pipeline.returned(.init(exchange: returned.exchange, routingKey: returned.routingKey, messageID: returned.messageID),
                                      code: returned.code, text: returned.text)
                case .cancelledByBroker(let tag):
                    guard consuming, tag == consumerTag, let queue = owner.role.consumeQueue else { break }
                    // The queue was deleted or moved: declare it again and resume.
                    logger.warning("the broker cancelled the consumer; consuming again", metadata: ["queue": "\(queue)"])
                    consumerTag = nil
                    do {
                        try session.declare(owner.topology)
                        consumerTag = try session.consume(queue: queue)
                    } catch {
                        recover(from: error)
                        if self.session != nil, consumerTag == nil { disconnect(error) }
                    }
                case .blocked(let reason):
                    blocked = true
                    logger.warning("the broker blocks publishing on this connection", metadata: ["reason": "\(reason)"])
                case .unblocked:
                    blocked = false
                    logger.notice("the broker unblocked publishing")
                case .other:
                    break
                }
            }
        }

        /// Writes the next slice of queued messages; confirms are read between slices.
        mutating func sendSlice() {
            guard let session else { return }
            for message in pipeline.take(limit: Self.publishSlice) {
                do {
                    try session.publish(message)
                } catch {
                    recover(from: error)
                    return
                }
            }
        }

        /// Gives the broker a moment to apply the last acks before the channel closes: a quorum
        /// queue may hold settlements back while many Raft commands are in flight, and a channel
        /// closed then loses them (the messages would be redelivered). A round trip makes sure the
        /// channel has taken every ack; a short linger lets the queue catch up.
        mutating func settleAcksBeforeClosing(_ session: AMQPSession) {
            do {
                try session.qos(prefetch: owner.role.prefetch)
                let deadline = ContinuousClock.now + Self.ackLinger
                while ContinuousClock.now < deadline {
                    // Deliveries read here are dropped: closing the channel requeues them.
                    _ = try session.nextFrame(timeout: .milliseconds(20), generation: generation)
                }
            } catch {
                // The connection is going away anyway.
            }
            acksUnsynced = false
        }

        mutating func shutDown() {
            if consuming { owner.deliveryContinuation.finish() }
            if let session, acksUnsynced, session.channelOpen { settleAcksBeforeClosing(session) }
            session?.close()
            session = nil
            owner.setConnected(false, error: .closed)
            for batch in pipeline.removeAll() { owner.settle(batch: batch, error: AMQPError.closed) }
            let (jobs, waiting) = owner.markClosed()
            for continuation in waiting { continuation.resume(throwing: AMQPError.closed) }
            for job in jobs {
                switch job {
                case .perform(let body): _ = body(nil, 0, .closed)
                case .stopConsuming(let done): done()
                default: break
                }
            }
            owner.deliveryContinuation.finish()
        }
    }
}

extension Duration {
    /// Whole milliseconds, for logs.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
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
        let milliseconds = Int32(clamping: timeout.milliseconds)
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
