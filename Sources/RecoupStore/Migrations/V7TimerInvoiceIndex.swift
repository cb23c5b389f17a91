extension Migration {
    /// Every journey plan cancels its invoice's pending stage timers, and every stage firing
    /// looks for a later stage due: both by invoice. Without this index each was a scan of all
    /// pending timers, which at a million pending (issue 7) made every event slow.
    ///
    /// A plain CREATE INDEX: it blocks writes to `recoup.timers` while it builds (seconds for a
    /// million rows), so apply it with the daemons stopped or quiet.
    static let v7TimerInvoiceIndex = Migration(version: 7, name: "pending timers by invoice", sql: #"""
    CREATE INDEX timers_invoice_kind_idx ON recoup.timers (invoice_id, kind) WHERE fired_at IS NULL AND cancelled_at IS NULL;
    """#)
}
