import Logging
import RecoupCore
import RecoupStore

/// `recoupctl audit verify`: checks the audit log's hash chains with the daemon's own database
/// role (read-only), and says what it found in a line or a JSON object without detail contents.
public enum AuditVerification {
    /// What the CLI prints and how it exits.
    public struct Outcome: Sendable {
        public var isIntact: Bool
        /// One line: the counts, and the first broken row by audit_id, chain, seq and kind.
        public var summary: String
        public var json: JSONValue
    }

    /// Verifies every chain, or only `accountID`'s.
    public static func verify(accountID: String?, configuration: RecoupConfiguration, logger: Logger) async throws -> Outcome {
        let report = try await configuration.withCommandPool(logger: logger) { pool in
            try await AuditChain.verify(accountID: accountID, pool: pool)
        }
        return Outcome(isIntact: report.isIntact, summary: report.summary, json: report.json)
    }
}
