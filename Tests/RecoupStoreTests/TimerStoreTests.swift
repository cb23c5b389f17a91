import Foundation
import Postgres
import RecoupCore
import Testing
import TestSupport
import RecoupConfig
@testable import RecoupStore

/// Timers and the outbox against the real PostgreSQL: what makes them safe with several
/// `recoupd` instances on one database.
@Suite("Timers and outbox")
struct TimerStoreTests {
    static let base = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("two instances claiming at once never get the same due timer, and neither gets one not yet due")
    func skipLocked() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in
            try await owner.transaction { connection in
                for index in 0..<12 {
                    try TimerStore.schedule(kind: "test", dedupeKey: "k\(index)", dueAt: Self.base.addingTimeInterval(Double(index < 10 ? -index : 60)),
                                            accountID: "a", invoiceID: "i\(index)", payload: .object([:]), now: Self.base, connection)
                }
            }
            // A holds its claim open until B has claimed: B must skip A's rows, not wait for them.
            let aClaimed = DispatchSemaphore(value: 0), bClaimed = DispatchSemaphore(value: 0)
            async let first: [String] = owner.transaction { connection in
                let keys = try TimerStore.claimDue(now: Self.base, limit: 6, connection).map(\.dedupeKey)
                aClaimed.signal()
                _ = bClaimed.wait(timeout: .now() + 10)
                return keys
            }
            async let second: [String] = owner.transaction { connection in
                _ = aClaimed.wait(timeout: .now() + 10)
                let keys = try TimerStore.claimDue(now: Self.base, limit: 6, connection).map(\.dedupeKey)
                bClaimed.signal()
                return keys
            }
            let (a, b) = try await (first, second)
            #expect(a.count == 6)
            #expect(b.count == 4, "the four due timers A did not hold")
            #expect(Set(a).isDisjoint(with: b))
            #expect(Set(a + b) == Set((0..<10).map { "k\($0)" }), "the two not yet due were left alone")
        }
    }

    @Test("the loops of one scheduler claim disjoint shares: each due timer once, one account's timers all in one share")
    func partitionedClaims() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in
            _ = try await owner.transaction { connection in
                try TimerStore.scheduleAll((0..<300).map { index in
                    TimerSpec(kind: "test", dedupeKey: "k\(index)", dueAt: Self.base.addingTimeInterval(Double(-index)),
                              accountID: index % 7 == 0 ? nil : "acc_\(index % 40)", invoiceID: "i\(index)", payload: .object([:]))
                }, now: Self.base, connection)
            }
            // Three loops claim at once, each holding its claim until all have claimed.
            let claimed = try await withThrowingTaskGroup(of: [DueTimer].self) { group in
                let all = DispatchGroup()
                for _ in 0..<3 { all.enter() }
                for share in 0..<3 {
                    group.addTask {
                        try await owner.transaction { connection in
                            let timers = try TimerStore.claimDue(now: Self.base, limit: 300, share: (share, of: 3), connection)
                            all.leave()
                            _ = all.wait(timeout: .now() + 10)
                            return timers
                        }
                    }
                }
                return try await group.reduce(into: [[DueTimer]]()) { $0.append($1) }
            }
            let keys = claimed.flatMap { $0.map(\.dedupeKey) }
            #expect(keys.count == 300 && Set(keys).count == 300, "each due timer claimed once")
            #expect(claimed.allSatisfy { !$0.isEmpty }, "every loop has a share")
            let owners = Dictionary(grouping: claimed.enumerated().flatMap { share, timers in timers.map { ($0.accountID ?? "-", share) } },
                                    by: \.0).mapValues { Set($0.map(\.1)) }
            #expect(owners.values.allSatisfy { $0.count == 1 }, "an account's timers in one share: \(owners)")
        }
    }

    @Test("a new timer wakes a listening scheduler once it commits (one wake for a batch, saying when the earliest is due); a deduplicated one raises nothing")
    func scheduleNotifies() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in
            let database = try await owner.withConnection { try $0.query("SELECT current_database()").first!.decode(String.self, at: 0) }
            let listener = PostgresListener(
                configuration: PostgresConfiguration(url: TestEnvironment.postgresURL(database: database, user: "recoup_owner"), poolSize: 1),
                channels: [TimerStore.notifyChannel], logger: MigrationTests.logger)
            #expect(await eventually { listener.isListening })
            let collector = NotificationCollector(listener.notifications)
            func schedule(_ key: String) async throws -> Bool {
                try await owner.transaction { connection in
                    try TimerStore.schedule(kind: "test", dedupeKey: key, dueAt: Self.base, accountID: "a", invoiceID: "i",
                                            payload: .object([:]), now: Self.base, connection)
                }
            }
            #expect(try await schedule("new"))
            #expect(await eventually { collector.notifications.count >= 1 })
            #expect(try await !schedule("new"), "the same dedupe key again")
            // A marker after the duplicate: anything the duplicate raised would arrive before it.
            try await owner.withConnection { try $0.notify(channel: TimerStore.notifyChannel, payload: "marker") }
            #expect(await eventually { collector.notifications.contains { $0.payload == "marker" } })
            #expect(collector.notifications.map(\.payload).last == "marker" && collector.notifications.count == 2)
            #expect(collector.notifications.first.flatMap { TimerStore.notifiedDueAt($0.payload) } == Self.base)

            // Several in one statement: the new ones inserted in order, the known key skipped,
            // one NOTIFY for the lot; all known: none.
            let due = Self.base.addingTimeInterval(0.123456)
            let batch = [("new", "a"), ("b1", "a"), ("b2", nil)].map { key, account in
                TimerSpec(kind: "test", dedupeKey: key, dueAt: key == "b2" ? due.addingTimeInterval(60) : due, accountID: account,
                          invoiceID: nil, payload: .object(["key": .string(key)]))
            }
            #expect(try await owner.transaction { try TimerStore.scheduleAll(batch, now: Self.base, $0) } == 2)
            #expect(try await owner.transaction { try TimerStore.scheduleAll(Array(batch.prefix(2)), now: Self.base, $0) } == 0)
            try await owner.withConnection { try $0.notify(channel: TimerStore.notifyChannel, payload: "marker 2") }
            #expect(await eventually { collector.notifications.contains { $0.payload == "marker 2" } })
            #expect(collector.notifications.count == 4 && collector.notifications.last?.payload == "marker 2")
            let announced = try #require(TimerStore.notifiedDueAt(collector.notifications[2].payload), "\(collector.notifications)")
            #expect(abs(announced.timeIntervalSince(due)) < 0.000_01, "the earliest of the two inserted")
            let stored = try await owner.withConnection { connection in
                try connection.query("""
                    SELECT dedupe_key, account_id, due_at, payload->>'key' FROM recoup.timers WHERE dedupe_key LIKE 'b%' ORDER BY timer_id
                    """).map { (try $0.decode(String.self, at: 0), try $0.decodeOptional(String.self, at: 1),
                                try $0.decode(Date.self, at: 2), try $0.decode(String.self, at: 3)) }
            }
            #expect(stored.map(\.0) == ["b1", "b2"] && stored.map(\.1) == ["a", nil] && stored.map(\.3) == ["b1", "b2"])
            #expect(abs(stored[0].2.timeIntervalSince(due)) < 0.000_001, "microseconds kept")
            await listener.stop()
        }
    }

    @Test("a timer with the same dedupe key is scheduled once; cancelling by invoice stops it firing")
    func dedupeAndCancel() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in
            let (added, again, cancelled, due) = try await owner.transaction { connection in
                let added = try TimerStore.schedule(kind: "test", dedupeKey: "once", dueAt: Self.base, accountID: "a", invoiceID: "i",
                                                    payload: .object([:]), now: Self.base, connection)
                let again = try TimerStore.schedule(kind: "test", dedupeKey: "once", dueAt: Self.base, accountID: "a", invoiceID: "i",
                                                    payload: .object([:]), now: Self.base, connection)
                let cancelled = try TimerStore.cancel(kind: "test", invoiceID: "i", now: Self.base, connection)
                return (added, again, cancelled, try TimerStore.claimDue(now: Self.base.addingTimeInterval(60), limit: 10, connection))
            }
            #expect(added && !again)
            #expect(cancelled == ["once"])
            #expect(due.isEmpty)
        }
    }

    @Test("the relay lease has one holder at a time and passes on when it expires")
    func lease() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in
            let results = try await owner.withConnection { connection in
                [try Lease.acquire("relay", holder: "a", seconds: 30, connection),
                 try Lease.acquire("relay", holder: "b", seconds: 30, connection),
                 try Lease.acquire("relay", holder: "a", seconds: 1, connection)]
            }
            #expect(results == [true, false, true], "a takes and renews; b must wait")
            try await Task.sleep(for: .milliseconds(1_200))
            let afterExpiry = try await owner.withConnection { try Lease.acquire("relay", holder: "b", seconds: 30, $0) }
            #expect(afterExpiry, "an expired lease goes to the next instance")
        }
    }

    @Test("outbox rows come out oldest first; a message id is stored once; published rows leave the backlog")
    func outboxOrder() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in
            let (pending, backlog) = try await owner.transaction { connection in
                for index in 0..<5 {
                    let message = OutboundMessage.paymentRetryRequested(retryID: "rty_\(index)", invoiceID: "i", accountID: "a",
                                                                        methodID: "pm", attempt: index + 2, reason: "test", at: Self.base)
                    try Outbox.enqueue(message, at: Self.base, connection)
                    try Outbox.enqueue(message, at: Self.base, connection) // the same decision made twice
                }
                let pending = try Outbox.pending(limit: 10, connection)
                try Outbox.markPublished(pending.prefix(3).map(\.outboxID), at: Self.base, connection)
                return (pending.map(\.messageID), try Outbox.backlog(connection).count)
            }
            #expect(pending == (0..<5).map { "rty_\($0)" })
            #expect(backlog == 2)
        }
    }

    @Test("the scheduler's own statements are planned every round, so no plan made on a new, small table outlives it")
    func schedulerStatementsPlannedEachRound() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in
            // recoupd prepares its statements in its first seconds, when a new database holds a
            // few hundred timers and no statistics: a plan kept from then (a sort over the
            // by-invoice index, or a sequential scan) reads every pending timer once there are a
            // million. The claim, marking fired and the next due time run every round, so they are
            // planned every round, against the table as it is.
            let prepared = try await owner.transaction { connection in
                for index in 0..<10 {
                    try TimerStore.schedule(kind: "test", dedupeKey: "k\(index)", dueAt: Self.base, accountID: "a", invoiceID: "i\(index)",
                                            payload: .object([:]), now: Self.base, connection)
                }
                for _ in 0..<6 {
                    let claimed = try TimerStore.claimDue(now: Self.base, limit: 2, connection)
                    try TimerStore.markFired(claimed.map(\.timerID), at: Self.base, connection)
                    _ = try TimerStore.nextDueAt(connection)
                }
                return try connection.query("SELECT statement FROM pg_prepared_statements").map { try $0.decode(String.self, at: 0) }
            }
            #expect(!prepared.isEmpty, "scheduling is prepared as usual")
            for sql in [TimerStore.claimDueSQL, TimerStore.markFiredSQL, TimerStore.nextDueSQL] {
                #expect(!prepared.contains(sql), "\(sql)")
            }
        }
    }
}

