import Foundation
import Postgres
import Testing
import TestSupport
@testable import RecoupStore

/// Reads by account that run inside event and timer transactions: they must cost the account's
/// rows, not the table's, or every event gets slower as the tables grow.
@Suite("Reads by account")
struct AccountReadPlanTests {
    @Test("the account's recent touches and disputes are read through an index on the account")
    func readsByAccount() async throws {
        let plans = try await MigrationTests.plans(seed: """
            INSERT INTO recoup.outbox (message_id, account_id, exchange, routing_key, body, message_type, created_at)
            SELECT 'm' || n, 'a' || (n % 2000), 'recoup.outbound', 'message.email', '\\x7b7d', 'message.requested', now()
              FROM generate_series(1, 20000) n;
            INSERT INTO recoup.disputes (dispute_id, invoice_id, account_id, status, updated_at)
            SELECT 'd' || n, 'in_' || n, 'a' || (n % 2000), 'resolved', now() FROM generate_series(1, 20000) n;
            ANALYZE recoup.outbox, recoup.disputes;
            """, analyze: true, [(EscalationContext.touchesSQL, ["a7"]), (EscalationContext.disputesSQL, ["a7"])])
        #expect(plans[0].contains("outbox_account_idx") && !plans[0].contains("Seq Scan"), "\(plans[0])")
        #expect(plans[1].contains("disputes_account_idx") && !plans[1].contains("Seq Scan"), "\(plans[1])")
    }

    @Test("the segmentation facts read the account's payment failures, and an account update its open journeys, through an index")
    func segmentationAndJourneysByAccount() async throws {
        let plans = try await MigrationTests.plans(seed: """
            INSERT INTO recoup.payment_failures (event_id, payment_id, invoice_id, account_id, amount_minor, currency, attempted_at,
                                                 method_id, method_type, decline_code, recorded_at)
            SELECT 'e' || n, 'p' || n, 'in_' || n, 'a' || (n % 2000), 100, 'EUR', now() - n * interval '1 minute',
                   'pm_' || n, 'card', 'insufficient_funds', now()
              FROM generate_series(1, 20000) n;
            INSERT INTO recoup.accounts (account_id, created_at, updated_at) SELECT 'a' || n, now(), now() FROM generate_series(0, 1999) n;
            INSERT INTO recoup.invoices (invoice_id, account_id, status, created_at, updated_at)
            SELECT 'in_' || n, 'a' || (n % 2000), 'open', now(), now() FROM generate_series(1, 20000) n;
            INSERT INTO recoup.invoice_journeys (invoice_id, account_id, due_date, segment, planned_at, caused_by, done_stages)
            SELECT 'in_' || n, 'a' || (n % 2000), '2027-01-01', 'long_tail', now(), 'e' || n, '{}' FROM generate_series(1, 20000) n;
            ANALYZE recoup.payment_failures, recoup.invoices, recoup.invoice_journeys;
            """, analyze: true, [(CadenceFacts.accountFactsSQL, ["a7", Date()]), (EventRecorder.openJourneysSQL, ["a7"])])
        #expect(plans[0].contains("payment_failures_account_idx") && !plans[0].contains("Seq Scan on payment_failures"), "\(plans[0])")
        #expect(plans[1].contains("invoice_journeys_account_idx") && !plans[1].contains("Seq Scan on invoice_journeys"), "\(plans[1])")
    }
}
