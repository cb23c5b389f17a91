/// An error from the database, the connection to it, or the way it was used.
///
/// Server errors carry the SQLSTATE, so callers decide by class (retry, dead-letter, fail)
/// instead of by message text.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// Where the failure came from.
    public enum Kind: Sendable, Hashable {
        /// The server could not be reached, or the connection broke (also SQLSTATE class 08,
        /// 57P01–57P03: the server ended the session).
        case connection
        /// The server rejected a statement (SQLSTATE set).
        case server
        /// A value could not be decoded into the requested Swift type.
        case decoding
        /// The API was used wrongly (bad column, NUL in a text parameter, COPY, ...).
        case usage
        /// The pool or listener was closed.
        case closed
    }

    public var kind: Kind
    /// Five-character SQLSTATE code, when the server sent one.
    public var sqlState: String?
    /// The primary message. Server messages name constraints and columns, not values.
    public var message: String
    /// The server's DETAIL, which may quote row values: kept out of `description`.
    public var detail: String?
    /// The violated constraint's name, for 23xxx errors.
    public var constraint: String?
    /// The server's HINT, when given.
    public var hint: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil,
                constraint: String? = nil, hint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
        self.hint = hint
    }

    /// True for failures worth retrying unchanged: serialization failure (40001), deadlock
    /// (40P01) and lost or refused connections.
    public var isTransient: Bool {
        isSerializationFailure || isDeadlock || isConnectionFailure
    }

    /// The database cannot be reached at all (no connection, or the pool closed): not the
    /// statement's fault, so what waits on it should wait rather than be blamed.
    public var isUnavailable: Bool { kind == .connection || kind == .closed }

    /// The connection is unusable (refused, lost, or ended by the server).
    public var isConnectionFailure: Bool {
        kind == .connection || Self.isConnectionSQLState(sqlState)
    }

    /// SQLSTATE 40001: the transaction lost a serialization conflict; retry it.
    public var isSerializationFailure: Bool { sqlState == "40001" }

    /// SQLSTATE 40P01: the transaction was chosen as a deadlock victim; retry it.
    public var isDeadlock: Bool { sqlState == "40P01" }

    /// SQLSTATE 23505: a unique or primary key constraint rejected the row.
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// SQLSTATEs that mean the session is gone: class 08 (connection exception) and
    /// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now.
    static func isConnectionSQLState(_ sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
    }

    /// Kind, SQLSTATE and message; never DETAIL (it can quote row values).
    public var description: String {
        var text = "PostgresError(\(kind)"
        if let sqlState { text += ", SQLSTATE \(sqlState)" }
        text += "): \(message)"
        if let constraint { text += " [constraint \(constraint)]" }
        return text
    }

    static func closed(_ what: String = "the PostgreSQL pool is closed") -> PostgresError {
        PostgresError(kind: .closed, message: what)
    }

    static func usage(_ message: String) -> PostgresError {
        PostgresError(kind: .usage, message: message)
    }
}

extension PostgresError {
    /// The error in a form safe to log, store and put in a header: its kind and SQLSTATE, never
    /// a value from the statement or the server's message.
    public var safeSummary: String { "database \(kind) error, SQLSTATE \(sqlState ?? "none")" }
}
