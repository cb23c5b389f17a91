extension DaemonHarness {
    /// Makes every write to `invoice` fail with a serialization error: a cause outside the
    /// message (a bad deploy, a broken constraint), which the daemon retries, then dead-letters
    /// as `transient_exhausted`. Call after the schema exists; `curePoison()` is the fix.
    func poisonWrites(toInvoice invoice: String) async throws {
        try await query { connection in
            try connection.executeScript("""
                CREATE FUNCTION recoup.test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.invoice_id = '\(invoice)' THEN
                        RAISE EXCEPTION 'poisoned for the test' USING ERRCODE = 'serialization_failure';
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
}
