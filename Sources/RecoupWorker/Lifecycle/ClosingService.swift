import ServiceLifecycle

/// Keeps a shared resource (the database pool, a publisher) alive while the services started
/// after it run, and closes it when the group shuts down — after those services, because a
/// ServiceGroup stops services in reverse start order.
struct ClosingService: Service, CustomStringConvertible {
    let description: String
    let close: @Sendable () async -> Void

    func run() async throws {
        // Cancellation (the hard stop) and graceful shutdown both end the wait; close either way.
        try? await gracefulShutdown()
        await close()
    }
}
