import RecoupCore

extension AuditChain {
    /// What a verification found: how much it checked and the first break, if any. Names rows by
    /// id, chain, seq and kind only; never by detail (it may hold personal data).
    public struct Report: Sendable, Equatable {
        public var rowsChecked = 0
        public var chainsChecked = 0
        /// The first broken row in walk order (chains by key bytes, rows by seq); nil when intact.
        public var firstBreak: Break?

        public var isIntact: Bool { firstBreak == nil }

        /// One line for operators.
        public var summary: String {
            let scope = "\(rowsChecked) rows in \(chainsChecked) chains"
            guard let firstBreak else { return "audit chain intact: \(scope) checked" }
            return "audit chain BROKEN at \(firstBreak) (after \(scope) checked)"
        }

        public var json: JSONValue {
            .object([
                "intact": .bool(isIntact), "rows_checked": .int(Int64(rowsChecked)),
                "chains_checked": .int(Int64(chainsChecked)), "first_break": firstBreak?.json ?? .null,
            ])
        }
    }

    /// A row where the chain does not hold.
    public struct Break: Sendable, Equatable, CustomStringConvertible {
        /// The row named: the broken one, or for head problems the row the head points at.
        public var auditID: Int64?
        /// `a:<account id>`, or '' for the chain of rows without an account.
        public var chain: String
        public var chainSeq: Int64
        /// The row's kind when the row is there to read.
        public var kind: String?
        public var problem: Problem

        public var description: String {
            let chainName = chain.isEmpty ? "the global chain" : "chain \(chain)"
            let row = auditID.map { "audit_id \($0)" } ?? "no audit_id"
            return "\(row) (\(chainName), seq \(chainSeq)\(kind.map { ", kind \($0)" } ?? "")): \(problem)"
        }

        public var json: JSONValue {
            .object([
                "audit_id": auditID.map(JSONValue.int) ?? .null, "chain": .string(chain), "chain_seq": .int(chainSeq),
                "kind": kind.map(JSONValue.string) ?? .null, "problem": .string(problem.code),
                "message": .string(problem.description),
            ])
        }
    }

    /// How a chain can fail to hold.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        /// The row's values no longer hash to its `row_hash`.
        case rowChanged
        /// The row's seq skips past the one expected (rows deleted or moved).
        case previousRowMissing(expectedSeq: Int64)
        /// The row's `prev_hash` is not the previous row's `row_hash` (that row was rewritten
        /// together with its hash, or rows were swapped).
        case linkBroken(previousAuditID: Int64?)
        /// The chain has rows but no head.
        case headMissing
        /// The head points elsewhere than the chain's last row (newest rows deleted, or the
        /// head rewritten).
        case headMismatch(lastSeq: Int64?, lastAuditID: Int64?)

        /// A stable machine-readable name.
        public var code: String {
            switch self {
            case .rowChanged: "row_changed"
            case .previousRowMissing: "previous_row_missing"
            case .linkBroken: "link_broken"
            case .headMissing: "head_missing"
            case .headMismatch: "head_mismatch"
            }
        }

        public var description: String {
            switch self {
            case .rowChanged:
                "row changed (its values no longer match its hash)"
            case .previousRowMissing(let expected):
                "previous row missing or reordered (expected seq \(expected) here)"
            case .linkBroken(let previous):
                "link to the previous row broken (previous row\(previous.map { " audit_id \($0)" } ?? "") rewritten or reordered)"
            case .headMissing:
                "chain head missing"
            case .headMismatch(let seq, let auditID):
                "chain head does not match the chain's last row (last row: "
                    + (seq.map { "seq \($0), audit_id \(auditID ?? 0)" } ?? "none") + "; newest rows deleted?)"
            }
        }
    }
}
