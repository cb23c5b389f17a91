import Foundation
import Postgres
import PropertySupport
@testable import RecoupConfig
import RecoupCore
import Testing
import TestSupport
@testable import RecoupStore

/// The journey's guards over random event histories, through the real recorder, timer runner
/// and database with the shipped policy: whatever happens (payments, voids, disputes opened and
/// resolved, promises, consent changes, short payments, replies that dispute, promise or text
/// STOP, in any time zone), no customer message
/// breaks consent, quiet hours, a cap or a pause, and a paid, voided or disputed invoice never
/// gets a reminder. The truth the messages are checked against is kept here, from the events
/// as generated, not read back from the database.
@Suite("Journey guards over random histories")
struct JourneyPropertyTests {
    static let directory = TestEnvironment.repositoryRoot.appendingPathComponent("Config").path
    static let reactions: Reactions = {
        do {
            let (journey, segmentation) = try CadenceFiles.load(directory: directory)
            let contact = try CadenceFiles.loadContact(directory: directory)
            let templates = try TemplateFiles.load(directory: directory)
            let journeys = JourneyReactions(journey: journey, segmentation: segmentation,
                                            pauses: try CadenceFiles.loadPauses(directory: directory), contact: contact, templates: templates)
            return Reactions(
                payments: PaymentReactions(rules: try PaymentRulesFiles.load(directory: directory), templates: templates, contact: contact),
                journeys: journeys,
                replies: ReplyReactions(escalation: try CadenceFiles.loadEscalations(directory: directory), journeys: journeys))
        } catch { fatalError("\(error)") }
    }()
    static let contact = reactions.journeys!.contact
    static let grace = reactions.journeys!.pauses.promiseGraceDays

    /// What the generator did to one account, in clock order.
    struct Truth {
        var timeZone: TimeZone
        /// (from, consents) in force from that moment.
        var consents: [(Date, Consents)] = []
        /// Invoice -> the moment it was paid in full or voided.
        var closed: [String: Date] = [:]
        /// Invoice -> dispute intervals (end nil: still open).
        var disputes: [String: [(Date, Date?)]] = [:]
        /// Invoice -> (recorded at, promised local date).
        var promises: [String: [(Date, LocalDate)]] = [:]
        /// Invoice -> holds put by a disputing reply (end: the outcome that released it, nil: still held).
        var replyHolds: [String: [(Date, Date?)]] = [:]
        /// When the customer texted STOP: SMS consent is off from then on, whatever the account says.
        var smsStoppedAt: Date?

        /// The consents a message created at `time` was held to. A change recorded at the same
        /// instant came after it: timers due then fire before the step's event is recorded.
        func consents(at time: Date) -> Consents {
            var consents = consents.last { $0.0 < time }?.1 ?? self.consents.first?.1 ?? Consents()
            if let stopped = smsStoppedAt, stopped < time { consents.sms = false }
            return consents
        }

        /// An outcome recorded for the invoice releases its reply hold.
        mutating func release(_ invoice: String, at time: Date) {
            guard let last = replyHolds[invoice]?.last, last.1 == nil else { return }
            replyHolds[invoice]![replyHolds[invoice]!.count - 1].1 = time
        }
    }

    static func event(_ type: String, _ id: String, _ data: [String: Any]) -> ParsedEvent {
        let json = String(decoding: try! JSONSerialization.data(withJSONObject: data, options: [.sortedKeys]), as: UTF8.self)
        return EventRecorderTests.event(type, id: id, json)
    }

    static func iso(_ date: Date) -> String { Timestamps.format(date) }

    static func accountEvent(_ id: String, account: String, zone: TimeZone, arr: Int, consents: Consents, tags: [String],
                             version: Int) -> ParsedEvent {
        event("account.updated", id, [
            "account_id": account, "name": "Example", "timezone": zone.identifier, "currency": "USD", "arr_minor": arr,
            "contact": ["first_name": "Sam", "email": "ap@example.test", "phone": "+15555550100"],
            "consents": ["email": consents.email, "sms": consents.sms, "in_app": consents.inApp], "tags": tags, "version": version,
        ])
    }

    /// The database, the real recorder and timer runner, and the controlled clock they share.
    final class World {
        let owner: PostgresPool
        let recorder: EventRecorder
        let runner: TimerRunner
        /// Each timer in a savepoint with its own reads, or the batch with its facts read once.
        let isolating: Bool
        private(set) var clock: Date
        private var sequence = 0

