import CLibPQ
import Foundation
import Logging

/// One database session, lent to a closure on the thread that owns it.
///
/// Not `Sendable`: libpq allows one thread per connection at a time, so never store it or
/// pass it out of the closure you received it in. Every call blocks that owner thread.
public final class PostgresConnection {
    /// The `PGconn*`; nil once closed.
    private var handle: OpaquePointer?
    private let notices: NoticeSink
    let logger: Logger
    /// Set when the session is known to be unusable; the owner reconnects before next use.
    private(set) var isBroken = false
    /// The last server error since `resetErrorTracking()` (to explain a COMMIT that rolled back).
    private(set) var lastError: PostgresError?

    private init(handle: OpaquePointer, notices: NoticeSink, logger: Logger) {
        self.handle = handle
        self.notices = notices
        self.logger = logger
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    // MARK: Public API

    /// Whether a statement's plan may be kept for the session.
    public enum Planning: Sendable {
        /// Prepared once per session (when the configuration allows): PostgreSQL may keep one
        /// generic plan for every later run.
        case reused
        /// Planned on every run, against the table as it is then. For statements whose best plan
        /// changes as a table grows from empty: a plan kept from a session's first seconds on a
        /// new database can read a whole table later.
        case eachRun
    }

    /// Runs one statement with `$1, $2, ...` parameters and returns its rows.
    ///
    /// Values never become SQL text, and only one statement is accepted (the server rejects
    /// `;`-separated lists in this protocol). Statements `enqueue`d before it are sent with it,
    /// in order, in one round trip; if one of them fails, that error is thrown here.
    public func query(_ sql: String, _ parameters: [any PostgresBindable] = [], planning: Planning = .reused) throws -> PostgresResult {
        let statement = try bind(sql, parameters, planning: planning)
        guard pending.isEmpty else { return try sendPipeline(ending: [statement])[0] }
        let handle = try openHandle()
        let result = LibPQ.withCStrings(statement.texts) { pointers in
            pointers.withUnsafeBufferPointer { valueBuffer in
                statement.types.withUnsafeBufferPointer { typeBuffer in
                    if let name = statement.preparedName {
                        PQexecPrepared(handle, name, Int32(statement.texts.count), valueBuffer.baseAddress, nil, nil, 0)
                    } else {
                        PQexecParams(handle, sql, Int32(statement.texts.count), typeBuffer.baseAddress, valueBuffer.baseAddress, nil, nil, 0)
                    }
                }
            }
        }
        do {
            return try consume(result)
        } catch let error as PostgresError {
            forgetIfInvalidated(statement, error)
            throw error
        }
    }

    /// A statement checked and ready to send: its text, parameter types and values, and the
    /// name it is prepared under on this session (nil: sent unnamed).
    struct BoundStatement {
        let sql: String
        let types: [UInt32]
        let texts: [String?]
        let preparedName: String?
    }

    /// Checks `sql` and `parameters` and prepares the statement if it is to be reused.
    func bind(_ sql: String, _ parameters: [any PostgresBindable], planning: Planning) throws -> BoundStatement {
        let handle = try openHandle()
        let values = parameters.map(\.postgresValue)
        guard values.count <= Int(UInt16.max) else {
            throw PostgresError.usage("\(values.count) parameters; PostgreSQL accepts at most 65535")
        }
        let texts = values.map(\.postgresText)
        for (index, text) in texts.enumerated() {
            if let text { try Self.rejectNUL(text, what: "parameter $\(index + 1)") }
        }
        let types = values.map(\.typeOID)
        let name = planning == .reused ? try preparedName(sql, types: types, handle) : nil
        // A prepared statement's text was checked when it was prepared.
        if name == nil { try Self.rejectNUL(sql, what: "the SQL text") }
        return BoundStatement(sql: sql, types: types, texts: texts, preparedName: name)
    }

    /// After `error` from `statement`: a statement the schema outgrew (a migration changed a
    /// table it reads) is prepared afresh next time.
    func forgetIfInvalidated(_ statement: BoundStatement, _ error: PostgresError) {
        guard statement.preparedName != nil, Self.invalidatesPrepared(error.sqlState) else { return }
        prepared[PreparedKey(sql: statement.sql, types: statement.types)] = nil
    }

    /// Statements queued by `enqueue`, sent with the next statement that needs an answer.
    var pending: [BoundStatement] = []

    /// A statement prepared on this session, by its text and parameter types.
    private struct PreparedKey: Hashable {
        let sql: String
        let types: [UInt32]
    }

    /// Prepared statements by key; a session keeps at most `preparedLimit` (statements built
    /// from values, which should not exist, would otherwise grow it without end).
    private var prepared: [PreparedKey: String] = [:]
    private static let preparedLimit = 1_000

    /// The name `sql` is prepared under on this session, preparing it first if needed; nil to
    /// run it unnamed (prepared statements off, or the cache full).
    private func preparedName(_ sql: String, types: [UInt32], _ handle: OpaquePointer) throws -> String? {
        guard usesPreparedStatements else { return nil }
        let key = PreparedKey(sql: sql, types: types)
        if let name = prepared[key] { return name }
        guard prepared.count < Self.preparedLimit else { return nil }
        try Self.rejectNUL(sql, what: "the SQL text")
        preparedCount += 1
        let name = "recoup_\(preparedCount)"
        let result = types.withUnsafeBufferPointer { typeBuffer in
            PQprepare(handle, name, sql, Int32(types.count), typeBuffer.baseAddress)
        }
        _ = try consume(result)
        prepared[key] = name
        return name
    }

    private var preparedCount = 0
    /// From the configuration; set once at connect.
    private var usesPreparedStatements = false

    /// SQLSTATEs after which a prepared statement must be prepared again: 0A000 ("cached plan
    /// must not change result type") and 26000 (no such prepared statement).
    static func invalidatesPrepared(_ sqlState: String?) -> Bool {
        sqlState == "0A000" || sqlState == "26000"
    }

    /// Runs one parameterised statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any PostgresBindable] = [], planning: Planning = .reused) throws -> Int {
        try query(sql, parameters, planning: planning).affectedRows
    }

