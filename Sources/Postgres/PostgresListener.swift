import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A `NOTIFY` received by a `PostgresListener`.
public struct PostgresNotification: Sendable, Hashable {
    /// The channel it was sent on.
    public var channel: String
    /// The payload (empty when none was given).
    public var payload: String
    /// The sending session's server process id (0 for reconnect wake-ups).
    public var backendPID: Int
    /// True for the wake-up the listener emits on each channel after it reconnected:
    /// notifications sent while it was away are lost, so consumers should look for work.
    public var isReconnect: Bool

    public init(channel: String, payload: String, backendPID: Int, isReconnect: Bool) {
        self.channel = channel
        self.payload = payload
        self.backendPID = backendPID
        self.isReconnect = isReconnect
    }
}

/// A dedicated connection that LISTENs on channels and yields what arrives.
///
/// NOTIFY is a wake-up hint, not a queue: it is delivered only on commit, may be folded,
/// and is lost while disconnected, so consumers must still poll. The connection lives on its
/// own thread, which polls the socket with a timeout, reconnects with backoff and LISTENs
/// again (then yields one `isReconnect` notification per channel).
public final class PostgresListener: Sendable {
    /// Notifications in arrival order (the newest 4096 are kept if the consumer lags).
    /// Finishes after `stop()`. Meant for a single consumer.
    public let notifications: AsyncStream<PostgresNotification>
    /// The channels listened on.
    public let channels: [String]
    private let state: ListenerState
    private let exits = ExitLatch(count: 1)

    /// Starts the listener thread; it connects at once and keeps trying until `stop()`.
    public init(configuration: PostgresConfiguration, channels: [String], logger: Logger) {
        self.channels = channels
        let (stream, continuation) = AsyncStream.makeStream(
            of: PostgresNotification.self, bufferingPolicy: .bufferingNewest(4096))
        notifications = stream
        let state = ListenerState()
        self.state = state
        var listenerLogger = logger
        listenerLogger[metadataKey: "pg_listener"] = "\(channels.joined(separator: ","))"
        let exits = self.exits
        let thread = Thread { [listenerLogger] in
            ListenerLoop(configuration: configuration, channels: channels, logger: listenerLogger,
                         state: state, continuation: continuation).run()
            continuation.finish()
            exits.arrive()
        }
        thread.name = "pg-listener"
        thread.start()
    }

    deinit {
        state.requestStop()
    }

    /// True while connected with every LISTEN in place.
    public var isListening: Bool { state.isListening }

    /// Stops listening, closes the connection, finishes `notifications` and waits for the
    /// thread to end.
    public func stop() async {
        state.requestStop()
        await exits.wait()
    }
}

/// Shared between the listener's thread and its owner: the stop request (with a pipe that
/// wakes the thread's poll at once) and the listening flag.
final class ListenerState: @unchecked Sendable {
    private let lock = NSLock()
    private var stopRequested = false
    private var listening = false
    /// [read end, write end] of the wake-up pipe.
    let wakeDescriptors: [Int32]

    init() {
        var descriptors: [Int32] = [-1, -1]
        if pipe(&descriptors) != 0 { descriptors = [-1, -1] }
        for descriptor in descriptors where descriptor >= 0 {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        }
        wakeDescriptors = descriptors
    }

    deinit {
        for descriptor in wakeDescriptors where descriptor >= 0 { close(descriptor) }
    }

    var isStopRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested
    }

    var isListening: Bool {
        lock.lock()
        defer { lock.unlock() }
        return listening
    }

    func setListening(_ value: Bool) {
        lock.lock()
        listening = value
        lock.unlock()
    }

    func requestStop() {
        lock.lock()
        stopRequested = true
        listening = false
        lock.unlock()
        var byte: UInt8 = 1
        if wakeDescriptors[1] >= 0 { _ = write(wakeDescriptors[1], &byte, 1) }
    }
}

/// The listener thread's loop; owns the connection.
struct ListenerLoop {
    let configuration: PostgresConfiguration
    let channels: [String]
    let logger: Logger
    let state: ListenerState
    let continuation: AsyncStream<PostgresNotification>.Continuation

    /// How long one poll waits before checking the stop flag again.
    static let pollMilliseconds: Int32 = 1000

    func run() {
        var connection: PostgresConnection?
        var failures = 0
        var connectedBefore = false
        defer { connection?.close() }
        while !state.isStopRequested {
            guard let live = connection else {
                do {
                    let fresh = try PostgresConnection.connect(configuration: configuration, logger: logger)
                    for channel in channels {
                        try fresh.executeScript("LISTEN \(try fresh.quoteIdentifier(channel))")
                    }
                    connection = fresh
                    failures = 0
                    state.setListening(true)
                    if connectedBefore {
                        logger.notice("postgres listener reconnected")
                        for channel in channels {
                            continuation.yield(PostgresNotification(channel: channel, payload: "", backendPID: 0, isReconnect: true))
                        }
                    }
                    connectedBefore = true
                } catch {
                    failures += 1
                    let delay = Backoff.delay(attempt: failures, base: .milliseconds(200), cap: .seconds(5))
                    logger.warning("postgres listener cannot connect; retrying", metadata: [
                        "attempt": "\(failures)", "error": "\(error)",
                    ])
                    sleepUnlessStopped(milliseconds: Int32(Backoff.seconds(delay) * 1000))
                }
                continue
            }
            let ready = LibPQ.waitReadable(live.socketDescriptor, extra: state.wakeDescriptors[0],
                                           timeoutMilliseconds: Self.pollMilliseconds)
            if ready.extra { break }
            guard ready.socket else { continue }
            let (received, alive) = live.consumeNotifications()
            for notification in received { continuation.yield(notification) }
            if !alive {
                logger.warning("postgres listener connection lost; reconnecting")
                state.setListening(false)
                live.close()
                connection = nil
            }
        }
        state.setListening(false)
    }

    /// Waits `milliseconds`, returning early when a stop is requested.
    private func sleepUnlessStopped(milliseconds: Int32) {
        var descriptor = pollfd(fd: state.wakeDescriptors[0], events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, milliseconds)
    }
}
