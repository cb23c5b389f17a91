import CLibPQ
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small helpers around libpq's C interface, used only on a connection's owner thread.
enum LibPQ {
    /// `PQresultErrorField` codes (postgres_ext.h `PG_DIAG_*`).
    enum Field {
        static let severity = Int32(UInt8(ascii: "V"))
        static let sqlState = Int32(UInt8(ascii: "C"))
        static let message = Int32(UInt8(ascii: "M"))
        static let detail = Int32(UInt8(ascii: "D"))
        static let hint = Int32(UInt8(ascii: "H"))
        static let constraint = Int32(UInt8(ascii: "n"))
    }

    /// Calls `body` with C copies of `strings` (nil stays NULL), freed afterwards.
    static func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
        let copies: [UnsafeMutablePointer<CChar>?] = strings.map { string in string.map { strdup($0) } }
        defer { for copy in copies { free(copy) } }
        return try body(copies.map { $0.map { UnsafePointer($0) } })
    }

    /// A field of an error result, nil when absent.
    static func field(_ result: OpaquePointer?, _ code: Int32) -> String? {
        guard let result, let value = PQresultErrorField(result, code) else { return nil }
        return String(cString: value)
    }

    /// The connection's last error message, trimmed.
    static func errorMessage(_ connection: OpaquePointer?) -> String {
        guard let connection, let message = PQerrorMessage(connection) else { return "unknown libpq error" }
        let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "unknown libpq error" : text
    }

    /// Waits up to `timeoutMilliseconds` for `descriptor` to become readable.
    /// Returns true when readable (or hung up / in error: reading will tell), false on timeout.
    static func waitReadable(_ descriptor: Int32, extra: Int32? = nil, timeoutMilliseconds: Int32) -> (socket: Bool, extra: Bool) {
        var descriptors = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
        if let extra { descriptors.append(pollfd(fd: extra, events: Int16(POLLIN), revents: 0)) }
        let ready = descriptors.withUnsafeMutableBufferPointer { buffer in
            poll(buffer.baseAddress, nfds_t(buffer.count), timeoutMilliseconds)
        }
        guard ready > 0 else { return (false, false) }
        let socketReady = descriptors[0].revents != 0
        let extraReady = descriptors.count > 1 && descriptors[1].revents != 0
        return (socketReady, extraReady)
    }

    /// Drops queued `NOTIFY` messages (pooled connections do not listen).
    static func discardNotifications(_ connection: OpaquePointer) {
        while let notification = PQnotifies(connection) {
            PQfreemem(notification)
        }
    }
}

/// Receives server notices and warnings (which libpq would print to stderr) and logs them;
/// remembers a FATAL one, which means the server is about to close the session.
final class NoticeSink {
    let logger: Logger
    var sawFatal = false

    init(logger: Logger) { self.logger = logger }

    func receive(_ result: OpaquePointer?) {
        let severity = LibPQ.field(result, LibPQ.Field.severity) ?? "NOTICE"
        let sqlState = LibPQ.field(result, LibPQ.Field.sqlState) ?? "-"
        let message = LibPQ.field(result, LibPQ.Field.message) ?? ""
        switch severity {
        case "FATAL", "PANIC":
            sawFatal = true
            logger.warning("postgres session ended by server", metadata: ["sqlstate": "\(sqlState)", "message": "\(message)"])
        case "WARNING":
            logger.warning("postgres warning", metadata: ["sqlstate": "\(sqlState)", "message": "\(message)"])
        default:
            logger.debug("postgres notice", metadata: ["sqlstate": "\(sqlState)", "message": "\(message)"])
        }
    }

    /// Installs this sink on `connection`; the caller keeps the sink alive as long as the
    /// connection.
    func install(on connection: OpaquePointer) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = PQsetNoticeReceiver(connection, { context, result in
            guard let context else { return }
            Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue().receive(result)
        }, context)
    }
}
