extension Migration {
    /// Every customer message sent, per account and channel: what the contact caps count.
    static let v3ContactLog = Migration(version: 3, name: "contact log", sql: #"""
    CREATE TABLE recoup.contact_log (
        contact_id bigserial PRIMARY KEY,
        account_id text NOT NULL,
        channel    text NOT NULL,
        -- messages of one touch (one stage's outreach) share it: the touch cap counts touches
        touch_id   text NOT NULL,
        message_id text NOT NULL UNIQUE,
        sent_at    timestamptz NOT NULL
    );
    CREATE INDEX contact_log_account_idx ON recoup.contact_log (account_id, sent_at);
    """#)
}
