extension Migration {
    /// Two things the timer benchmark and the paced run found:
    ///
    /// - An escalation's context reads the account's latest touches and disputes. Neither table
    ///   had an index by account, so every strategic stage that escalated scanned the whole
    ///   outbox (3 ms a firing at 23,000 rows, growing without end) and every dispute.
    /// - `recoup.timers` and `recoup.outbox` are queues: rows are added, soon closed, and the
    ///   pending ones are found through partial indexes. With the default thresholds (vacuum at
    ///   20 % dead rows) a million timers leave 200,000 closed ones in front of the claim before
    ///   autovacuum clears them; at 2 % it keeps up, and statistics follow a fast-growing table.
    ///
    /// Plain CREATE INDEX: it blocks outbox writes while it builds, so apply it with the daemons
    /// stopped or quiet.
    static let v9AccountReadsAndQueueUpkeep = Migration(version: 9, name: "reads by account, queue tables vacuumed sooner", sql: #"""
    CREATE INDEX outbox_account_idx ON recoup.outbox (account_id, outbox_id);
    CREATE INDEX disputes_account_idx ON recoup.disputes (account_id, updated_at);
    ALTER TABLE recoup.timers SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
    ALTER TABLE recoup.outbox SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
    """#)
}
