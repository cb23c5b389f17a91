#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The sd_notify protocol without libsystemd: datagrams like `READY=1` or `STATUS=…` sent to
/// the Unix socket systemd names in `NOTIFY_SOCKET` (a path, or `@name` for the abstract
/// namespace). Without `NOTIFY_SOCKET` every call is a no-op, so the daemon runs the same
/// outside systemd.
public struct SystemdNotifier: Sendable {
    /// The socket address from `NOTIFY_SOCKET`, nil when not run by systemd (or the value is unusable).
    public let socketPath: String?
    /// Half the watchdog interval systemd asked for (`WATCHDOG_USEC`), nil when no watchdog is
    /// set or it is meant for another process (`WATCHDOG_PID`).
    public let watchdogInterval: Duration?

    public init(environment: [String: String], pid: Int32 = getpid()) {
        if let path = environment["NOTIFY_SOCKET"], path.count > 1,
           path.hasPrefix("/") || path.hasPrefix("@"), path.utf8.count < Self.maximumPathLength {
            socketPath = path
        } else {
            socketPath = nil
        }
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == pid } ?? true
        if forUs, let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 {
            watchdogInterval = .microseconds(microseconds / 2)
        } else {
            watchdogInterval = nil
        }
    }

    /// sockaddr_un's sun_path holds 108 bytes on Linux, the terminator included.
    static let maximumPathLength = 108

    /// Sends one notification (lines such as `READY=1\nSTATUS=consuming`). Returns false when it
    /// could not be delivered; systemd being away is never an error for the daemon.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        // "@name" is Linux's abstract namespace: a leading NUL byte, and no terminator counted.
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = MemoryLayout<sa_family_t>.size + pathBytes.count + (abstract ? 0 : 1)
        let payload = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                payload.withUnsafeBytes { bytes in
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, socklen_t(length))
                }
            }
        }
        return sent == payload.count
    }
}
