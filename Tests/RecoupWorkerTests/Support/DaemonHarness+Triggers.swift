extension DaemonHarness {
    /// Makes every write to `invoice` fail with `errorCode`. The default, a serialization error,
    /// is a cause outside the message (a bad deploy), which the daemon retries, then
    /// dead-letters as `transient_exhausted`; `check_violation` is a refusal of the data itself
    /// (semantic). Call after the schema exists; `curePoison()` is the fix.
    func poisonWrites(toInvoice invoice: String, errorCode: String = "serialization_failure") async throws {
        try await query { connection in
            try connection.executeScript("""
                CREATE FUNCTION recoup.test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.invoice_id = '\(invoice)' THEN
                        RAISE EXCEPTION 'poisoned for the test' USING ERRCODE = '\(errorCode)';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER test_poison BEFORE INSERT OR UPDATE ON recoup.invoices
                    FOR EACH ROW EXECUTE FUNCTION recoup.test_poison();
                """)
        }
    }

    /// Removes what `poisonWrites` put in.
    func curePoison() async throws {
        try await query { try $0.executeScript("DROP TRIGGER test_poison ON recoup.invoices") }
    }

    /// Makes every event's inbox insert wait `milliseconds` inside its transaction: a stand-in
    /// for a slower database, which paces recoupd without changing how it records events.
    func paceRecording(milliseconds: Int) async throws {
        try await query { connection in
            try connection.executeScript("""
                CREATE FUNCTION recoup.test_pace() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_sleep(\(Double(milliseconds) / 1000));
                    RETURN NEW;
                END $$;
                CREATE TRIGGER test_pace BEFORE INSERT ON recoup.inbox FOR EACH ROW EXECUTE FUNCTION recoup.test_pace();
                """)
        }
    }
}