        init(owner: PostgresPool, reactions: Reactions, clock: Date, isolating: Bool) {
            self.owner = owner
            self.isolating = isolating
            let holder = ReactionsHolder(reactions)
            recorder = EventRecorder(clock: .controlled, holder: holder)
            runner = TimerRunner(clock: .controlled, holder: holder)
            self.clock = clock
        }

        func nextID() -> String {
            sequence += 1
            return "e\(sequence)"
        }

        func record(_ event: ParsedEvent) async throws {
            let recorder = self.recorder
            _ = try await owner.transaction { try recorder.record(event, queue: "q", connection: $0) }
        }

        /// Moves the clock and fires every timer due by then.
        func advance(to time: Date) async throws {
            clock = time
            let runner = self.runner, isolating = self.isolating
            try await owner.transaction { try StoreClock.set(time, $0) }
            while try await owner.transaction({ try runner.fireDue(limit: 25, isolating: isolating, $0) }).claimed > 0 {}
        }
    }

    @Test("no message breaks consent (a STOP included), quiet hours, caps or pauses, and settled or disputed invoices get none (24 random histories)")
    func randomHistories() async throws {
        try await MigrationTests.withMigratedDatabase { owner, _ in _ = try await Self.simulateAndCheck(owner, isolating: true) }
    }

    @Test("a batch fired with its facts read once decides exactly as its timers fired one by one, each reading its own")
    func batchFactsDecideAsOneByOne() async throws {
        var outcomes: [[String]] = []
        for isolating in [true, false] {
            try await MigrationTests.withMigratedDatabase { owner, _ in
                outcomes.append(try await Self.simulateAndCheck(owner, isolating: isolating))
            }
        }
        #expect(outcomes[0].count > 100, "enough decisions to compare (\(outcomes[0].count))")
        #expect(outcomes[0] == outcomes[1], "first difference: \(zip(outcomes[0], outcomes[1]).first { $0 != $1 }.map { "\($0) / \($1)" } ?? "in length")")
    }

    /// Every decision the histories left, in a form two runs can be compared by: audit rows,
    /// outbox messages and contact-log rows in the order they were written, without their ids.
    static func decisions(_ owner: PostgresPool) async throws -> [String] {
        try await owner.withConnection { connection in
            try [
                """
                SELECT 'audit ' || coalesce(account_id, '') || ' ' || coalesce(invoice_id, '') || ' ' || kind || ' ' ||
                       coalesce(rule, '') || ' ' || occurred_at::text || ' ' || detail::text FROM recoup.audit_log ORDER BY audit_id
                """,
                """
                SELECT 'outbox ' || message_id || ' ' || coalesce(account_id, '') || ' ' || routing_key || ' ' ||
                       created_at::text || ' ' || convert_from(body, 'UTF8') FROM recoup.outbox ORDER BY outbox_id
                """,
                """
                SELECT 'contact ' || account_id || ' ' || channel || ' ' || touch_id || ' ' || message_id || ' ' ||
                       sent_at::text FROM recoup.contact_log ORDER BY contact_id
                """,
            ].flatMap { sql in try connection.query(sql).map { try $0.decode(String.self, at: 0) } }
        }
    }

