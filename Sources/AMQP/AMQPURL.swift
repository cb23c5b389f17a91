import Foundation

/// Where a broker is and how to log in: parsed from `amqp://user:pass@host:port/vhost` or
/// `amqps://…` (TLS). Its description never shows the password, so it is safe to log.
public struct AMQPURL: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var vhost: String
    public var tls: Bool

    public init(host: String, port: Int, user: String = "guest", password: String = "guest", vhost: String = "/", tls: Bool = false) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.vhost = vhost
        self.tls = tls
    }

    /// Parses an AMQP URI as RabbitMQ reads it: default ports 5672 (amqp) and 5671 (amqps); the
    /// vhost is the percent-decoded path without its leading slash (absent or empty means "/");
    /// user and password default to guest. Query parameters are ignored.
    public static func parse(_ text: String) throws(AMQPError) -> AMQPURL {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let schemeEnd = trimmed.range(of: "://") else {
            throw .invalidURL("expected amqp://user:password@host:port/vhost")
        }
        let tls: Bool
        switch trimmed[..<schemeEnd.lowerBound].lowercased() {
        case "amqp": tls = false
        case "amqps": tls = true
        case let other: throw .invalidURL("scheme \(other.debugDescription) is not amqp or amqps")
        }
        guard Self.hasValidPercentEscapes(trimmed) else {
            throw .invalidURL("a % must be followed by two hex digits (percent-encode special characters)")
        }
        guard let components = URLComponents(string: trimmed) else {
            throw .invalidURL("not a well-formed URL (percent-encode special characters in the password)")
        }
        guard var host = components.host, !host.isEmpty else { throw .invalidURL("the URL has no host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if let port = components.port, !(1...65535).contains(port) { throw .invalidURL("port \(port) is out of range") }
        let path = components.percentEncodedPath
        var vhost = "/"
        if !path.isEmpty {
            let raw = String(path.dropFirst())
            guard !raw.contains("/") else { throw .invalidURL("the vhost must be one path segment (encode / as %2F)") }
            guard let decoded = raw.removingPercentEncoding else { throw .invalidURL("the vhost is not valid percent-encoding") }
            if !decoded.isEmpty { vhost = decoded }
        }
        func decode(_ part: String?, _ what: String) throws(AMQPError) -> String? {
            guard let part else { return nil }
            guard let decoded = part.removingPercentEncoding else { throw .invalidURL("the \(what) is not valid percent-encoding") }
            return decoded
        }
        return AMQPURL(
            host: host, port: components.port ?? (tls ? 5671 : 5672),
            user: try decode(components.percentEncodedUser, "user") ?? "guest",
            password: try decode(components.percentEncodedPassword, "password") ?? "guest",
            vhost: vhost, tls: tls)
    }

    private static func hasValidPercentEscapes(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, isHex(bytes[index + 1]), isHex(bytes[index + 2]) else { return false }
                index += 3
            } else {
                index += 1
            }
        }
        return true
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    /// The URL with the password masked.
    public var description: String {
        let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let encodedVhost = vhost.addingPercentEncoding(withAllowedCharacters: unreserved) ?? vhost
        let encodedUser = user.addingPercentEncoding(withAllowedCharacters: unreserved) ?? user
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "amqps" : "amqp")://\(encodedUser):***@\(shownHost):\(port)/\(encodedVhost)"
    }

    public var debugDescription: String { description }
}

/// How to connect: the broker, heartbeats, TLS material, timeouts and reconnect pacing.
public struct AMQPConfiguration: Sendable, CustomStringConvertible {
    public var url: AMQPURL
    /// Heartbeat interval offered to the broker, in seconds (RabbitMQ advises 5-20); 0 disables.
    public var heartbeatSeconds: Int = 10
    /// Shown in the broker's connection list (client property `connection_name`).
    public var connectionName: String
    /// CA bundle for amqps://. rabbitmq-c 0.11 has no default trust store, so when this is nil
    /// the system bundle (/etc/ssl/certs/ca-certificates.crt) is used if it exists.
    public var caCertificatePath: String?
    /// Verify the broker's certificate and host name (amqps:// only).
    public var verifyPeer = true
    /// Client certificate and key (PEM) for brokers that require mutual TLS.
    public var clientCertificatePath: String?
    public var clientKeyPath: String?
    /// Reconnect delays grow from `minimum` to `maximum` with jitter.
    public var reconnectBackoff = Backoff.Policy(minimum: .milliseconds(100), maximum: .seconds(10))
    /// Bound on opening the socket and the login handshake.
    public var connectTimeout: Duration = .seconds(10)
    /// Bound on each synchronous AMQP method (declare, qos, consume, get…); rabbitmq-c drops the
    /// connection when one overruns. Also bounds a blocking publish or ack (see `StallWatchdog`).
    public var rpcTimeout: Duration = .seconds(15)
    /// How long a publish may wait for a connection, or for the broker to lift a
    /// `connection.blocked`, before it fails. Once sent, confirms are awaited until they arrive or
    /// the connection is lost (heartbeats bound that).
    public var publishTimeout: Duration = .seconds(30)

    public init(url: AMQPURL, connectionName: String, heartbeatSeconds: Int = 10) {
        self.url = url
        self.connectionName = connectionName
        self.heartbeatSeconds = heartbeatSeconds
    }

    public var description: String { "AMQPConfiguration(\(url), name: \(connectionName), heartbeat: \(heartbeatSeconds)s)" }
}
