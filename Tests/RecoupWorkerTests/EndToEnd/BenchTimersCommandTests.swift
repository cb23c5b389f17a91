import Foundation
import Testing
import TestSupport

/// `recoupctl bench timers` runs for real on a small scale, so the timer benchmark does not rot
/// between the runs written down in BENCHMARKS.md: the due stage timers do their real work and
/// the others stay pending. Its speed is not judged here.
@Suite("recoupctl bench timers, end to end", .serialized)
struct BenchTimersCommandTests {
    @Test("bench timers seeds real journeys, checks the claim plan, fires the due stages and leaves the rest pending")
    func timers() async throws {
        try await DaemonHarness.with(name: "benchtimers") { world in
            #expect(try await world.recoupctl(["migrate"]).status == 0)
            let run = try await world.recoupctl(["bench", "timers", "--pending", "2000", "--due", "200", "--workers", "2"])
            #expect(run.status == 0, "\(run.err)")
            let lines = run.out.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.hasPrefix("seeded: 2000 pending stage timers, 200 due at ") }, "\(run.out)")
            #expect(lines.contains { $0.hasPrefix("claim plan: ") && $0.contains("timers_due_idx") }, "\(run.out)")
            #expect(lines.contains { $0.hasPrefix("fired: 200 fired, 0 failed in ") && $0.contains("2 workers") }, "\(run.out)")
            #expect(lines.contains { $0.hasPrefix("after: 1800 pending, 0 due; ") }, "\(run.out)")

            let now = "(SELECT now FROM recoup.clock)"
            // Every due stage fired at the clock's time, and nothing else did.
            #expect(try await world.count("SELECT count(*) FROM recoup.timers WHERE fired_at = \(now)") == 200)
            #expect(try await world.count("SELECT count(*) FROM recoup.timers WHERE fired_at IS NOT NULL OR cancelled_at IS NOT NULL") == 200)
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= \(now)
                """) == 0)
            #expect(try await world.count("SELECT count(*) FROM recoup.timers WHERE fired_at IS NULL AND cancelled_at IS NULL") == 1800)
            // Each firing did its stage's work: a message (or, for strategic accounts, the
            // account team's escalation: a hand-off) in the outbox, the journey's stage marked
            // done, audited.
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.timers t WHERE t.fired_at IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM recoup.outbox o WHERE o.account_id = t.account_id AND o.created_at = t.fired_at)
                """) == 0)
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.timers t JOIN recoup.invoice_journeys j USING (invoice_id)
                 WHERE t.fired_at IS NOT NULL
                   AND ((t.payload->>'stage') = ANY(j.done_stages) OR (t.payload->>'stage') || ':hand_off' = ANY(j.done_stages))
                """) == 200)
            #expect(try await world.count("SELECT count(*) FROM recoup.outbox WHERE routing_key LIKE 'message.%'") >= 190)
            #expect(try await world.count("""
                SELECT count(DISTINCT account_id) FROM recoup.audit_log
                 WHERE kind IN ('journey.stage.sent', 'escalation.raised') AND occurred_at = \(now)
                """) == 200)
            // Copies are real rows under the schema's rules: the audit chain they extend holds.
            let verify = try await world.recoupctl(["audit", "verify"])
            #expect(verify.status == 0, "\(verify.out)\(verify.err)")

            // A second run would count the first one's timers: it refuses.
            let again = try await world.recoupctl(["bench", "timers", "--pending", "2000", "--due", "200"])
            #expect(again.status != 0 && again.err.contains("pending timers already"), "\(again.err)")
            let tooFew = try await world.recoupctl(["bench", "timers", "--pending", "10", "--due", "20"])
            #expect(tooFew.status != 0)
        }
    }
}