    /// Runs the histories against a migrated database, checks every message queued, and returns
    /// the decisions made (`decisions`).
    static func simulateAndCheck(_ owner: PostgresPool, isolating: Bool) async throws -> [String] {
        var random = SeededGenerator(seed: 2026_12_02_04)
        let zones = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata"].map { TimeZone(identifier: $0)! }
        var truths: [String: Truth] = [:]

        let world = World(owner: owner, reactions: Self.reactions, clock: Timestamp.parse("2027-01-04T06:00:00Z")!,
                          isolating: isolating)
        try await world.advance(to: world.clock)

        for history in 0..<24 {
            let account = "acc_p\(history)"
            let zone = zones.randomElement(using: &random)!
            var truth = Truth(timeZone: zone)
            var consents = Consents(email: random.chance(9, in: 10), sms: random.chance(1, in: 2), inApp: random.chance(3, in: 4))
            let arr = [1_000_000, 3_000_000, 30_000_000].randomElement(using: &random)!
            let tags = random.chance(1, in: 3) ? ["pre_due_reminders"] : []
            var version = 1
            try await world.record(Self.accountEvent(world.nextID(), account: account, zone: zone, arr: arr, consents: consents,
                                                     tags: tags, version: version))
            truth.consents.append((world.clock, consents))

            let start = world.clock
            let invoices = (0..<Int.random(in: 1...3, using: &random)).map { "in_p\(history)_\($0)" }
            var balances: [String: Int] = [:]
            for invoice in invoices {
                let due = LocalDate(start, in: zone).daysSinceEpoch + Int.random(in: -9...12, using: &random)
                balances[invoice] = 50_000
                try await world.record(Self.event("invoice.created", world.nextID(), [
                    "invoice_id": invoice, "account_id": account, "number": "N-\(invoice)", "currency": "USD",
                    "amount_due_minor": 50_000, "amount_paid_minor": 0, "due_date": LocalDate(daysSinceEpoch: due).description,
                    "status": "open", "version": 1,
                ]))
            }

            // Fifty days of random steps, with an event now and then.
            let end = start.addingTimeInterval(50 * 86_400)
            var statusVersion: [String: Int] = [:]
            while world.clock < end {
                try await world.advance(to: world.clock.addingTimeInterval(Double(Int.random(in: 1...30, using: &random)) * 3_600))
                guard random.chance(1, in: 4), let invoice = invoices.randomElement(using: &random),
                      truth.closed[invoice] == nil else { continue }
                let id = world.nextID()
                let clock = world.clock
                switch Int.random(in: 0..<9, using: &random) {
                case 0:
                    statusVersion[invoice, default: 1] += 1
                    try await world.record(Self.event("invoice.paid", id, ["invoice_id": invoice, "account_id": account,
                                                                      "paid_at": Self.iso(clock), "version": statusVersion[invoice]!]))
                    truth.closed[invoice] = clock
                case 1:
                    statusVersion[invoice, default: 1] += 1
                    try await world.record(Self.event("invoice.voided", id, ["invoice_id": invoice, "account_id": account,
                                                                        "version": statusVersion[invoice]!]))
                    truth.closed[invoice] = clock
                case 2:
                    let open = truth.disputes[invoice]?.last.map { $0.1 == nil } ?? false
                    try await world.record(Self.event(open ? "dispute.resolved" : "dispute.opened", id, [
                        "dispute_id": "d_\(invoice)", "invoice_id": invoice, "account_id": account,
                    ].merging(open ? ["outcome": "merchant_won"] : [:]) { first, _ in first }))
                    if open { truth.disputes[invoice]![truth.disputes[invoice]!.count - 1].1 = clock }
                    else { truth.disputes[invoice, default: []].append((clock, nil)) }
                    truth.release(invoice, at: clock)
                case 3:
                    let promised = LocalDate(daysSinceEpoch: LocalDate(clock, in: zone).daysSinceEpoch + Int.random(in: 0...10, using: &random))
                    try await world.record(Self.event("collections.promise_recorded", id, [
                        "invoice_id": invoice, "account_id": account, "promised_date": promised.description,
                    ]))
                    truth.promises[invoice, default: []].append((clock, promised))
                    truth.release(invoice, at: clock)
                case 4:
                    consents = Consents(email: random.chance(4, in: 5), sms: random.chance(1, in: 2), inApp: random.chance(1, in: 2))
                    version += 1
                    try await world.record(Self.accountEvent(id, account: account, zone: zone, arr: arr, consents: consents,
                                                             tags: tags, version: version))
                    truth.consents.append((world.clock, consents))
                case 7:
                    // A reply: an implicit dispute, a promise with a date, or STOP by SMS.
                    let kind = Int.random(in: 0..<3, using: &random)
                    let promised = LocalDate(daysSinceEpoch: LocalDate(clock, in: zone).daysSinceEpoch + Int.random(in: 1...10, using: &random))
                    let (text, channel) = [
                        ("The invoice lists 50 seats but we downgraded to 20 in September.", "email"),
                        ("Thanks for the reminder, we will pay on \(promised).", "email"),
                        ("STOP", "sms"),
                    ][kind]
                    try await world.record(Self.event("reply.received", id, [
                        "reply_id": "rp_\(id)", "account_id": account, "invoice_id": invoice, "channel": channel, "text": text,
                        "received_at": Self.iso(clock),
                    ]))
                    switch kind {
                    case 0: if truth.replyHolds[invoice]?.last.map({ $0.1 != nil }) ?? true { truth.replyHolds[invoice, default: []].append((clock, nil)) }
                    case 1: truth.promises[invoice, default: []].append((clock, promised))
                    default: truth.smsStoppedAt = truth.smsStoppedAt ?? clock
                    }
                default:
                    let amount = Int.random(in: 1_000...30_000, using: &random)
                    let remaining = balances[invoice]! - amount
                    guard remaining > 0 else { continue }
                    balances[invoice] = remaining
                    try await world.record(Self.event("payment.succeeded", id, [
                        "payment_id": "pay_\(id)", "invoice_id": invoice, "account_id": account, "amount_minor": amount,
                        "currency": "USD", "succeeded_at": Self.iso(clock),
                    ]))
                }
            }
            truths[account] = truth
        }
        // Let every timer run out.
        try await world.advance(to: world.clock.addingTimeInterval(120 * 86_400))

        let rows = try await owner.withConnection { connection in
            try connection.query("""
                SELECT o.account_id, o.body, o.created_at, c.touch_id
                  FROM recoup.outbox o JOIN recoup.contact_log c ON c.message_id = o.message_id
                 WHERE o.message_type = 'message.requested' ORDER BY o.outbox_id
                """).map { row in
                (account: try row.decode(String.self, at: 0), body: try row.decode([UInt8].self, at: 1),
                 at: try row.decode(Date.self, at: 2), touch: try row.decode(String.self, at: 3))
            }
        }
        let leftovers = try await owner.withConnection { connection in
            try connection.query("""
                SELECT (SELECT count(*) FROM recoup.timers WHERE fired_at IS NULL AND cancelled_at IS NULL),
                       (SELECT count(*) FROM recoup.audit_log WHERE kind = 'timer.failed'),
                       (SELECT count(*) FROM recoup.outbox WHERE message_type = 'message.requested')
                """).first.map { (try $0.decode(Int.self, at: 0), try $0.decode(Int.self, at: 1), try $0.decode(Int.self, at: 2)) }!
        }
        #expect(leftovers.0 == 0, "every stage was carried out, paused to a date that came, or closed")
        #expect(leftovers.1 == 0, "no timer failed")
        #expect(leftovers.2 == rows.count, "every message is in the contact log")
        #expect(rows.count > 40, "the histories sent enough messages to mean something (\(rows.count))")

        var calendar = Calendar(identifier: .gregorian)
        for (account, messages) in Dictionary(grouping: rows, by: \.account) {
            let truth = try #require(truths[account])
            calendar.timeZone = truth.timeZone
            var perChannelDay: [String: Int] = [:]
            var touches: [String: Date] = [:]
            for message in messages {
                let event = try JSONParser.parse(message.body)
                let data = try #require(event["data"])
                let channel = try #require(data["channel"]?.stringValue.flatMap(Channel.init(rawValue:)))
                let stage = data["stage"]?.stringValue ?? ""
                let covered = data["invoice_ids"]?.arrayValue?.compactMap(\.stringValue) ?? [data["invoice_id"]?.stringValue].compactMap { $0 }
                let at = message.at
                let where_ = "\(account) \(stage) \(channel.rawValue) at \(Self.iso(at))"
                #expect(truth.consents(at: at).allows(channel), "consent: \(where_)")
                let hour = calendar.component(.hour, from: at)
                let weekday = calendar.component(.weekday, from: at)
                if channel == .sms {
                    #expect(Self.contact.smsHours.contains(hour) && weekday != 1 && weekday != 7, "SMS hours: \(where_)")
                } else {
                    #expect(Self.contact.messageHours.contains(hour), "quiet hours: \(where_)")
                }
                let day = "\(channel.rawValue) \(LocalDate(at, in: truth.timeZone))"
                perChannelDay[day, default: 0] += 1
                #expect(perChannelDay[day]! <= Self.contact.perChannelPerDay, "one per channel per day: \(where_)")
                if touches[message.touch] == nil { touches[message.touch] = at }
                let recent = touches.values.filter { $0 > at.addingTimeInterval(-Self.contact.touchWindow) && $0 <= at }
                #expect(recent.count <= Self.contact.touchesPerWindow, "touches per window: \(where_)")
                for invoice in covered {
                    if let closed = truth.closed[invoice] { #expect(at <= closed, "after the invoice was settled: \(invoice) \(where_)") }
                    for (opened, resolved) in truth.disputes[invoice] ?? [] {
                        #expect(!(opened < at && (resolved.map { at < $0 } ?? true)), "during a dispute: \(invoice) \(where_)")
                    }
                    for (held, released) in truth.replyHolds[invoice] ?? [] {
                        #expect(!(held < at && (released.map { at < $0 } ?? true)), "during a disputing reply's hold: \(invoice) \(where_)")
                    }
                    for (recorded, promised) in truth.promises[invoice] ?? [] where recorded < at && stage != "partial_payment" {
                        let resume = LocalDate(daysSinceEpoch: promised.daysSinceEpoch + Self.grace)
                        #expect(LocalDate(at, in: truth.timeZone) >= resume, "during a promise: \(invoice) \(where_)")
                    }
                }
            }
        }
        return try await decisions(owner)
    }
}
