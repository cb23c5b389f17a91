import CLibPQ

/// Writes whose answer nobody reads (an audit row, a log line, a status update) need not cost a
/// round trip each: they are queued on the connection and sent, in order, together with the
/// next statement that needs an answer, in one libpq pipeline.
///
/// The server runs every statement in the order it was issued, so what a later query reads
/// includes every queued write before it. What changes is when a failing write is reported:
/// by the statement that sends it (the next `query`, `execute`, `executeScript` or `flush`),
/// which is why only statements whose failure fails the whole transaction are queued.
extension PostgresConnection {
    /// The most statements held before they are sent anyway: a bound on what the session holds
    /// and on what one pipeline makes the server answer before the client reads.
    public static let pipelineLimit = 128

    /// Queues one statement whose result is not needed; it goes out with the next statement
    /// that needs an answer, or at `flush`. Checks and prepares it now, so a malformed
    /// statement fails here.
    public func enqueue(_ sql: String, _ parameters: [any PostgresBindable] = [], planning: Planning = .reused) throws {
        pending.append(try bind(sql, parameters, planning: planning))
        if pending.count >= Self.pipelineLimit { try flush() }
    }

    /// Sends every queued statement and waits for their results; throws the first one's error.
    public func flush() throws {
        guard !pending.isEmpty else { return }
        _ = try sendPipeline(ending: [])
    }

    /// Runs several statements that do not depend on each other's results in one round trip
    /// (after any queued writes) and returns their results in order; the first error is thrown.
    public func queries(_ statements: [(sql: String, parameters: [any PostgresBindable])]) throws -> [PostgresResult] {
        try sendPipeline(ending: statements.map { try bind($0.sql, $0.parameters, planning: .reused) })
    }

    /// How many statements wait to be sent (for tests and diagnostics).
    public var queuedStatementCount: Int { pending.count }

    /// Sends the queued statements and then `last` as one pipeline ending in a sync, reads every
    /// result, and returns `last`'s. A statement that fails aborts the rest (PostgreSQL skips
    /// them up to the sync); its error is thrown once the pipeline is drained.
    func sendPipeline(ending last: [BoundStatement]) throws -> [PostgresResult] {
        let handle = try openHandle()
        let batch = pending + last
        pending.removeAll()
        guard !batch.isEmpty else { return [] }
        guard PQenterPipelineMode(handle) == 1 else {
            throw record(PostgresError(kind: .connection, message: "cannot enter pipeline mode: \(LibPQ.errorMessage(handle))"))
        }
        for statement in batch {
            guard Self.send(statement, handle) == 1 else { return try abandonPipeline(handle) }
        }
        guard PQpipelineSync(handle) == 1 else { return try abandonPipeline(handle) }

        var firstError: PostgresError?
        // One result per statement when none failed, in order.
        var results: [PostgresResult] = []
        // Each statement's results end with a NULL; the sync's result ends the pipeline.
        var index = 0, synced = false
        while !synced {
            guard let result = PQgetResult(handle) else {
                index += 1
                if PQstatus(handle) != CONNECTION_OK || index > batch.count { break }
                continue
            }
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_PIPELINE_SYNC:
                synced = true
            case PGRES_PIPELINE_ABORTED:
                break
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
                // Rows are read only for the statements the caller asked for.
                results.append(results.count >= batch.count - last.count ? Self.read(result) : Self.noRows)
            default:
                let error = self.error(from: result)
                if index < batch.count { forgetIfInvalidated(batch[index], error) }
                if firstError == nil { firstError = error }
            }
        }
        guard synced, PQexitPipelineMode(handle) == 1 else {
            // The session's state is unknown: the owner reconnects before the next borrower.
            markBroken()
            throw record(firstError ?? PostgresError(kind: .connection, message: "the pipeline did not complete: \(LibPQ.errorMessage(handle))"))
        }
        if let firstError { throw record(firstError) }
        guard results.count == batch.count else {
            markBroken()
            throw record(PostgresError(kind: .connection, message: "a pipeline of \(batch.count) statements gave \(results.count) results"))
        }
        return Array(results.suffix(last.count))
    }

    private static let noRows = PostgresResult(columns: [], rows: [], affectedRows: 0, commandTag: "")

    /// Sending failed part-way (the connection is gone): nothing of the pipeline is known.
    private func abandonPipeline(_ handle: OpaquePointer) throws -> [PostgresResult] {
        markBroken()
        throw record(PostgresError(kind: .connection, message: "sending a pipeline failed: \(LibPQ.errorMessage(handle))"))
    }

    private static func send(_ statement: BoundStatement, _ handle: OpaquePointer) -> Int32 {
        LibPQ.withCStrings(statement.texts) { pointers in
            pointers.withUnsafeBufferPointer { valueBuffer in
                statement.types.withUnsafeBufferPointer { typeBuffer in
                    if let name = statement.preparedName {
                        PQsendQueryPrepared(handle, name, Int32(statement.texts.count), valueBuffer.baseAddress, nil, nil, 0)
                    } else {
                        PQsendQueryParams(handle, statement.sql, Int32(statement.texts.count), typeBuffer.baseAddress,
                                          valueBuffer.baseAddress, nil, nil, 0)
                    }
                }
            }
        }
    }
}
