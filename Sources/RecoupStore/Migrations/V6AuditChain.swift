extension Migration {
    /// Chains every audit row to the one before it in its account's chain (rows without an
    /// account form one global chain), so a changed, removed or reordered row shows.
    ///
    /// The hash is `sha256(prev_hash || canonical row)`; `AuditChainRow` in RecoupStore
    /// writes the same canonical bytes in Swift, and `recoupctl audit verify` recomputes them.
    static let v6AuditChain = Migration(version: 6, name: "audit hash chain", sql: #"""
    -- A row's chain: 'a:' || account_id, or '' for rows without an account (so no account id,
    -- not even '', can share the global chain).
    CREATE FUNCTION recoup.audit_chain_key(account_id text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce('a:' || account_id, '');

    -- A field of the canonical form: NULL is one 0x00 byte; text is 0x01, its UTF-8 length as
    -- four big-endian bytes, then the bytes. Fields cannot run into each other.
    -- STABLE, not IMMUTABLE, like convert_to and extract(epoch FROM timestamptz): labelled
    -- IMMUTABLE the planner would not inline these, and the trigger would re-plan them in
    -- every transaction (measured: about half a millisecond each).
    CREATE FUNCTION recoup.audit_chain_field(value text) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE WHEN value IS NULL THEN '\x00'::bytea
                ELSE '\x01'::bytea || int4send(length(convert_to(value, 'UTF8'))) || convert_to(value, 'UTF8') END;

    -- Microseconds since the Unix epoch, the timestamp's exact value in any session time zone.
    CREATE FUNCTION recoup.audit_chain_micros(value timestamptz) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (extract(epoch FROM value) * 1000000)::bigint;

    -- sha256(prev_hash || canonical row). Integers are eight big-endian bytes (int8send).
    CREATE FUNCTION recoup.audit_row_hash(
        prev_hash bytea, chain_seq bigint, audit_id bigint, occurred_at timestamptz, recorded_at timestamptz,
        account_id text, invoice_id text, event_id text, kind text, rule text, detail jsonb
    ) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN sha256(prev_hash
        || recoup.audit_chain_field('recoup.audit_log/1')
        || int8send(chain_seq) || int8send(audit_id)
        || int8send(recoup.audit_chain_micros(occurred_at)) || int8send(recoup.audit_chain_micros(recorded_at))
        || recoup.audit_chain_field(account_id) || recoup.audit_chain_field(invoice_id)
        || recoup.audit_chain_field(event_id) || recoup.audit_chain_field(kind)
        || recoup.audit_chain_field(rule) || recoup.audit_chain_field(detail::text));

    -- The newest row of each chain. Written only by the chaining trigger (as the schema owner).
    CREATE TABLE recoup.audit_chain_heads (
        chain     text PRIMARY KEY,
        seq       bigint NOT NULL,
        head_hash bytea NOT NULL,
        audit_id  bigint
    );

    ALTER TABLE recoup.audit_log
        ADD COLUMN chain_seq bigint,
        ADD COLUMN prev_hash bytea,
        ADD COLUMN row_hash  bytea;

    -- Links NEW to its chain's head under the head's row lock, so concurrent writers of one
    -- chain take turns and seqs stay dense. Caller-supplied chain values are overwritten.
    CREATE FUNCTION recoup.audit_log_chain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
        key  text := recoup.audit_chain_key(NEW.account_id);
        head recoup.audit_chain_heads%ROWTYPE;
    BEGIN
        SELECT * INTO head FROM recoup.audit_chain_heads WHERE chain = key FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO recoup.audit_chain_heads (chain, seq, head_hash)
                VALUES (key, 0, '\x0000000000000000000000000000000000000000000000000000000000000000')
                ON CONFLICT DO NOTHING;
            SELECT * INTO head FROM recoup.audit_chain_heads WHERE chain = key FOR UPDATE;
        END IF;
        NEW.chain_seq := head.seq + 1;
        NEW.prev_hash := head.head_hash;
        NEW.row_hash := recoup.audit_row_hash(NEW.prev_hash, NEW.chain_seq, NEW.audit_id, NEW.occurred_at,
            NEW.recorded_at, NEW.account_id, NEW.invoice_id, NEW.event_id, NEW.kind, NEW.rule, NEW.detail);
        UPDATE recoup.audit_chain_heads SET seq = NEW.chain_seq, head_hash = NEW.row_hash, audit_id = NEW.audit_id
            WHERE chain = key;
        RETURN NEW;
    END
    $$;

    -- Backfill: chain the rows written before this migration, in audit_id order.
    ALTER TABLE recoup.audit_log DISABLE TRIGGER audit_log_no_update_delete;
    DO $$
    DECLARE
        r    recoup.audit_log%ROWTYPE;
        key  text;
        head recoup.audit_chain_heads%ROWTYPE;
        hash bytea;
    BEGIN
        FOR r IN SELECT * FROM recoup.audit_log ORDER BY audit_id LOOP
            key := recoup.audit_chain_key(r.account_id);
            SELECT * INTO head FROM recoup.audit_chain_heads WHERE chain = key;
            IF NOT FOUND THEN
                head := ROW(key, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea, NULL);
                INSERT INTO recoup.audit_chain_heads VALUES (head.*);
            END IF;
            hash := recoup.audit_row_hash(head.head_hash, head.seq + 1, r.audit_id, r.occurred_at, r.recorded_at,
                r.account_id, r.invoice_id, r.event_id, r.kind, r.rule, r.detail);
            UPDATE recoup.audit_log SET chain_seq = head.seq + 1, prev_hash = head.head_hash, row_hash = hash
                WHERE audit_id = r.audit_id;
            UPDATE recoup.audit_chain_heads SET seq = head.seq + 1, head_hash = hash, audit_id = r.audit_id
                WHERE chain = key;
        END LOOP;
    END
    $$;
    ALTER TABLE recoup.audit_log ENABLE TRIGGER audit_log_no_update_delete;

    ALTER TABLE recoup.audit_log
        ALTER COLUMN chain_seq SET NOT NULL,
        ALTER COLUMN prev_hash SET NOT NULL,
        ALTER COLUMN row_hash  SET NOT NULL;
    -- One row per place in a chain; also the order `audit verify` walks (byte order of keys).
    CREATE UNIQUE INDEX audit_log_chain_idx
        ON recoup.audit_log ((recoup.audit_chain_key(account_id)) COLLATE "C", chain_seq);
    CREATE TRIGGER audit_log_chain BEFORE INSERT ON recoup.audit_log
        FOR EACH ROW EXECUTE FUNCTION recoup.audit_log_chain();

    -- The application role is granted writes on every table (Migrator); heads refuse anyone
    -- but their owner (the chaining trigger runs as it) and superusers.
    CREATE FUNCTION recoup.audit_chain_heads_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
        IF NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
            RAISE EXCEPTION 'recoup.audit_chain_heads is written only by the audit chain (% by % refused)', TG_OP, current_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END
    $$;
    CREATE TRIGGER audit_chain_heads_guard BEFORE INSERT OR UPDATE OR DELETE ON recoup.audit_chain_heads
        FOR EACH ROW EXECUTE FUNCTION recoup.audit_chain_heads_guard();
    CREATE TRIGGER audit_chain_heads_no_truncate BEFORE TRUNCATE ON recoup.audit_chain_heads
        FOR EACH STATEMENT EXECUTE FUNCTION recoup.audit_chain_heads_guard();
    """#)
}
