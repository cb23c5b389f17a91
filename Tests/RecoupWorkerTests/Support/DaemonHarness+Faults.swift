import AMQP
import Foundation
import Postgres
import RecoupCore
import RecoupWorker
import Testing
import TestSupport

/// A stream of inbound events whose final state is known, for the crash and fault tests.
struct EventStream: Sendable {
    /// Events that must be processed before `events` are published (accounts and invoices the
    /// payment failures refer to, so their outcome does not depend on cross-queue order).
    var setup: [TestEvent] = []
    var events: [TestEvent] = []
    /// Sum of the payments each invoice receives.
    var paymentsPerInvoice: [String: Int] = [:]
    /// Payment-failure notices (`message.requested`, stage `payment_failed`) the stream must yield.
    var expectedNotices = 0
    /// `payment.retry.requested` commands the stream must yield.
    var expectedCommands = 0

    var total: Int { setup.count + events.count }

    /// `count` events over `accounts` accounts: account updates with rising versions, invoices
    /// created then updated, and payments, whose final state is known.
    static func mixed(count: Int, accounts: Int, prefix: String) -> EventStream {
        var stream = EventStream()
        var version: [String: Int] = [:]
        var index = 0
        while stream.events.count < count {
            let account = "\(prefix)_acc_\(index % accounts)"
            let invoice = "\(prefix)_in_\(index % (accounts * 3))"
            let id = "\(prefix)_evt_\(index)"
            switch index % 4 {
            case 0:
                version[account, default: 0] += 1
                stream.events.append(.accountUpdated(account, version: version[account]!, id: id))
            case 1:
                version[invoice, default: 0] += 1
                stream.events.append(.invoiceCreated(invoice, account: account, version: version[invoice]!, amount: 10_000 + index, id: id,
                                                     type: version[invoice] == 1 ? "invoice.created" : "invoice.updated"))
            case 2:
                stream.events.append(.make("payment.succeeded", id: id, data: [
                    "payment_id": "\(prefix)_py_\(index)", "invoice_id": invoice, "account_id": account,
                    "amount_minor": 100, "currency": "EUR", "succeeded_at": "2026-11-22T10:00:00Z",
                ]))
                stream.paymentsPerInvoice[invoice, default: 0] += 100
            default:
                stream.events.append(.make("crm.signal", id: id, data: [
                    "account_id": account, "kind": "support_ticket_opened", "priority": "normal",
                ]))
            }
            index += 1
        }
        return stream
    }

    /// `count` events in all that make Recoup publish as well as record: `failingAccounts`
    /// accounts (UTC, email allowed) with two invoices each, set up first; then the `mixed`
    /// stream with two failures per such account spread through it: an expired card (no
    /// backup), which asks the customer at once (one notice), and a stolen card with a backup
    /// method, which tries the backup at once (one retry command). With the controlled clock at
    /// 10:00 UTC nothing else about these accounts is due, so exactly one notice and one
    /// command per failing account must come out.
    static func publishing(count: Int, accounts: Int, failingAccounts: Int, prefix: String) -> EventStream {
        var failures: [TestEvent] = []
        var setup: [TestEvent] = []
        for n in 0..<failingAccounts {
            let account = "\(prefix)_pf_acc_\(n)", expired = "\(prefix)_pf_in_e\(n)", stolen = "\(prefix)_pf_in_s\(n)"
            setup += [.account(account), .invoice(expired, account: account), .invoice(stolen, account: account)]
            failures.append(.paymentFailed("\(prefix)_pfe_\(n)", invoice: expired, account: account, at: "2026-12-02T09:00:00Z",
                                           method: ["id": "pm_\(prefix)_exp_\(n)", "type": "card", "network": "visa"],
                                           code: "expired_card"))
            failures.append(.paymentFailed("\(prefix)_pfs_\(n)", invoice: stolen, account: account, at: "2026-12-02T09:00:00Z",
                                           method: ["id": "pm_\(prefix)_st_\(n)", "type": "card", "network": "visa"],
                                           code: "stolen_card",
                                           backups: [["id": "pm_\(prefix)_bk_\(n)", "type": "card", "network": "mastercard"]]))
        }
        var stream = mixed(count: count - setup.count - failures.count, accounts: accounts, prefix: prefix)
        // Spread the failures evenly, so they are published (and consumed) throughout the stream.
        let stride = max(1, stream.events.count / max(1, failures.count))
        for (n, failure) in failures.enumerated().reversed() {
            stream.events.insert(failure, at: min(stream.events.count, n * stride))
        }
        stream.setup = setup
        stream.expectedNotices = failingAccounts
        stream.expectedCommands = failingAccounts
        return stream
    }
}

