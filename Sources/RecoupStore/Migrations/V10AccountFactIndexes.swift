extension Migration {
    /// Two more reads by account that scanned their whole table, found when a million-event
    /// benchmark slowed from a thousand events a second to a few hundred as the tables grew:
    ///
    /// - the segmentation facts (every journey planned) read the account's latest payment
    ///   failure and card expiry: a sequential scan of `payment_failures` twice, 15 ms at 34,000
    ///   failures;
    /// - `account.updated` re-plans the account's open journeys, found by account in
    ///   `invoice_journeys`: a scan of every journey.
    ///
    /// Plain CREATE INDEX: apply it with the daemons stopped or quiet.
    static let v10AccountFactIndexes = Migration(version: 10, name: "payment failures and journeys by account", sql: #"""
    CREATE INDEX payment_failures_account_idx ON recoup.payment_failures (account_id, attempted_at);
    CREATE INDEX invoice_journeys_account_idx ON recoup.invoice_journeys (account_id);
    """#)
}
