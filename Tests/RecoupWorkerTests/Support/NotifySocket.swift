import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A stand-in for systemd's notification socket: a Unix datagram socket bound in a temporary
/// folder, whose path a test passes to `recoupd` as `NOTIFY_SOCKET`, and which records every
/// datagram it receives.
final class NotifySocket: Sendable {
    let path: String
    private let descriptor: Int32

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    init() throws {
        // sun_path is 108 bytes: keep the path short rather than under a long temp folder.
        path = "/tmp/recoup-notify-\(UUID().uuidString.prefix(8)).sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failed(description: "socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8) + [0]
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            Glibc.close(descriptor)
            throw Failed(description: "bind \(path): errno \(errno)")
        }
    }

    /// The next datagram, or nil when none arrives within `timeout`. Blocks its thread: call
    /// it through `receive(within:)` from async code.
    func receiveBlocking(timeout: Duration) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, milliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Collects datagrams until one satisfies `done` or `timeout` passes; returns all of them.
    func receive(until done: @escaping @Sendable (String) -> Bool, timeout: Duration) async throws -> [String] {
        try await TestEnvironment.offPool { [self] in
            var received: [String] = []
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                guard let message = receiveBlocking(timeout: .milliseconds(200)) else { continue }
                received.append(message)
                if done(message) { break }
            }
            return received
        }
    }

    func close() {
        Glibc.close(descriptor)
        unlink(path)
    }
}
