import Foundation
import Logging

/// A unit of work for one pool thread. Exactly one of `run` or `fail` is called, once.
struct PoolJob: Sendable {
    let ticket: JobTicket
    let run: @Sendable (PoolWorker) -> Void
    let fail: @Sendable (any Error) -> Void
}

/// Tracks one submission so a cancelled caller can withdraw it while it is still queued.
/// Its state is guarded by the owning `JobQueue`'s lock.
final class JobTicket: @unchecked Sendable {
    enum State { case created, queued, taken, cancelled }
    var state = State.created
}

/// FIFO of jobs shared by the pool threads: a mutex and a condition variable, nothing else.
final class JobQueue: @unchecked Sendable {
    enum SubmitOutcome { case queued, closed, cancelled }

    private let condition = NSCondition()
    private var jobs: [PoolJob] = []
    private var head = 0
    private var closed = false

    var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// Jobs waiting for a thread (withdrawn ones are removed, so they do not count).
    var pendingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count - head
    }

    func submit(_ job: PoolJob) -> SubmitOutcome {
        condition.lock()
        defer { condition.unlock() }
        if job.ticket.state == .cancelled { return .cancelled }
        if closed { return .closed }
        job.ticket.state = .queued
        jobs.append(job)
        condition.signal()
        return .queued
    }

    /// The next job, blocking while there is none; nil once closed and drained.
    func next() -> PoolJob? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            while head < jobs.count {
                let job = jobs[head]
                head += 1
                compactIfNeeded()
                if job.ticket.state == .queued {
                    job.ticket.state = .taken
                    return job
                }
            }
            if closed { return nil }
            condition.wait()
        }
    }

    /// Withdraws a job that is still queued and returns it (the caller fails it); a job not
    /// yet submitted is marked so that `submit` refuses it; a running job is left alone.
    func cancel(_ ticket: JobTicket) -> PoolJob? {
        condition.lock()
        defer { condition.unlock() }
        switch ticket.state {
        case .created:
            ticket.state = .cancelled
            return nil
        case .queued:
            ticket.state = .cancelled
            guard let index = jobs[head...].firstIndex(where: { $0.ticket === ticket }) else { return nil }
            return jobs.remove(at: index)
        case .taken, .cancelled:
            return nil
        }
    }

    /// Refuses new jobs; threads finish what is queued, then `next()` returns nil.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func compactIfNeeded() {
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 && head * 2 > jobs.count {
            jobs.removeFirst(head)
            head = 0
        }
    }
}

/// Lets `close()` await the end of every pool thread (a join without blocking the caller).
final class ExitLatch: @unchecked Sendable {
    private let lock = NSLock()
    private var remaining: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { remaining = count }

    func arrive() {
        lock.lock()
        remaining -= 1
        let ready = remaining == 0 ? waiters : []
        if remaining == 0 { waiters = [] }
        lock.unlock()
        for waiter in ready { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if remaining <= 0 {
                lock.unlock()
                continuation.resume()
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }
}

/// The pool's last known reachability of the server, for readiness checks.
final class PoolHealth: @unchecked Sendable {
    private let lock = NSLock()
    private var up = false

    var isUp: Bool {
        lock.lock()
        defer { lock.unlock() }
        return up
    }

    func set(_ value: Bool) {
        lock.lock()
        up = value
        lock.unlock()
    }
}

/// Jittered exponential backoff: `base · 2^(attempt-1)`, capped, then scaled by 50–100 %.
enum Backoff {
    static func delay(attempt: Int, base: Duration, cap: Duration) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        let grown = base * (1 << exponent)
        let capped = grown > cap ? cap : grown
        return capped * Double.random(in: 0.5...1.0)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The state one pool thread owns: its connection. Never leaves that thread.
final class PoolWorker {
    let configuration: PostgresConfiguration
    let logger: Logger
    let health: PoolHealth
    private var connection: PostgresConnection?

    init(configuration: PostgresConfiguration, logger: Logger, health: PoolHealth) {
        self.configuration = configuration
        self.logger = logger
        self.health = health
    }

    /// Lends a live connection to `body`, then cleans it up for the next borrower.
    func lend<T>(connectAttempts: Int, _ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try acquire(attempts: connectAttempts)
        defer {
            connection.recycle()
            if connection.isBroken { health.set(false) }
        }
        let value = try body(connection)
        // Writes the body queued outside a transaction are sent before the connection goes back.
        try connection.flush()
        return value
    }

    /// The current connection if it is alive, else a new one (up to `attempts` tries).
    private func acquire(attempts: Int) throws -> PostgresConnection {
        if let connection {
            if connection.checkAlive() { return connection }
            logger.notice("postgres connection lost; reconnecting")
            connection.close()
            self.connection = nil
        }
        var attempt = 1
        while true {
            do {
                let fresh = try PostgresConnection.connect(configuration: configuration, logger: logger)
                connection = fresh
                health.set(true)
                logger.debug("postgres connection opened", metadata: ["backend_pid": "\(fresh.backendPID)"])
                return fresh
            } catch let error as PostgresError {
                health.set(false)
                guard attempt < max(attempts, 1) else {
                    logger.warning("postgres unreachable", metadata: [
                        "attempts": "\(attempt)", "error": "\(error.message)",
                    ])
                    throw error
                }
                let delay = Backoff.delay(attempt: attempt, base: .milliseconds(100), cap: .seconds(2))
                logger.debug("postgres connect failed; retrying", metadata: [
                    "attempt": "\(attempt)", "error": "\(error.message)",
                ])
                Thread.sleep(forTimeInterval: Backoff.seconds(delay))
                attempt += 1
            }
        }
    }

    /// Closes the connection (the thread is ending).
    func shutdown() {
        connection?.close()
        connection = nil
    }
}
