import Foundation

/// Where a broker is and how to log in: parsed from `amqp://user:pass@host:port/vhost` or
/// `amqps://…` (TLS). Its description never shows the password.
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

    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Parses an AMQP URI (RabbitMQ's spec: the vhost is the percent-decoded path without its
    /// leading slash; an absent path means "/"; user and password default to guest).
    public static func parse(_ text: String) throws(Invalid) -> AMQPURL {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw Invalid(description: "not a URL (expected amqp://user:password@host:port/vhost)")
        }
        let tls: Bool
        switch scheme {
        case "amqp": tls = false
        case "amqps": tls = true
        default: throw Invalid(description: "scheme \(scheme.debugDescription) is not amqp or amqps")
        }
        guard let host = components.host, !host.isEmpty else { throw Invalid(description: "the URL has no host") }
        if let port = components.port, !(1...65535).contains(port) { throw Invalid(description: "port \(port) is out of range") }
        let path = components.percentEncodedPath
        let vhost: String
        if path.isEmpty {
            vhost = "/"
        } else {
            let raw = String(path.dropFirst())
            guard !raw.contains("/"), let decoded = raw.removingPercentEncoding else {
                throw Invalid(description: "the vhost must be one path segment (encode / as %2F)")
            }
            vhost = decoded.isEmpty ? "/" : decoded
        }
        return AMQPURL(
            host: host, port: components.port ?? (tls ? 5671 : 5672),
            user: components.user?.removingPercentEncoding ?? "guest",
            password: components.password?.removingPercentEncoding ?? "guest",
            vhost: vhost, tls: tls)
    }

    public var description: String {
        let encodedVhost = vhost.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? vhost
        return "\(tls ? "amqps" : "amqp")://\(user):***@\(host):\(port)/\(encodedVhost)"
    }

    public var debugDescription: String { description }
}

/// How to connect: the broker, heartbeats, TLS material and reconnect pacing.
public struct AMQPConfiguration: Sendable, CustomStringConvertible {
    public var url: AMQPURL
    /// Heartbeat interval offered to the broker; 0 disables (not recommended).
    public var heartbeatSeconds: Int = 10
    /// Shown in the broker's connection list.
    public var connectionName: String
    /// CA bundle for amqps:// (rabbitmq-c 0.11 has no default trust store).
    public var caCertificatePath: String?
    public var verifyPeer = true
    public var clientCertificatePath: String?
    public var clientKeyPath: String?
    /// Reconnect delays grow from `minimum` to `maximum` with jitter.
    public var reconnectBackoff = Backoff.Policy(minimum: .milliseconds(100), maximum: .seconds(10))
    /// Bound on a socket connect, the login handshake, and each RPC.
    public var operationTimeout: Duration = .seconds(15)

    public init(url: AMQPURL, connectionName: String) {
        self.url = url
        self.connectionName = connectionName
    }

    public var description: String { "AMQPConfiguration(\(url), name: \(connectionName))" }
}