    /// Runs SQL text that may hold several statements, with no parameters at all.
    ///
    /// For migrations and fixed DDL only: never build `sql` from values.
    public func executeScript(_ sql: String) throws {
        let handle = try openHandle()
        try Self.rejectNUL(sql, what: "the SQL script")
        try flush()
        _ = try consume(PQexec(handle, sql))
    }

    /// Quotes `name` as an SQL identifier (for DDL such as `GRANT ... TO role`, which takes no
    /// parameters).
    public func quoteIdentifier(_ name: String) throws -> String {
        let handle = try openHandle()
        try Self.rejectNUL(name, what: "the identifier")
        let utf8Count = name.utf8.count
        guard let quoted = PQescapeIdentifier(handle, name, utf8Count) else {
            throw PostgresError.usage("cannot quote identifier: \(LibPQ.errorMessage(handle))")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// Sends `NOTIFY channel, payload` (through `pg_notify`, so both are parameters).
    /// Delivered to listeners when the surrounding transaction commits.
    public func notify(channel: String, payload: String = "") throws {
        _ = try query("SELECT pg_notify($1, $2)", [channel, payload])
    }

    /// The server process id of this session (`pg_backend_pid()`).
    public var backendPID: Int {
        handle.map { Int(PQbackendPID($0)) } ?? 0
    }

    /// True while a transaction block is open (including a failed one awaiting ROLLBACK).
    public var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    // MARK: Lifecycle (owner thread only)

    /// Opens a session: connects, installs the notice sink, sets UTC, ISO dates, hex bytea
    /// and the statement timeout.
    static func connect(configuration: PostgresConfiguration, logger: Logger) throws -> PostgresConnection {
        let parameters = configuration.connectionParameters
        let handle = LibPQ.withCStrings(parameters.map(\.0) + [nil]) { keywords in
            LibPQ.withCStrings(parameters.map(\.1) + [nil]) { values in
                keywords.withUnsafeBufferPointer { keywordBuffer in
                    values.withUnsafeBufferPointer { valueBuffer in
                        PQconnectdbParams(keywordBuffer.baseAddress, valueBuffer.baseAddress, 1)
                    }
                }
            }
        }
        guard let handle else {
            throw PostgresError(kind: .connection, message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = LibPQ.errorMessage(handle)
            PQfinish(handle)
            throw PostgresError(kind: .connection, message: message)
        }
        let notices = NoticeSink(logger: logger)
        notices.install(on: handle)
        let connection = PostgresConnection(handle: handle, notices: notices, logger: logger)
        do {
            try connection.configureSession(configuration)
            connection.usesPreparedStatements = configuration.preparedStatements
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    private func configureSession(_ configuration: PostgresConfiguration) throws {
        _ = try query("""
            SELECT set_config('TimeZone', 'UTC', false), set_config('DateStyle', 'ISO, MDY', false),
                   set_config('bytea_output', 'hex', false), set_config('IntervalStyle', 'postgres', false)
            """)
        if let milliseconds = configuration.statementTimeoutMilliseconds {
            _ = try query("SELECT set_config('statement_timeout', $1, false)", ["\(milliseconds)ms"])
        }
    }

    /// Closes the session (idempotent).
    func close() {
        if let handle {
            PQfinish(handle)
            self.handle = nil
        }
        isBroken = true
    }

    /// Cheap liveness check before lending the session: no round trip, but reads anything
    /// the server already sent (a FATAL from `pg_terminate_backend`, or end of stream).
    func checkAlive() -> Bool {
        guard !isBroken, let handle, PQstatus(handle) == CONNECTION_OK, !notices.sawFatal else { return false }
        let socket = PQsocket(handle)
        guard socket >= 0 else { return false }
        for _ in 0..<4 {
            guard LibPQ.waitReadable(socket, timeoutMilliseconds: 0).socket else { break }
            if PQconsumeInput(handle) == 0 { return false }
            LibPQ.discardNotifications(handle)
            if notices.sawFatal || PQstatus(handle) != CONNECTION_OK { return false }
        }
        return true
    }

    /// Returns the session to a clean state after a borrower is done: rolls back a
    /// transaction left open, marks the session broken if its state is unknown.
    func recycle() {
        // Queued statements of a borrower that did not finish are dropped, never sent.
        pending.removeAll()
        guard !isBroken, let handle else { return }
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE:
            break
        case PQTRANS_INTRANS, PQTRANS_INERROR:
            logger.warning("a connection was returned inside a transaction; rolling back")
            do { try executeScript("ROLLBACK") } catch { isBroken = true }
        default:
            isBroken = true
        }
        lastError = nil
    }

    /// The socket to poll for readability (-1 when closed).
    var socketDescriptor: Int32 {
        handle.map { PQsocket($0) } ?? -1
    }

    /// Reads whatever the server sent and returns the notifications received; `alive` is
    /// false once the session is gone (end of stream, or a FATAL from the server).
    func consumeNotifications() -> (notifications: [PostgresNotification], alive: Bool) {
        guard let handle, !isBroken else { return ([], false) }
        if PQconsumeInput(handle) == 0 { isBroken = true }
        var received: [PostgresNotification] = []
        while let notification = PQnotifies(handle) {
            received.append(PostgresNotification(
                channel: String(cString: notification.pointee.relname),
                payload: notification.pointee.extra.map { String(cString: $0) } ?? "",
                backendPID: Int(notification.pointee.be_pid),
                isReconnect: false))
            PQfreemem(notification)
        }
        if notices.sawFatal || PQstatus(handle) != CONNECTION_OK { isBroken = true }
        return (received, !isBroken)
    }

    /// Forgets earlier errors (at BEGIN).
    func resetErrorTracking() { lastError = nil }

    /// Marks the session unusable (the owner will reconnect before the next borrower).
    func markBroken() { isBroken = true }

    // MARK: Results and errors

    func openHandle() throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(kind: .connection, message: "the connection is closed")
        }
        return handle
    }

    private static func rejectNUL(_ text: String, what: String) throws {
        // Native strings are contiguous UTF-8: memchr, not an iterator, on every parameter.
        let hasNUL = text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.baseAddress.map { memchr($0, 0, bytes.count) != nil } ?? false
        } ?? text.utf8.contains(0)
        if hasNUL {
            throw PostgresError.usage("\(what) contains a NUL character, which PostgreSQL text cannot hold")
        }
    }

    /// Turns a `PGresult` into rows or a classified error, and frees it.
    func consume(_ result: OpaquePointer?) throws -> PostgresResult {
        defer { if let result { PQclear(result) } }
        guard let result else { throw record(error(from: nil)) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return Self.read(result)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            // The session is now in COPY mode, which this API does not drive: start over.
            isBroken = true
            throw PostgresError.usage("COPY is not supported through this API")
        default:
            throw record(error(from: result))
        }
    }

    func record(_ error: PostgresError) -> PostgresError {
        if error.isConnectionFailure { isBroken = true }
        lastError = error
        return error
    }

    func error(from result: OpaquePointer?) -> PostgresError {
        let connectionOK = handle.map { PQstatus($0) == CONNECTION_OK } ?? false
        guard let result else {
            return PostgresError(kind: connectionOK ? .server : .connection, message: LibPQ.errorMessage(handle))
        }
        let sqlState = LibPQ.field(result, LibPQ.Field.sqlState)
        var message = LibPQ.field(result, LibPQ.Field.message)
            ?? String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        if message.isEmpty { message = LibPQ.errorMessage(handle) }
        let isConnection = PostgresError.isConnectionSQLState(sqlState) || !connectionOK || notices.sawFatal
        return PostgresError(
            kind: isConnection ? .connection : .server,
            sqlState: sqlState,
            message: message,
            detail: LibPQ.field(result, LibPQ.Field.detail),
            constraint: LibPQ.field(result, LibPQ.Field.constraint),
            hint: LibPQ.field(result, LibPQ.Field.hint))
    }

    static func read(_ result: OpaquePointer) -> PostgresResult {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var columns: [PostgresColumn] = []
        columns.reserveCapacity(columnCount)
        for column in 0..<columnCount {
            let name = PQfname(result, Int32(column)).map { String(cString: $0) } ?? "?column?"
            columns.append(PostgresColumn(name: name, typeOID: UInt32(PQftype(result, Int32(column)))))
        }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) != 0 {
                    values.append(nil)
                } else {
                    let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                    let bytes = UnsafeRawPointer(PQgetvalue(result, Int32(row), Int32(column)))
                    let buffer = UnsafeRawBufferPointer(start: bytes, count: length)
                    values.append(String(decoding: buffer, as: UTF8.self))
                }
            }
            rows.append(values)
        }
        let tag = PQcmdStatus(result).map { String(cString: $0) } ?? ""
        let affected = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
        return PostgresResult(columns: columns, rows: rows, affectedRows: affected, commandTag: tag)
    }
}

@available(*, unavailable, message: "a PostgresConnection belongs to one thread; use it only inside the closure that lent it")
extension PostgresConnection: Sendable {}
