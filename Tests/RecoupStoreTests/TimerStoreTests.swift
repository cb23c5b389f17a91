import Foundation
import Postgres
import RecoupCore
import Testing
import TestSupport
@testable import RecoupStore

/// Timers and the outbox against the real PostgreSQL: what makes them safe with several
/// `recoupd` instances on one database.
@Suite("Timers and outbox")
struct TimerStoreTests {
    static let base = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("two instances claiming at once never get the same due timer, and neither gets one not yet due")
    func skipLocked() async throws {
        try await MigrationTests.withDatabase { owner, _ in
            _ = try await Migrator(logger: MigrationTests.logger).migrate(pool: owner, appRole: "recoup_app")
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

    @Test("a timer with the same dedupe key is scheduled once; cancelling by invoice stops it firing")
    func dedupeAndCancel() async throws {
        try await MigrationTests.withDatabase { owner, _ in
            _ = try await Migrator(logger: MigrationTests.logger).migrate(pool: owner, appRole: "recoup_app")
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
        try await MigrationTests.withDatabase { owner, _ in
            _ = try await Migrator(logger: MigrationTests.logger).migrate(pool: owner, appRole: "recoup_app")
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
        try await MigrationTests.withDatabase { owner, _ in
            _ = try await Migrator(logger: MigrationTests.logger).migrate(pool: owner, appRole: "recoup_app")
            let (pending, backlog) = try await owner.transaction { connection in
                for index in 0..<5 {
                    let message = OutboundMessage.paymentRetryRequested(retryID: "rty_\(index)", invoiceID: "i", accountID: "a",
                                                                        methodID: "pm", attempt: index + 2, reason: "test", at: Self.base)
                    try Outbox.enqueue(message, at: Self.base, connection)
                    try Outbox.enqueue(message, at: Self.base, connection)
                }
                let pending = try Outbox.pending(limit: 10, connection)
                try Outbox.markPublished(pending.prefix(3).map(\.outboxID), at: Self.base, connection)
                return (pending.map(\.messageID), try Outbox.backlog(connection).count)
            }
            #expect(pending == (0..<5).map { "rty_\($0)" })
            #expect(backlog == 2)
        }
    }
}
