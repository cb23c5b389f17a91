extension Migration {
    /// What the classifier made of each reply and where it was routed, and the channels
    /// customers opted out of by replying.
    static let v5Replies = Migration(version: 5, name: "reply classification and opt-outs", sql: #"""
    ALTER TABLE recoup.replies
        ADD COLUMN reply_class   text,
        ADD COLUMN confidence    real,
        ADD COLUMN promised_date date,
        ADD COLUMN routed_to     text,
        ADD COLUMN routed_at     timestamptz;
    -- Replies recorded before there was a classifier were never routed; they pause nothing.
    UPDATE recoup.replies SET routed_to = 'recorded before classification', routed_at = recorded_at;
    CREATE INDEX replies_unrouted_idx ON recoup.replies (invoice_id) WHERE routed_at IS NULL;

    -- A customer's own "stop" on a channel. It outlasts later account updates (the billing
    -- platform may not know of it): consent on that channel stays off.
    CREATE TABLE recoup.consent_revocations (
        account_id text NOT NULL,
        channel    text NOT NULL CHECK (channel IN ('email', 'sms', 'in_app')),
        reply_id   text NOT NULL,
        revoked_at timestamptz NOT NULL,
        PRIMARY KEY (account_id, channel)
    );

    -- The promise a reply made, watched once its grace has passed.
    ALTER TABLE recoup.promises ADD COLUMN reply_id text;
    """#)
}
