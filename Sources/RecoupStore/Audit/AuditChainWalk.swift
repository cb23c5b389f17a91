import Postgres

/// The state of one pass over the chains in walk order: where the current chain should go
/// next, and what has been checked. Holds one row, never a batch.
struct AuditChainWalk {
    /// A chain's head as the batch query joins it to each row; nil fields mean no head.
    struct Head: Equatable {
        var seq: Int64
        var hash: [UInt8]
        var auditID: Int64?

        init?(row: PostgresRow, at first: Int) throws {
            guard let seq = try row.decodeOptional(Int64.self, at: first),
                  let hash = try row.decodeOptional([UInt8].self, at: first + 1) else { return nil }
            self.seq = seq
            self.hash = hash
            self.auditID = try row.decodeOptional(at: first + 2)
        }
    }

    var rowsChecked = 0
    var chainsChecked = 0
    /// The last row checked, in the current chain.
    private(set) var last: AuditChainRow?
    private var head: Head?

    /// Checks `row`, the next in walk order; returns the first thing wrong with it or with the
    /// chain it ends.
    mutating func check(_ row: AuditChainRow, head rowHead: Head?) -> AuditChain.Break? {
        if row.chain != last?.chain {
            if let broken = finishChain() { return broken }
            chainsChecked += 1
            last = nil
            head = rowHead
        }
        let expectedSeq = (last?.chainSeq ?? 0) + 1
        let problem: AuditChain.Problem? =
            if row.expectedHash != row.rowHash { .rowChanged }
            else if row.chainSeq != expectedSeq { .previousRowMissing(expectedSeq: expectedSeq) }
            else if row.prevHash != (last?.rowHash ?? AuditChain.genesisHash) { .linkBroken(previousAuditID: last?.auditID) }
            else { nil }
        if let problem {
            return AuditChain.Break(auditID: row.auditID, chain: row.chain, chainSeq: row.chainSeq, kind: row.kind, problem: problem)
        }
        rowsChecked += 1
        last = row
        return nil
    }

    /// Checks that the current chain's head is its last row.
    func finishChain() -> AuditChain.Break? {
        guard let last else { return nil }
        guard let head else {
            return AuditChain.Break(auditID: last.auditID, chain: last.chain, chainSeq: last.chainSeq, kind: last.kind,
                                    problem: .headMissing)
        }
        guard head.seq != last.chainSeq || head.hash != last.rowHash || head.auditID != last.auditID else { return nil }
        return AuditChain.Break(auditID: head.auditID, chain: last.chain, chainSeq: head.seq, kind: nil,
                                problem: .headMismatch(lastSeq: last.chainSeq, lastAuditID: last.auditID))
    }

    func report(_ broken: AuditChain.Break?) -> AuditChain.Report {
        AuditChain.Report(rowsChecked: rowsChecked, chainsChecked: chainsChecked, firstBreak: broken)
    }
}
