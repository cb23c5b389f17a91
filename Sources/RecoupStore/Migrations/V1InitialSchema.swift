extension Migration {
    /// Accounts, invoices, money movements, disputes, replies, CRM signals, promises and plans;
    /// the inbox, the append-only audit log, the outbox, timers and the controlled clock.
    static let v1InitialSchema = Migration(version: 1, name: "initial schema", sql: #"""
    -- State mirrored from the billing platform. A row may exist before the event that
    -- describes it (events arrive out of order): such placeholder rows have NULL versions.
    CREATE TABLE recoup.accounts (
        account_id        text PRIMARY KEY,
        version           bigint,
        name              text,
        first_name        text,
        email             text,
        phone             text,
        timezone          text NOT NULL DEFAULT 'UTC',
        locale            text NOT NULL DEFAULT 'en-US',
        currency          text,
        arr_minor         bigint,
        tier_override     text,
        owners            jsonb NOT NULL DEFAULT '{}',
        consent_email     boolean NOT NULL DEFAULT true,
        consent_sms       boolean NOT NULL DEFAULT false,
        consent_in_app    boolean NOT NULL DEFAULT true,
        preferred_channel text,
        tags              text[] NOT NULL DEFAULT '{}',
        created_at        timestamptz NOT NULL,
        updated_at        timestamptz NOT NULL
    );

    CREATE TABLE recoup.invoices (
        invoice_id             text PRIMARY KEY,
        account_id             text NOT NULL REFERENCES recoup.accounts,
        -- fields of the newest invoice.created / invoice.updated snapshot
        snapshot_version       bigint,
        number                 text,
        currency               text,
        amount_due_minor       bigint,
        amount_paid_minor      bigint NOT NULL DEFAULT 0,
        issued_at              timestamptz,
        due_date               date,
        payment_url            text,
        -- lifecycle status: the newest of snapshot status, invoice.paid, invoice.voided
        status                 text,
        status_version         bigint,
        paid_at                timestamptz,      -- while status is paid: last_paid_at
        last_paid_at           timestamptz,      -- paid_at of the newest invoice.paid seen
        last_paid_version      bigint,
        -- sum of payment.succeeded amounts seen (order-independent)
        payments_received_minor bigint NOT NULL DEFAULT 0,
        created_at             timestamptz NOT NULL,
        updated_at             timestamptz NOT NULL
    );
    CREATE INDEX invoices_account_idx ON recoup.invoices (account_id);

    CREATE TABLE recoup.payments (
        payment_id   text PRIMARY KEY,
        invoice_id   text NOT NULL,
        account_id   text NOT NULL,
        amount_minor bigint NOT NULL,
        currency     text NOT NULL,
        succeeded_at timestamptz NOT NULL,
        event_id     text NOT NULL,
        recorded_at  timestamptz NOT NULL
    );
    CREATE INDEX payments_invoice_idx ON recoup.payments (invoice_id);

    CREATE TABLE recoup.payment_failures (
        event_id            text PRIMARY KEY,
        payment_id          text NOT NULL,
        invoice_id          text NOT NULL,
        account_id          text NOT NULL,
        amount_minor        bigint NOT NULL,
        currency            text NOT NULL,
        attempted_at        timestamptz NOT NULL,
        attempt             integer,
        method_id           text NOT NULL,
        method_type         text NOT NULL,
        method_network      text,
        method_exp_month    integer,
        method_exp_year     integer,
        decline_code        text NOT NULL,
        decline_scheme      text,
        network_advice_code text,
        backup_methods      jsonb NOT NULL DEFAULT '[]',
        recorded_at         timestamptz NOT NULL
    );
    CREATE INDEX payment_failures_invoice_idx ON recoup.payment_failures (invoice_id, attempted_at);
    CREATE INDEX payment_failures_method_idx ON recoup.payment_failures (method_id, attempted_at);

    CREATE TABLE recoup.disputes (
        dispute_id  text PRIMARY KEY,
        invoice_id  text NOT NULL,
        account_id  text NOT NULL,
        status      text NOT NULL CHECK (status IN ('open', 'resolved')),
        reason      text,
        outcome     text,
        opened_at   timestamptz,
        resolved_at timestamptz,
        updated_at  timestamptz NOT NULL
    );
    CREATE INDEX disputes_invoice_idx ON recoup.disputes (invoice_id) WHERE status = 'open';

    CREATE TABLE recoup.replies (
        reply_id    text PRIMARY KEY,
        account_id  text NOT NULL,
        invoice_id  text,
        channel     text NOT NULL,
        in_reply_to text,
        body        text NOT NULL,
        received_at timestamptz NOT NULL,
        event_id    text NOT NULL,
        recorded_at timestamptz NOT NULL
    );
    CREATE INDEX replies_account_idx ON recoup.replies (account_id, received_at);

    CREATE TABLE recoup.crm_signals (
        event_id    text PRIMARY KEY,
        account_id  text NOT NULL,
        kind        text NOT NULL,
        priority    text,
        reference   text,
        detail      text,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL
    );
    CREATE INDEX crm_signals_account_idx ON recoup.crm_signals (account_id, occurred_at);

    CREATE TABLE recoup.promises (
        event_id      text PRIMARY KEY,
        invoice_id    text NOT NULL,
        account_id    text NOT NULL,
        promised_date date NOT NULL,
        amount_minor  bigint,
        recorded_by   text,
        recorded_at   timestamptz NOT NULL
    );
    CREATE INDEX promises_invoice_idx ON recoup.promises (invoice_id);

    CREATE TABLE recoup.payment_plans (
        event_id     text PRIMARY KEY,
        invoice_id   text NOT NULL,
        account_id   text NOT NULL,
        installments jsonb NOT NULL,
        recorded_by  text,
        recorded_at  timestamptz NOT NULL
    );
    CREATE INDEX payment_plans_invoice_idx ON recoup.payment_plans (invoice_id);

    -- Every processed inbound event id: the idempotency key of CONTRACT.md.
    CREATE TABLE recoup.inbox (
        event_id     text PRIMARY KEY,
        event_type   text NOT NULL,
        queue        text NOT NULL,
        outcome      text NOT NULL,
        processed_at timestamptz NOT NULL
    );

    -- The audit trail. Append-only: the application role is granted INSERT and SELECT only,
    -- and a trigger refuses UPDATE, DELETE and TRUNCATE for everyone.
    CREATE TABLE recoup.audit_log (
        audit_id    bigserial PRIMARY KEY,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        account_id  text,
        invoice_id  text,
        event_id    text,
        kind        text NOT NULL,
        rule        text,
        detail      jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_log_account_idx ON recoup.audit_log (account_id, audit_id);
    CREATE INDEX audit_log_event_idx ON recoup.audit_log (event_id);

    CREATE FUNCTION recoup.audit_log_is_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'recoup.audit_log is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$;
    CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON recoup.audit_log
        FOR EACH ROW EXECUTE FUNCTION recoup.audit_log_is_append_only();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON recoup.audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION recoup.audit_log_is_append_only();

    -- Messages to publish, written in the same transaction as the decision that caused them.
    CREATE TABLE recoup.outbox (
        outbox_id    bigserial PRIMARY KEY,
        message_id   text NOT NULL UNIQUE,
        account_id   text,
        exchange     text NOT NULL,
        routing_key  text NOT NULL,
        body         bytea NOT NULL,
        headers      jsonb NOT NULL DEFAULT '{}',
        created_at   timestamptz NOT NULL,
        published_at timestamptz
    );
    CREATE INDEX outbox_unpublished_idx ON recoup.outbox (outbox_id) WHERE published_at IS NULL;

    -- Time-based work (reminders, retries, pause expiry), due by the Recoup clock.
    CREATE TABLE recoup.timers (
        timer_id   bigserial PRIMARY KEY,
        kind       text NOT NULL,
        dedupe_key text NOT NULL UNIQUE,
        due_at     timestamptz NOT NULL,
        account_id text,
        invoice_id text,
        payload    jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL,
        fired_at   timestamptz,
        cancelled_at timestamptz
    );
    CREATE INDEX timers_due_idx ON recoup.timers (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;

    -- The controlled clock of CONTRACT.md: one row; NULL means "not set yet".
    CREATE TABLE recoup.clock (
        singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        now        timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO recoup.clock (singleton, now) VALUES (true, NULL);
    """#)
}
