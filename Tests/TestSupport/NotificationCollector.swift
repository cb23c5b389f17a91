import Postgres
import Synchronization

/// Collects a listener's notifications in the background, so a test can poll what arrived
/// with a deadline instead of blocking on the stream.
public final class NotificationCollector: Sendable {
    private struct State {
        var received: [PostgresNotification] = []
        var finished = false
    }
    private let state = Mutex(State())

    public init(_ stream: AsyncStream<PostgresNotification>) {
        // Unstructured on purpose: it lives as long as the stream, which the listener ends.
        Task { [self] in
            for await notification in stream { state.withLock { $0.received.append(notification) } }
            state.withLock { $0.finished = true }
        }
    }

    public var notifications: [PostgresNotification] { state.withLock { $0.received } }
    public var isFinished: Bool { state.withLock { $0.finished } }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; returns its last answer.
public func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