/// A timer whose work keeps failing is pushed back, then given up and audited; it never blocks
/// the timers behind it.
@Suite("Timer runner failures")
struct TimerRunnerFailureTests {
    @Test("a failing timer backs off, is closed after its attempts, and is audited")
    func givesUp() async throws {
        let policyDirectory = TestEnvironment.repositoryRoot.appendingPathComponent("Config").path
        let rules = try PaymentRulesFiles.load(directory: policyDirectory)
        var configured = TimerRunner(clock: .controlled, payments: PaymentReactions(rules: rules, templates: TemplateLibrary()))
        configured.maxAttempts = 3
        let runner = configured
        try await MigrationTests.withMigratedDatabase { owner, _ in
            let start = TimerStoreTests.base
            var now = start
            try await owner.transaction { connection in
                try StoreClock.set(start, connection)
                for key in ["broken_1", "broken_2"] {
                    try TimerStore.schedule(kind: "no.such.kind", dedupeKey: key, dueAt: start, accountID: "a", invoiceID: nil,
                                            payload: .object([:]), now: start, connection)
                }
            }
            var reports: [TimerRunner.Report] = []
            for _ in 0..<3 {
                reports.append(try await owner.transaction { try runner.fireDue(limit: 10, $0) })
                now = now.addingTimeInterval(7_200)  // past any backoff
                let next = now
                try await owner.transaction { try StoreClock.set(next, $0) }
            }
            #expect(reports.map(\.claimed) == [2, 2, 2], "both timers are tried each round: one cannot block the other")
            #expect(reports.map(\.failed) == [2, 2, 2])
            let (closed, audited, afterwards) = try await owner.transaction { connection in
                (try connection.query("""
                    SELECT count(*) FROM recoup.timers WHERE fired_at IS NOT NULL AND attempts = 3 AND last_error LIKE 'no handler%'
                    """).first!.decode(Int.self, at: 0),
                 try connection.query("SELECT count(*) FROM recoup.audit_log WHERE kind = 'timer.failed'").first!.decode(Int.self, at: 0),
                 try runner.fireDue(limit: 10, connection).claimed)
            }
            #expect(closed == 2)
            #expect(audited == 2)
            #expect(afterwards == 0, "given-up timers are not claimed again")
        }
    }

