import Postgres
import RecoupCore

/// Verifies the audit log's hash chains (migration 6) from the rows themselves: recomputes
/// every row's hash in Swift, follows each chain by seq, and checks each chain's head.
///
/// Reads in keyset-paged batches, so memory stays flat however long the log grows.
public enum AuditChain {
    /// `prev_hash` of every chain's first row.
    public static let genesisHash = [UInt8](repeating: 0, count: SHA256.byteCount)

    /// The chain an account's rows belong to; nil is the chain of rows without an account.
    public static func chainKey(accountID: String?) -> String { accountID.map { "a:" + $0 } ?? "" }

    /// Verifies every chain, or only `accountID`'s, in one read-only REPEATABLE READ snapshot
    /// (so rows and heads written meanwhile by running daemons do not look like breaks).
    public static func verify(accountID: String? = nil, batchSize: Int = 500, pool: PostgresPool) async throws -> Report {
        try await pool.transaction(isolation: .repeatableRead) { connection in
            try connection.executeScript("SET TRANSACTION READ ONLY")
            return try verify(accountID: accountID, batchSize: batchSize, connection)
        }
    }

    /// Verifies in the caller's transaction, which should be REPEATABLE READ for the reason above.
    /// Stops at the first break.
    public static func verify(accountID: String? = nil, batchSize: Int = 500, _ connection: PostgresConnection) throws -> Report {
        let only = accountID.map { chainKey(accountID: $0) }
        var walk = AuditChainWalk()
        var after = (chain: only ?? "", seq: Int64(0))
        while true {
            let rows = try connection.query(batchSQL, [after.chain, after.seq, only, max(1, batchSize)])
            for row in rows {
                let audit = try AuditChainRow(row: row, at: 0)
                let head = try AuditChainWalk.Head(row: row, at: AuditChainRow.columnCount)
                if let broken = walk.check(audit, head: head) { return walk.report(broken) }
            }
            guard rows.count >= batchSize, let last = walk.last else { break }
            after = (last.chain, last.chainSeq)
        }
        if let broken = walk.finishChain() { return walk.report(broken) }
        if let orphan = try headWithoutRows(only, connection) {
            walk.chainsChecked += 1
            return walk.report(orphan)
        }
        return walk.report(nil)
    }

    /// The next batch of rows in walk order, each with its chain's head (NULLs when missing).
    static let batchSQL = """
        SELECT \(AuditChainRow.selectList), h.seq, h.head_hash, h.audit_id
          FROM recoup.audit_log a
          LEFT JOIN recoup.audit_chain_heads h ON h.chain = \(AuditChainRow.chainSQL)
         WHERE (\(AuditChainRow.chainSQL) COLLATE "C", a.chain_seq) > ($1::text, $2::bigint)
           AND ($3::text IS NULL OR \(AuditChainRow.chainSQL) COLLATE "C" = $3::text)
         ORDER BY \(AuditChainRow.chainSQL) COLLATE "C", a.chain_seq
         LIMIT $4
        """

    /// A head whose chain has no rows left at all (every row deleted).
    static func headWithoutRows(_ only: String?, _ connection: PostgresConnection) throws -> Break? {
        let rows = try connection.query("""
            SELECT h.chain, h.seq, h.audit_id FROM recoup.audit_chain_heads h
             WHERE h.seq > 0 AND ($1::text IS NULL OR h.chain = $1::text)
               AND NOT EXISTS (SELECT 1 FROM recoup.audit_log a
                                WHERE \(AuditChainRow.chainSQL) COLLATE "C" = h.chain COLLATE "C")
             ORDER BY h.chain COLLATE "C" LIMIT 1
            """, [only])
        guard let row = rows.first else { return nil }
        return Break(auditID: try row.decodeOptional(at: 2), chain: try row.decode(at: 0), chainSeq: try row.decode(at: 1),
                     kind: nil, problem: .headMismatch(lastSeq: nil, lastAuditID: nil))
    }
}
