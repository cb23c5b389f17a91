import CLibPQ

/// How to reach PostgreSQL and how to shape the pool.
///
/// `description` and reflection never show the password, so a configuration can be logged.
public struct PostgresConfiguration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// A libpq URI (`postgresql://user:pw@host:port/db?sslmode=...`) or key=value conninfo.
    public var url: String
    /// Connections (and owner threads) in the pool. Default 4.
    public var poolSize: Int
    /// libpq `connect_timeout` per attempt, seconds (libpq treats values below 2 as 2). Default 5.
    public var connectTimeoutSeconds: Int
    /// Connection attempts before `withConnection` reports the server unreachable. Default 3.
    public var connectAttempts: Int
    /// `application_name`, shown in `pg_stat_activity`.
    public var applicationName: String
    /// Server-side `statement_timeout` for every pooled session; nil keeps the server's setting.
    public var statementTimeout: Duration?
    /// TCP keepalive idle time, so a silently dead peer is noticed. Default 30 s.
    public var keepaliveIdleSeconds: Int
    /// Prepare each distinct statement once per session and execute it by name, saving its
    /// parse and plan on every later use. Turn off behind a pooler in transaction mode
    /// (PgBouncer), where a session's prepared statements are not its own. Default true.
    public var preparedStatements: Bool = true

    public init(
        url: String,
        poolSize: Int = 4,
        connectTimeoutSeconds: Int = 5,
        connectAttempts: Int = 3,
        applicationName: String = "recoup",
        statementTimeout: Duration? = nil,
        keepaliveIdleSeconds: Int = 30
    ) {
        self.url = url
        self.poolSize = poolSize
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.connectAttempts = connectAttempts
        self.applicationName = applicationName
        self.statementTimeout = statementTimeout
        self.keepaliveIdleSeconds = keepaliveIdleSeconds
    }

    /// The connection target without secrets, e.g. `host=db port=5432 dbname=recoup user=app`.
    public var redactedURL: String {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            return "<unparseable connection string>"
        }
        defer { PQconninfoFree(options) }
        var parts: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                let key = String(cString: keyword)
                let isSecret = key == "password" || key == "sslpassword"
                    || String(cString: option.pointee.dispchar) == "*"
                parts.append("\(key)=\(isSecret ? "***" : String(cString: value))")
            }
            option += 1
        }
        return parts.joined(separator: " ")
    }

    public var description: String {
        var text = "PostgresConfiguration(\(redactedURL), poolSize: \(poolSize), connectTimeout: \(connectTimeoutSeconds)s"
        text += ", applicationName: \(applicationName)"
        if let statementTimeout { text += ", statementTimeout: \(statementTimeout)" }
        return text + ")"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "url": redactedURL,
            "poolSize": poolSize,
            "connectTimeoutSeconds": connectTimeoutSeconds,
            "connectAttempts": connectAttempts,
            "applicationName": applicationName,
            "statementTimeout": statementTimeout as Any,
        ])
    }

    /// libpq keyword/value pairs for `PQconnectdbParams` with `expand_dbname = 1`.
    ///
    /// Entries before `dbname` are defaults the URL may override; entries after it win.
    var connectionParameters: [(String, String)] {
        [
            ("keepalives", "1"),
            ("keepalives_idle", String(keepaliveIdleSeconds)),
            ("keepalives_interval", "10"),
            ("keepalives_count", "3"),
            ("dbname", url),
            ("connect_timeout", String(max(connectTimeoutSeconds, 1))),
            ("application_name", applicationName),
            ("client_encoding", "UTF8"),
        ]
    }

    /// `statement_timeout` in whole milliseconds (at least 1 when set).
    var statementTimeoutMilliseconds: Int64? {
        guard let statementTimeout else { return nil }
        let (seconds, attoseconds) = statementTimeout.components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