    @Test("a batch fires in one transaction without savepoints; when one timer fails, the batch is fired again isolating each")
    func optimisticThenIsolated() async throws {
        let policyDirectory = TestEnvironment.repositoryRoot.appendingPathComponent("Config").path
        let rules = try PaymentRulesFiles.load(directory: policyDirectory)
        let runner = TimerRunner(clock: .controlled, payments: PaymentReactions(rules: rules, templates: TemplateLibrary()))
        try await MigrationTests.withMigratedDatabase { owner, _ in
            let start = TimerStoreTests.base
            // A retry whose ledger row is gone fires as a no-op: a timer that works.
            func schedule(_ keys: [String], kind: String) async throws {
                _ = try await owner.transaction { connection in
                    try TimerStore.scheduleAll(keys.map { key in
                        TimerSpec(kind: kind, dedupeKey: key, dueAt: start, accountID: "acc_\(key.suffix(1))", invoiceID: "in_\(key)",
                                  payload: .object(["retry_id": .string("gone_\(key)")]))
                    }, now: start, connection)
                }
            }
            try await owner.transaction { try StoreClock.set(start, $0) }
            try await schedule(["good_1", "good_2", "good_3"], kind: "payment.retry")
            let clean = try await runner.fireDue(limit: 10, pool: owner)
            #expect(clean.claimed == 3 && clean.fired == 3 && clean.failed == 0)
            #expect(try await owner.withConnection { connection in
                try connection.query("SELECT count(DISTINCT xmin::text) FROM recoup.timers WHERE fired_at IS NOT NULL").first!.decode(Int.self, at: 0)
            } == 1, "one transaction fired them all")