/// What an exactly-once check counted: zero and zero when the daemon kept its promise.
struct ExactlyOnceTally: Sendable, CustomStringConvertible {
    /// Event ids with no inbox row (or no `event.*` audit row).
    let lost: Int
    /// Inbox or `event.*` audit rows beyond one per event id.
    let duplicated: Int
    var description: String { "lost \(lost), duplicated \(duplicated)" }
}

/// What an outbound check counted.
struct OutboundTally: Sendable, CustomStringConvertible {
    /// Outbox rows (each a distinct `message_id`).
    let outboxRows: Int
    /// Messages read off the capture queues, redeliveries included.
    let received: Int
    /// Messages that arrived again with a `message_id` already seen: allowed by the contract
    /// (consumers dedupe on `message_id`), e.g. a confirmed chunk republished after the broker
    /// went away before the relay could mark it.
    var wireRedeliveries: Int { received - outboxRows }
    /// Messages per CloudEvents type, counted once per `message_id`.
    let perType: [String: Int]
    var description: String {
        "outbox \(outboxRows), received \(received), wire redeliveries \(wireRedeliveries), per type "
            + perType.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}

extension DaemonHarness {
    /// After a run: exactly one inbox row and one `event.*` audit row per event id, payment sums
    /// that count every payment exactly once, and empty dead-letter queues. Returns what it counted.
    @discardableResult
    func expectExactlyOnce(count: Int, payments: [String: Int]) async throws -> ExactlyOnceTally {
        let inbox = try await self.count("SELECT count(*) FROM recoup.inbox")
        let audited = try await self.count("SELECT count(DISTINCT event_id) FROM recoup.audit_log WHERE kind LIKE 'event.%'")
        let auditRows = try await self.count("SELECT count(*) FROM recoup.audit_log WHERE kind LIKE 'event.%'")
        #expect(inbox == count)
        #expect(audited == count)
        #expect(auditRows == count)
        // Every payment is 100 minor units, so the rows must number the sum over 100.
        #expect(try await self.count("SELECT count(*) FROM recoup.payments") == payments.values.reduce(0, +) / 100)
        let sums = try await query { connection in
            try connection.query("SELECT invoice_id, payments_received_minor FROM recoup.invoices WHERE payments_received_minor > 0")
                .map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
        }
        #expect(Dictionary(uniqueKeysWithValues: sums) == payments)
        for queue in RecoupTopology.inboundQueues.map(\.deadLetterQueue) {
            #expect(try await admin.messageCount(queue: queue) == 0, "\(queue) should be empty")
        }
        return ExactlyOnceTally(lost: max(0, count - min(inbox, audited)),
                                duplicated: max(0, inbox - count) + (auditRows - audited))
    }

