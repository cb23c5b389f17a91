/// One versioned, forward-only schema change. Applied in version order, each in its own
/// transaction, and recorded in `recoup.schema_migrations`.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

extension Migration {
    /// Every migration Recoup ships, in order. Append only: never edit one that has shipped.
    public static let all: [Migration] = [
        .v1InitialSchema,
        .v2PaymentRetries,
        .v3ContactLog,
        .v4Journeys,
        .v5Replies,
        .v6AuditChain,
        .v7TimerInvoiceIndex,
        .v8TimerDueOrderIndex,
        .v9AccountReadsAndQueueUpkeep,
        .v10AccountFactIndexes,
    ]

    /// The newest schema version this build knows; readiness requires the database to be at it.
    public static var latestVersion: Int { all.map(\.version).max() ?? 0 }
}
