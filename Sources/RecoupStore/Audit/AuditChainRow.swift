import Postgres
import RecoupCore

/// One audit row as the hash chain sees it: the values its hash covers, as read back from the
/// database, and the canonical bytes migration 6's `recoup.audit_row_hash` hashes.
///
/// Canonical form, after the 32-byte `prev_hash`: the tag `recoup.audit_log/1` as a text
/// field, then chain_seq, audit_id, occurred_at and recorded_at (epoch microseconds) as
/// 8-byte big-endian integers, then account_id, invoice_id, event_id, kind, rule and
/// detail::text as text fields. A text field is 0x00 for NULL, else 0x01, the UTF-8 length
/// as 4 big-endian bytes, and the bytes; so no two rows share bytes and NULL is not ''.
struct AuditChainRow: Sendable {
    var chain: String
    var chainSeq: Int64
    var auditID: Int64
    var prevHash: [UInt8]
    var rowHash: [UInt8]
    var occurredMicros: Int64
    var recordedMicros: Int64
    var accountID: String?
    var invoiceID: String?
    var eventID: String?
    var kind: String
    var rule: String?
    /// jsonb's own text form: hashed, never shown (it may hold personal data).
    var detail: String

    static let formatTag = "recoup.audit_log/1"

    /// An `audit_log a` row's chain key in SQL, as `AuditChain.chainKey` spells it in Swift; with
    /// `COLLATE "C"` it is the walk order (byte order, as the chain index sorts it).
    static let chainSQL = "coalesce('a:' || a.account_id, '')"

    /// The select list `init(row:at:)` reads, starting at its first column; `a` is audit_log.
    /// Plain built-in expressions, so the check does not trust the schema's own functions.
    static let selectList = """
        \(chainSQL) COLLATE "C", a.chain_seq, a.audit_id, a.prev_hash, a.row_hash,
        (extract(epoch FROM a.occurred_at) * 1000000)::bigint, (extract(epoch FROM a.recorded_at) * 1000000)::bigint,
        a.account_id, a.invoice_id, a.event_id, a.kind, a.rule, a.detail::text
        """
    static let columnCount = 13

    init(row: PostgresRow, at first: Int) throws {
        chain = try row.decode(at: first)
        chainSeq = try row.decode(at: first + 1)
        auditID = try row.decode(at: first + 2)
        prevHash = try row.decode(at: first + 3)
        rowHash = try row.decode(at: first + 4)
        occurredMicros = try row.decode(at: first + 5)
        recordedMicros = try row.decode(at: first + 6)
        accountID = try row.decodeOptional(at: first + 7)
        invoiceID = try row.decodeOptional(at: first + 8)
        eventID = try row.decodeOptional(at: first + 9)
        kind = try row.decode(at: first + 10)
        rule = try row.decodeOptional(at: first + 11)
        detail = try row.decode(at: first + 12)
    }

    /// What `row_hash` must be for these values: sha256(prev_hash || canonical bytes).
    var expectedHash: [UInt8] {
        var hasher = SHA256()
        hasher.update(prevHash)
        hasher.update(canonicalBytes)
        return hasher.finalize()
    }

    var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        Self.appendText(Self.formatTag, to: &out)
        for value in [chainSeq, auditID, occurredMicros, recordedMicros] {
            withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
        }
        for field in [accountID, invoiceID, eventID, kind, rule, detail] { Self.appendText(field, to: &out) }
        return out
    }

    private static func appendText(_ text: String?, to out: inout [UInt8]) {
        guard let text else { out.append(0x00); return }
        out.append(0x01)
        withUnsafeBytes(of: UInt32(text.utf8.count).bigEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: text.utf8)
    }
}