    /// After a run that made Recoup publish: waits until the outbox holds `notices`
    /// payment-failure notices and `commands` retry commands and all of it is published, then
    /// reads the capture queues and checks that every outbox row arrived at least once, that
    /// nothing arrived that is not in the outbox, and that no decision (a notice for one invoice
    /// and stage, a retry of one invoice, method and attempt) went out under two message ids.
    func expectOutboundExactlyOnce(notices: Int, commands: Int, timeout: Duration = .seconds(120)) async throws -> OutboundTally {
        try await waitUntil("\(notices) notices and \(commands) commands, all published", timeout: timeout) { [self] in
            let counted = try? await query { connection in
                try connection.query("""
                    SELECT count(*) FILTER (WHERE message_type = 'message.requested'
                                              AND convert_from(body, 'UTF8')::jsonb #>> '{data,stage}' = 'payment_failed'),
                           count(*) FILTER (WHERE message_type = 'payment.retry.requested'),
                           count(*) FILTER (WHERE published_at IS NULL)
                      FROM recoup.outbox
                    """).first.map { (try $0.decode(Int.self, at: 0), try $0.decode(Int.self, at: 1), try $0.decode(Int.self, at: 2)) }
            }
            guard let (queuedNotices, queuedCommands, unpublished) = counted ?? nil else { return false }
            return queuedNotices >= notices && queuedCommands >= commands && unpublished == 0
        }
        let outboxIDs = try await outboxMessageIDs()
        #expect(outboxIDs.count == Set(outboxIDs).count, "outbox message ids are unique")
        let queues = [OutboundCapture.messages, OutboundCapture.commands, OutboundCapture.escalations]
        // Confirmed means enqueued, so everything marked published is in the capture queues by now.
        try await waitUntil("the capture queues to hold \(outboxIDs.count) messages") { [self] in
            var total = 0
            for queue in queues { total += (try? await admin.messageCount(queue: queue)) ?? 0 }
            return total >= outboxIDs.count
        }
        var received: [Published] = []
        for queue in queues { received += try await published(queue) }
        // Rows committed after the first look (a timer that fell due meanwhile) are in the outbox too.
        let outbox = Set(try await outboxMessageIDs())
        let arrived = Set(received.compactMap(\.delivery.properties.messageID))
        #expect(Set(outboxIDs).isSubset(of: arrived), "lost outbound: \(Set(outboxIDs).subtracting(arrived).sorted().prefix(10))")
        #expect(arrived.isSubset(of: outbox), "published without an outbox row: \(arrived.subtracting(outbox).sorted().prefix(10))")

        var firstOfEach: [String: Published] = [:]
        for message in received { if let id = message.delivery.properties.messageID, firstOfEach[id] == nil { firstOfEach[id] = message } }
        var decisions: [String: Set<String>] = [:]
        for (id, message) in firstOfEach { decisions[Self.decisionKey(of: message), default: []].insert(id) }
        let doubled = decisions.filter { $0.value.count > 1 }
        #expect(doubled.isEmpty, "decisions sent under two message ids: \(doubled.prefix(5))")
        let perType = Dictionary(grouping: firstOfEach.values, by: \.type).mapValues(\.count)
        let noticeCount = firstOfEach.values.filter { $0.type == "message.requested" && $0.string("stage") == "payment_failed" }.count
        #expect(noticeCount == notices, "payment-failure notices")
        #expect(perType["payment.retry.requested", default: 0] == commands, "retry commands")
        return OutboundTally(outboxRows: outbox.count, received: received.count, perType: perType)
    }

    private func outboxMessageIDs() async throws -> [String] {
        try await query { connection in
            try connection.query("SELECT message_id FROM recoup.outbox").map { try $0.decode(String.self, at: 0) }
        }
    }

    /// What one outbound message decides, independent of its id: two distinct ids with one key
    /// would be one decision carried out twice.
    static func decisionKey(of message: Published) -> String {
        let subject = message.string("invoice_id") ?? message.string("account_id") ?? "-"
        switch message.type {
        case "message.requested":
            return "message \(subject) \(message.string("stage") ?? "-") \(message.string("channel") ?? "-")"
        case "payment.retry.requested":
            return "retry \(subject) \(message.string("payment_method_id") ?? "-") \(message.data["attempt"]?.int64Value ?? -1)"
        case "escalation.raised":
            return "escalation \(message.data["invoice_ids"]?.serialized ?? subject) \(message.string("rule") ?? "-") \(message.string("owner") ?? "-")"
        default:
            return "\(message.type) \(message.delivery.properties.messageID ?? "-")"
        }
    }

