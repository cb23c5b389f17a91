import Foundation
@testable import RecoupWorker
import Testing

/// The sd_notify side of `Type=notify`: which environment turns it on, and that a notification
/// arrives whole on a real datagram socket.
@Suite("systemd notifications")
struct SystemdNotifierTests {
    @Test("NOTIFY_SOCKET and WATCHDOG_USEC are read as systemd sets them", arguments: [
        ([:], nil, nil),
        (["NOTIFY_SOCKET": "/run/systemd/notify"], "/run/systemd/notify", nil),
        (["NOTIFY_SOCKET": "@/org/freedesktop/systemd1/notify"], "@/org/freedesktop/systemd1/notify", nil),
        (["NOTIFY_SOCKET": "relative/path"], nil, nil),
        (["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 120)], nil, nil),
        (["NOTIFY_SOCKET": "/n", "WATCHDOG_USEC": "30000000"], "/n", 15_000_000),
        (["NOTIFY_SOCKET": "/n", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4242"], "/n", 15_000_000),
        (["NOTIFY_SOCKET": "/n", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"], "/n", nil),
        (["NOTIFY_SOCKET": "/n", "WATCHDOG_USEC": "soon"], "/n", nil),
        (["NOTIFY_SOCKET": "/n", "WATCHDOG_USEC": "0"], "/n", nil),
    ] as [([String: String], String?, Int64?)])
    func environment(_ environment: [String: String], socket: String?, watchdogMicroseconds: Int64?) {
        let notifier = SystemdNotifier(environment: environment, pid: 4242)
        #expect(notifier.socketPath == socket)
        #expect(notifier.watchdogInterval == watchdogMicroseconds.map { .microseconds($0) })
    }

    @Test("a notification reaches the socket whole; with no socket there, notify reports failure")
    func delivery() async throws {
        let socket = try NotifySocket()
        defer { socket.close() }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path])
        #expect(notifier.notify("READY=1\nSTATUS=consuming 3 queues"))
        let received = try await socket.receive(until: { _ in true }, timeout: .seconds(5))
        #expect(received == ["READY=1\nSTATUS=consuming 3 queues"])

        let nobody = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/tmp/recoup-nobody-listens-\(UUID().uuidString.prefix(8))"])
        #expect(!nobody.notify("READY=1"))
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
    }
}
