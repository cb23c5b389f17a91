extension Migration {
    /// Each open invoice's planned journey (what it was planned against, which stages are done)
    /// and the tasks Recoup hands to people.
    static let v4Journeys = Migration(version: 4, name: "journeys and tasks", sql: #"""
    CREATE TABLE recoup.invoice_journeys (
        invoice_id  text PRIMARY KEY,
        account_id  text NOT NULL,
        -- the due date the plan runs against (a payment plan's next installment, if any)
        due_date    date NOT NULL,
        segment     text NOT NULL,
        planned_at  timestamptz NOT NULL,
        caused_by   text NOT NULL,
        -- stages whose outreach went out (or was handed to a person), never sent twice
        done_stages text[] NOT NULL DEFAULT '{}'
    );

    CREATE TABLE recoup.tasks (
        task_id    text PRIMARY KEY,
        account_id text NOT NULL,
        invoice_id text,
        kind       text NOT NULL,
        assignee   text,
        rule       text NOT NULL,
        status     text NOT NULL CHECK (status IN ('open', 'closed')),
        due_at     timestamptz NOT NULL,
        caused_by  text NOT NULL,
        created_at timestamptz NOT NULL,
        closed_at  timestamptz
    );
    CREATE INDEX tasks_open_invoice_idx ON recoup.tasks (invoice_id) WHERE status = 'open';
    CREATE INDEX timers_account_kind_idx ON recoup.timers (account_id, kind) WHERE fired_at IS NULL AND cancelled_at IS NULL;
    """#)
}