            try await schedule(["good_4", "good_5"], kind: "payment.retry")
            try await schedule(["broken_6"], kind: "no.such.kind")
            let mixed = try await runner.fireDue(limit: 10, pool: owner)
            #expect(mixed.claimed == 3 && mixed.fired == 2 && mixed.failed == 1)
            let (fired, pushedBack) = try await owner.withConnection { connection in
                (try connection.query("SELECT count(*) FROM recoup.timers WHERE fired_at IS NOT NULL").first!.decode(Int.self, at: 0),
                 try connection.query("SELECT count(*) FROM recoup.timers WHERE dedupe_key = 'broken_6' AND fired_at IS NULL AND attempts = 1")
                    .first!.decode(Int.self, at: 0))
            }
            #expect(fired == 5)
            #expect(pushedBack == 1)
        }
    }

    @Test("the by-invoice timer queries of every plan and firing read an index, not every pending timer")
    func byInvoiceUsesIndex() async throws {
        let plans = try await MigrationTests.plans(seed: """
            INSERT INTO recoup.timers (kind, dedupe_key, due_at, account_id, invoice_id, payload, created_at)
            SELECT 'journey.stage', 'k' || n, now() + n * interval '1 minute', 'a' || (n % 500), 'in_' || n, '{}', now()
              FROM generate_series(1, 5000) n;
            ANALYZE recoup.timers;
            SET enable_seqscan = off;
            """, [
            ("UPDATE recoup.timers SET cancelled_at = now() WHERE kind = 'journey.stage' AND invoice_id = 'in_7' AND fired_at IS NULL AND cancelled_at IS NULL", []),
            ("SELECT payload->>'stage' FROM recoup.timers WHERE kind = 'journey.stage' AND invoice_id = 'in_7' AND due_at <= now() AND fired_at IS NULL AND cancelled_at IS NULL", []),
        ])
        for plan in plans {
            #expect(plan.contains("timers_invoice_kind_idx") && !plan.contains("Seq Scan"), "\(plan)")
        }
    }

    @Test("a claim among thousands of timers tied on one due time reads the batch in index order, with no sort")
    func claimReadsInIndexOrder() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in
            let (plan, claimed) = try await owner.withConnection { connection in
                // A month-start wave: every stage due at the same send hour.
                try connection.executeScript("""
                    INSERT INTO recoup.timers (kind, dedupe_key, due_at, account_id, invoice_id, payload, created_at)
                    SELECT 'journey.stage', 'k' || n, '2027-01-01 09:00+00', 'a' || n, 'in_' || n, '{}', now()
                      FROM generate_series(1, 5000) n;
                    ANALYZE recoup.timers;
                    """)
                let at = Date(timeIntervalSince1970: 1_798_794_000) // 2027-01-01T09:00:00Z
                // One loop's share of two, as recoupd's scheduler claims by default.
                let plan = try connection.explain(TimerStore.claimDueSQL, [at, 200, 2, 0], analyze: true)
                try connection.executeScript("BEGIN")
                let claimed = try TimerStore.claimDue(now: at, limit: 200, connection).map(\.timerID)
                try connection.executeScript("ROLLBACK")
                return (plan, claimed)
            }
            #expect(plan.contains("timers_due_idx") && !plan.contains("Sort") && !plan.contains("Seq Scan"), "\(plan)")
            // The index scan stops after the batch instead of reading the 5,000 tied timers.
            #expect(plan.contains("Index Scan using timers_due_idx on timers") && plan.contains("rows=200 loops=1"), "\(plan)")
            #expect(claimed == claimed.sorted() && claimed.count == 200)
        }
    }

    @Test("with no statistics yet (a new database filling fast), marking fired reads the primary key and the next due time one index entry")
    func plansHoldWithoutStatistics() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in
            let plans = try await owner.withConnection { connection in
                // 5,000 pending timers and never an ANALYZE: PostgreSQL guesses that 0.5 % of
                // rows are NULL in each of fired_at and cancelled_at, so the pending index looks
                // like a handful of rows. Long-lived sessions keep the generic plan made then.
                try connection.executeScript("""
                    ALTER TABLE recoup.timers SET (autovacuum_enabled = false);
                    INSERT INTO recoup.timers (kind, dedupe_key, due_at, account_id, invoice_id, payload, created_at)
                    SELECT 'journey.stage', 'k' || n, '2027-01-01 09:00+00'::timestamptz + n * interval '1 second', 'a' || n, 'in_' || n, '{}', now()
                      FROM generate_series(1, 5000) n;
                    SET plan_cache_mode = force_generic_plan;
                    """)
                try connection.executeScript("PREPARE mark_fired(text, timestamptz) AS " + TimerStore.markFiredSQL)
                let markFired = try connection.explain("EXECUTE mark_fired('{10,20,30}', now())", analyze: true)
                try connection.executeScript("PREPARE next_due AS " + TimerStore.nextDueSQL)
                let nextDue = try connection.explain("EXECUTE next_due", analyze: true)
                return (markFired, nextDue)
            }
            #expect(plans.0.contains("timers_pkey") && !plans.0.contains("timers_due_idx"), "\(plans.0)")
            #expect(plans.1.contains("Limit") && plans.1.contains("timers_due_idx") && plans.1.contains("rows=1 loops=1")
                        && !plans.1.contains("rows=5000"), "\(plans.1)")
        }
    }
}
