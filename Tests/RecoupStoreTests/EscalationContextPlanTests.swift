import Foundation
import Postgres
import Testing
import TestSupport
@testable import RecoupStore

/// An escalation's context reads the account's recent touches and disputes. Those reads run in
/// the firing transaction of every strategic stage, so they must cost the account's rows, not
/// the table's.
@Suite("Escalation context reads")
struct EscalationContextPlanTests {
    @Test("the account's recent touches and disputes are read through an index on the account")
    func readsByAccount() async throws {
        try await MigrationTests.withDatabase { owner, _ in
            _ = try await Migrator(logger: MigrationTests.logger).migrate(pool: owner, appRole: "recoup_app")
            let plans = try await owner.withConnection { connection in
                try connection.executeScript("""
                    INSERT INTO recoup.outbox (message_id, account_id, exchange, routing_key, body, message_type, created_at)
                    SELECT 'm' || n, 'a' || (n % 2000), 'recoup.outbound', 'message.email', '\\x7b7d', 'message.requested', now()
                      FROM generate_series(1, 20000) n;
                    INSERT INTO recoup.disputes (dispute_id, invoice_id, account_id, status, updated_at)
                    SELECT 'd' || n, 'in_' || n, 'a' || (n % 2000), 'resolved', now() FROM generate_series(1, 20000) n;
                    ANALYZE recoup.outbox, recoup.disputes;
                    """)
                return try [EscalationContext.touchesSQL, EscalationContext.disputesSQL].map { try connection.explain($0, ["a7"], analyze: true) }
            }
            #expect(plans[0].contains("outbox_account_idx") && !plans[0].contains("Seq Scan"), "\(plans[0])")
            #expect(plans[1].contains("disputes_account_idx") && !plans[1].contains("Seq Scan"), "\(plans[1])")
        }
    }
}