    /// Waits until `count` event ids are processed; a timeout says how many were.
    func waitForProcessed(_ count: Int, timeout: Duration) async throws {
        do {
            try await waitForInbox(count, timeout: timeout)
        } catch let error as HarnessError {
            throw HarnessError("\(await processed()) of \(count) processed: \(error)")
        }
    }

    /// The number of processed event ids (0 while the schema is not there yet or the database
    /// is away).
    func processed() async -> Int {
        (try? await count("SELECT count(*) FROM recoup.inbox")) ?? 0
    }

    /// Sends `signal` to one of the `startAnother()` instances and waits until it has exited.
    func terminate(_ process: Process, signal: Int32 = SIGKILL) async throws {
        kill(process.processIdentifier, signal)
        try await waitUntil("recoupd \(process.processIdentifier) to exit", timeout: .seconds(30)) { !process.isRunning }
    }

    /// The broker's consumer count per queue of this world's vhost (shared local broker only).
    func consumerCounts() async throws -> [String: Int] {
        try await queueFigures("consumers")
    }

    /// One numeric `rabbitmqctl list_queues` column (`consumers`, `messages_unacknowledged`, …)
    /// per queue of this world's vhost (shared local broker only).
    func queueFigures(_ column: String) async throws -> [String: Int] {
        let listing = try await TestEnvironment.rabbitmqctl(["list_queues", "-p", vhost, "--no-table-headers", "name", column])
        return Dictionary(listing.split(separator: "\n").compactMap { line -> (String, Int)? in
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard fields.count == 2, let consumers = Int(fields[1]) else { return nil }
            return (String(fields[0]), consumers)
        }, uniquingKeysWith: { $1 })
    }
}

/// Runs `body` with a server made by `start`, and destroys it afterwards whether `body`
/// succeeded or threw (a scratch server left behind outlives the test run).
func withScratchServer<Server: Sendable>(_ start: () async throws -> Server, destroy: (Server) async -> Void,
                                         _ body: (Server) async throws -> Void) async throws {
    let server = try await start()
    do {
        try await body(server)
    } catch {
        await destroy(server)
        throw error
    }
    await destroy(server)
}

extension DaemonHarness {
    /// The lease the outbox relay must hold to publish (`OutboxRelayService.leaseName`).
    static let outboxRelayLease = "outbox-relay"

    /// Takes the outbox relay's lease away from every recoupd for an hour, so outbox rows pile up
    /// unpublished until `releaseOutboxLease()`.
    func holdOutboxLease() async throws {
        _ = try await query { connection in
            try connection.execute("""
                INSERT INTO recoup.leases (name, holder, expires_at) VALUES ($1, 'fault-test', now() + interval '1 hour')
                ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                """, [Self.outboxRelayLease])
        }
    }

    /// The process id of the recoupd holding the relay's lease (its holder is
    /// `host:pid:nonce`), or nil while no one holds it.
    func outboxLeaseHolder() async throws -> Int32? {
        let holder = try await query { connection in
            try connection.query("SELECT holder FROM recoup.leases WHERE name = $1 AND expires_at > now()", [Self.outboxRelayLease])
                .first.map { try $0.decode(String.self, at: 0) }
        }
        return holder.flatMap { Int32($0.split(separator: ":").dropFirst().first ?? "") }
    }

    /// Gives the lease back: the relay takes it on its next look (within a third of its term).
    func releaseOutboxLease() async throws {
        _ = try await query { connection in
            try connection.execute("DELETE FROM recoup.leases WHERE name = $1 AND holder = 'fault-test'", [Self.outboxRelayLease])
        }
    }
}
