extension Migration {
    /// The retry ledger, invoice holds and escalations; what timers, the outbox and payment
    /// failures need for retry planning and the outbox relay.
    static let v2PaymentRetries = Migration(version: 2, name: "payment retries, holds, escalations, relay lease", sql: #"""
    -- How each failure was classified when it was recorded (the taxonomy may change later).
    ALTER TABLE recoup.payment_failures
        ADD COLUMN category   text,
        ADD COLUMN known_code boolean;
    CREATE INDEX payment_failures_payment_idx ON recoup.payment_failures (payment_id);

    -- The retry ledger: every retry Recoup planned, whatever became of it. Together with
    -- payment_failures it is the attempt history network limits are counted on, per method
    -- across every invoice.
    CREATE TABLE recoup.payment_retries (
        retry_id         text PRIMARY KEY,
        invoice_id       text NOT NULL,
        account_id       text NOT NULL,
        method_id        text NOT NULL,
        method_type      text NOT NULL,
        method_network   text,
        method_exp_month integer,
        method_exp_year  integer,
        is_backup        boolean NOT NULL,
        attempt          integer NOT NULL,
        category         text NOT NULL,
        rules            text[] NOT NULL,
        due_at           timestamptz NOT NULL,
        -- scheduled: waiting for its time; requested: the command was published and no result
        -- has come back; answered: a later failure or payment settled it; cancelled: the
        -- invoice was paid or voided first; superseded: a newer failure replaced the plan;
        -- skipped: at its time the invoice was no longer collectible.
        status           text NOT NULL CHECK (status IN ('scheduled', 'requested', 'answered', 'cancelled', 'superseded', 'skipped')),
        caused_by        text NOT NULL,
        created_at       timestamptz NOT NULL,
        settled_at       timestamptz,
        settled_reason   text
    );
    CREATE INDEX payment_retries_invoice_idx ON recoup.payment_retries (invoice_id, status);
    CREATE INDEX payment_retries_method_idx ON recoup.payment_retries (method_id, due_at);

    -- Holds pause dunning and retries on an invoice until released (a SEPA refusal or refund
    -- claim, like a dispute). Every sender checks them.
    CREATE TABLE recoup.invoice_holds (
        hold_id     bigserial PRIMARY KEY,
        invoice_id  text NOT NULL,
        account_id  text NOT NULL,
        reason      text NOT NULL,
        rule        text NOT NULL,
        caused_by   text NOT NULL,
        created_at  timestamptz NOT NULL,
        released_at timestamptz
    );
    CREATE INDEX invoice_holds_open_idx ON recoup.invoice_holds (invoice_id) WHERE released_at IS NULL;

    -- Escalations raised to people; at most one open per invoice and owner.
    CREATE TABLE recoup.escalations (
        escalation_id text PRIMARY KEY,
        account_id    text NOT NULL,
        invoice_id    text NOT NULL,
        invoice_ids   text[] NOT NULL,
        owner         text NOT NULL,
        rule          text NOT NULL,
        status        text NOT NULL CHECK (status IN ('open', 'closed')),
        caused_by     text NOT NULL,
        created_at    timestamptz NOT NULL,
        closed_at     timestamptz
    );
    CREATE UNIQUE INDEX escalations_open_idx ON recoup.escalations (invoice_id, owner) WHERE status = 'open';

    -- Timers that failed: how often, and why (kind and SQLSTATE, never values).
    ALTER TABLE recoup.timers
        ADD COLUMN attempts   integer NOT NULL DEFAULT 0,
        ADD COLUMN last_error text;

    -- The CloudEvents type of each outbox message (the AMQP `type` property).
    ALTER TABLE recoup.outbox ADD COLUMN message_type text NOT NULL DEFAULT '';

    -- Singleton work (the outbox relay) is done by whichever instance holds its lease.
    CREATE TABLE recoup.leases (
        name       text PRIMARY KEY,
        holder     text NOT NULL,
        expires_at timestamptz NOT NULL
    );
    """#)
}
