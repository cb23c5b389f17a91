import AMQP
import Foundation
import PropertySupport
import RecoupCore
import RecoupWorker
import Testing

/// One generated message for the running daemon, and what must become of it.
struct HostileCase: Sendable {
    enum Fate: Sendable, Equatable, CustomStringConvertible {
        /// A valid event (hostile data or not): processed, one inbox row for its id.
        case processed
        /// Dead-lettered once to its queue's `.dlq` with this `x-recoup-error-class`.
        case deadLettered(String)

        var description: String {
            switch self {
            case .processed: "processed"
            case .deadLettered(let errorClass): "dead-lettered as \(errorClass)"
            }
        }
    }

    /// A column the event must have stored exactly as sent (parameters, never SQL text).
    struct Stored: Sendable {
        let table: String
        let keyColumn: String
        let key: String
        let column: String
        let value: String
    }

    /// AMQP `message_id`, unique per case (the envelope id of processed cases).
    let id: String
    /// The generator's category, named in failures and the summary.
    let kind: String
    let routingKey: String
    let body: [UInt8]
    let fate: Fate
    var stored: [Stored] = []

    /// The inbound queue the routing key leads to (every key used here is bound).
    var queue: RecoupTopology.InboundQueue {
        if routingKey == "payment.failed" { return RecoupTopology.paymentFailures }
        if routingKey.hasPrefix("reply.") { return RecoupTopology.replies }
        return RecoupTopology.invoices
    }
}

/// A seeded generator of malformed and hostile messages whose fate is known by construction:
/// random bytes, mutated samples, deep nesting, bodies near and over the 256 KiB limit, strings
/// over their field's limit, wrong JSON types, invalid UTF-8, unknown types, and SQL- and
/// template-injection strings in names and ids, both in valid events (processed, stored
/// verbatim) and in invalid ones (dead-lettered). Personal-data markers ride in the fields
/// where personal data belongs, so the log can be searched for them.
enum HostilePayloads {
    static let email = "fuzz.private.person@example.org"
    static let phone = "+4915112345678"
    static let replyText = "FUZZ-PRIVATE-REPLY-TEXT-7731 please call me back"
    static let markers = [email, phone, "FUZZ-PRIVATE-REPLY-TEXT-7731"]

    static let injections = [
        "'; DROP TABLE recoup.inbox; --", "\" OR 1=1 --", "Robert'); DROP TABLE recoup.accounts;--",
        "1; SELECT pg_sleep(30); --", "$1 $$ E'\\\\' $tag$ ::text", "' UNION SELECT password FROM pg_shadow --",
        "{{#contact}}{{email}}{{/contact}}", "{{{body}}}", "{{> ../../etc/passwd}}", "{{=<% %>=}}<% name %>",
        "${jndi:ldap://127.0.0.1/a}", "<script>alert(1)</script>", "%s%n%x%d", "\\u0000 not a NUL",
        "../../etc/passwd", "\u{202E}evil\u{200B}name", "Zoë 🧾 東京 naïve", "\\\"escaped\\\"",
    ]

    /// Routing keys bound to each inbound queue (unbound keys would be dropped by the broker).
    static let routingKeys = ["payment.failed", "invoice.created", "invoice.exploded", "account.updated", "payment.succeeded",
                              "crm.signal", "dispute.opened", "collections.promise_recorded", "reply.received", "reply.unknown"]

    typealias Maker = @Sendable (Int, inout SeededGenerator) -> HostileCase

    /// The categories, each listed as often as its share of the cases.
    static let makers: [(String, Int, Maker)] = [
        ("random bytes", 12, randomBytes), ("mutated sample", 20, mutated), ("deep nesting", 6, deepNesting),
        ("over 256 KiB", 1, overLimit), ("near 256 KiB, valid", 1, nearLimit), ("field over its limit", 3, longField),
        ("wrong JSON type", 12, wrongType), ("invalid UTF-8", 8, invalidUTF8), ("unknown type", 8, unknownType),
        ("injection, valid", 12, injectionValid), ("injection, invalid", 8, injectionInvalid),
        ("personal data, invalid", 5, personalInvalid), ("valid envelope, hostile extras", 4, hostileExtras),
    ]

    static func generate(count: Int, seed: UInt64) -> [HostileCase] {
        var random = SeededGenerator(seed: seed)
        let schedule = makers.flatMap { maker in Array(repeating: maker.2, count: maker.1) }
        return (0..<count).map { index in schedule[index % schedule.count](index, &random) }
    }

    // MARK: - Building blocks

    static func id(_ index: Int) -> String { "fz_\(index)" }

    static func pick<T>(_ values: [T], _ random: inout SeededGenerator) -> T { values[Int.random(in: 0..<values.count, using: &random)] }

    /// A CloudEvents envelope as a JSON object.
    static func envelope(_ type: String, id: String, data: [String: Any]) -> [String: Any] {
        ["specversion": "1.0", "id": id, "source": "billing", "type": type, "time": "2026-11-22T10:15:00Z",
         "datacontenttype": "application/json", "data": data]
    }

    static func json(_ object: Any) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// Valid `data` for the types the valid cases use (no payment.failed: its retries are not the point here).
    static func validData(_ type: String, index: Int) -> [String: Any] {
        let account = "fz_acc_\(index)"
        switch type {
        case "account.updated":
            return ["account_id": account, "name": "Fuzz Co \(index)", "contact": ["first_name": "Fuzz", "email": email, "phone": phone],
                    "timezone": "UTC", "currency": "USD", "consents": ["email": true], "version": 1]
        case "invoice.created":
            return ["invoice_id": "fz_in_\(index)", "account_id": account, "number": "INV-\(index)", "currency": "USD",
                    "amount_due_minor": 1_000, "due_date": "2027-01-31", "status": "open", "version": 1]
        case "reply.received":
            return ["reply_id": "fz_rp_\(index)", "account_id": account, "channel": "email", "text": replyText,
                    "received_at": "2026-11-22T10:00:00Z"]
        default:
            return ["account_id": account, "kind": "churn_risk", "priority": "high", "reference": "ref-\(index)", "detail": "detail"]
        }
    }

    static let validTypes = ["account.updated", "invoice.created", "reply.received", "crm.signal"]

    static func valid(_ kind: String, _ index: Int, type: String, data: [String: Any], stored: [HostileCase.Stored] = []) -> HostileCase {
        HostileCase(id: id(index), kind: kind, routingKey: type, body: json(envelope(type, id: id(index), data: data)),
                    fate: .processed, stored: stored)
    }

    static func dead(_ kind: String, _ index: Int, _ errorClass: String, routingKey: String, body: [UInt8]) -> HostileCase {
        HostileCase(id: id(index), kind: kind, routingKey: routingKey, body: body, fate: .deadLettered(errorClass))
    }

    // MARK: - Categories

    /// Random bytes that start with something no JSON document starts with.
    static func randomBytes(_ index: Int, _ random: inout SeededGenerator) -> HostileCase {
        let start: [UInt8] = pick([[0xFF], [0x00], Array("x".utf8), Array("}".utf8), Array("]".utf8), [0xC3], Array("#".utf8)], &random)
        let body = start + ByteMutator.randomBytes(count: Int.random(in: 0...2_000, using: &random), using: &random)
        return dead("random bytes", index, "malformed", routingKey: pick(routingKeys, &random), body: body)
    }

    /// A valid sample damaged at random; the parser is the oracle for the class (its own
    /// tests cover its verdicts), and a sample that survives its damage gets a trailing NUL,
    /// which no JSON reader accepts, so every mutated case is a dead letter.
    static func mutated(_ index: Int, _ random: inout SeededGenerator) -> HostileCase {
        let type = pick(validTypes, &random)
        var body = ByteMutator.mutate(json(envelope(type, id: id(index), data: validData(type, index: index))), using: &random)
        if case .success = EventParser.parse(body) { body.append(0x00) }
        guard case .failure(let rejection) = EventParser.parse(body) else { preconditionFailure("a trailing NUL is never valid") }
        return dead("mutated sample", index, rejection.errorClass.rawValue, routingKey: pick(routingKeys, &random), body: body)
    }

    /// Arrays or objects nested 70 to 5,000 deep inside an otherwise valid event (limit: 64).
    static func deepNesting(_ index: Int, _ random: inout SeededGenerator) -> HostileCase {
        let depth = Int.random(in: 70...5_000, using: &random)
        let objects = random.chance(1, in: 2)
        let deep = objects ? String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
                           : String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let text = #"{"specversion":"1.0","id":"\#(id(index))","source":"billing","type":"crm.signal","data":{"account_id":"fz_acc","kind":"churn_risk","extra":\#(deep)}}"#
        return dead("deep nesting", index, "malformed", routingKey: "crm.signal", body: Array(text.utf8))
    }

    /// A body from one byte to 40 KiB over the limit, valid JSON or garbage.
    static func overLimit(_ index: Int, _ random: inout SeededGenerator) -> HostileCase {
        let size = EventParser.maxBodyBytes + Int.random(in: 1...40_000, using: &random)
        let body: [UInt8]
        if random.chance(1, in: 2) {
            var data = validData("crm.signal", index: index)
            data["padding"] = ""
            let bare = json(envelope("crm.signal", id: id(index), data: data)).count
            data["padding"] = String(repeating: "x", count: size - bare)
            body = json(envelope("crm.signal", id: id(index), data: data))
        } else {
            body = Array(repeating: 0x7B, count: size)
        }
        return dead("over 256 KiB", index, "too_large", routingKey: pick(routingKeys, &random), body: body)
    }

    /// A valid event padded with an unknown field to within 12 KiB of the limit: processed.
    static func nearLimit(_ index: Int, _ random: inout SeededGenerator) -> HostileCase {
        var data = validData("crm.signal", index: index)
        data["padding"] = ""
        let bare = json(envelope("crm.signal", id: id(index), data: data)).count
        data["padding"] = String(repeating: "p", count: EventParser.maxBodyBytes - bare - Int.random(in: 1...12_000, using: &random))
        return valid("near 256 KiB, valid", index, type: "crm.signal", data: data)
    }

    /// A text field one byte to 1 KiB over its own limit (64 KiB for detail and reply text).
    static func longField(_ index: Int, _ random: inout SeededGenerator) -> HostileCase {
        let long = String(repeating: "y", count: 64 * 1024 + Int.random(in: 1...1_024, using: &random))
        let type = pick(["crm.signal", "reply.received"], &random)
        var data = validData(type, index: index)
        data[type == "crm.signal" ? "detail" : "text"] = long
        return dead("field over its limit", index, "semantic", routingKey: type, body: json(envelope(type, id: id(index), data: data)))
    }

    /// Required fields (or the envelope's) with a value of another JSON type.
    static func wrongType(_ index: Int, _ random: inout SeededGenerator) -> HostileCase {
        let cases: [(type: String, field: String, value: Any)] = [
            ("invoice.created", "amount_due_minor", "1000"), ("invoice.created", "account_id", 42), ("invoice.created", "version", "1"),
            ("invoice.created", "status", true), ("account.updated", "version", [1]), ("account.updated", "contact", "Fuzz"),
            ("account.updated", "consents", ["email": "yes"]), ("reply.received", "text", 7), ("reply.received", "account_id", NSNull()),
            ("crm.signal", "kind", ["churn_risk"]), ("crm.signal", "account_id", ["id": "x"]),
        ]
        let chosen = pick(cases, &random)
        var object = envelope(chosen.type, id: id(index), data: validData(chosen.type, index: index))
        if random.chance(1, in: 4) {
            object[pick(["id", "specversion", "type", "data"], &random)] = pick([42, true, ["x"], NSNull()] as [Any], &random)
        } else {
            var data = object["data"] as! [String: Any]
            data[chosen.field] = chosen.value
            object["data"] = data
        }
        return dead("wrong JSON type", index, "schema", routingKey: chosen.type, body: json(object))
    }

    /// Invalid UTF-8 (lone bytes, surrogates, overlong forms, truncated sequences) inside a name.
    static func invalidUTF8(_ index: Int, _ random: inout SeededGenerator) -> HostileCase {
        let sequences: [[UInt8]] = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC0, 0xAF], [0xE2, 0x82], [0x80]]
        var data = validData("account.updated", index: index)
        data["name"] = "BADUTF8HERE"
        let body = json(envelope("account.updated", id: id(index), data: data))
            .replacing(Array("BADUTF8HERE".utf8), with: Array("Fuzz ".utf8) + pick(sequences, &random) + Array(" Co".utf8))
        return dead("invalid UTF-8", index, "malformed", routingKey: "account.updated", body: Array(body))
    }

    /// Types no one defined (some not even shaped like a type name), under every queue's keys.
    static func unknownType(_ index: Int, _ random: inout SeededGenerator) -> HostileCase {
        let type = pick(["invoice.exploded", "payment.refunded", "reply.forwarded", "crm.signal.v2", "Account.Updated",
                         "account.deleted'; DROP TABLE recoup.accounts;--", "collections.{{body}}", "message.requested"], &random)
        let data = validData("crm.signal", index: index)
        return dead("unknown type", index, "unknown_type", routingKey: pick(routingKeys, &random),
                    body: json(envelope(type, id: id(index), data: data)))
    }

    /// An injection string, with the case index in front so each stored value is unique, cut to
    /// the 200 bytes an id may have.
    static func hostile(_ index: Int, _ random: inout SeededGenerator) -> String {
        var text = "\(index) \(pick(injections, &random))"
        while text.utf8.count > 200 { text.removeLast() }
        return text
    }

    /// Injection strings in ids, names, numbers and free text of valid events: processed, and
    /// stored exactly as sent.
    static func injectionValid(_ index: Int, _ random: inout SeededGenerator) -> HostileCase {
        let text = hostile(index, &random)
        let accountID = "fz_acc_" + text
        switch index % 3 {
        case 0:
            var data = validData("account.updated", index: index)
            data["account_id"] = accountID
            data["name"] = text
            data["contact"] = ["first_name": pick(injections, &random), "email": email, "phone": phone]
            return valid("injection, valid", index, type: "account.updated", data: data, stored: [
                .init(table: "accounts", keyColumn: "account_id", key: accountID, column: "name", value: text),
            ])
        case 1:
            var data = validData("invoice.created", index: index)
            let invoiceID = "fz_in_" + text
            data["invoice_id"] = invoiceID
            data["account_id"] = accountID
            data["number"] = text
            return valid("injection, valid", index, type: "invoice.created", data: data, stored: [
                .init(table: "invoices", keyColumn: "invoice_id", key: invoiceID, column: "number", value: text),
                .init(table: "invoices", keyColumn: "invoice_id", key: invoiceID, column: "account_id", value: accountID),
            ])
        default:
            var data = validData("crm.signal", index: index)
            data["account_id"] = accountID
            data["reference"] = text
            data["detail"] = pick(injections, &random) + " " + text
            return valid("injection, valid", index, type: "crm.signal", data: data, stored: [
                .init(table: "crm_signals", keyColumn: "event_id", key: id(index), column: "reference", value: text),
                .init(table: "crm_signals", keyColumn: "event_id", key: id(index), column: "detail", value: data["detail"] as! String),
            ])
        }
    }

    /// Injection strings in events that are invalid for another reason: dead-lettered, not run.
    static func injectionInvalid(_ index: Int, _ random: inout SeededGenerator) -> HostileCase {
        let text = hostile(index, &random)
        var data = validData("invoice.created", index: index)
        data["number"] = text
        data["invoice_id"] = "fz_in_" + text
        switch Int.random(in: 0..<3, using: &random) {
        case 0: data["amount_due_minor"] = -1
        case 1: data["currency"] = "USD" + text
        default: data["account_id"] = "fz_acc\n" + text      // a control character in an id
        }
        return dead("injection, invalid", index, "semantic", routingKey: "invoice.created",
                    body: json(envelope("invoice.created", id: id(index), data: data)))
    }

    /// The personal-data markers in events rejected for another field: the reason must name
    /// the field, never the value, and the log must not carry them.
    static func personalInvalid(_ index: Int, _ random: inout SeededGenerator) -> HostileCase {
        if random.chance(1, in: 2) {
            var data = validData("reply.received", index: index)
            data["channel"] = "carrier-pigeon"
            return dead("personal data, invalid", index, "semantic", routingKey: "reply.received",
                        body: json(envelope("reply.received", id: id(index), data: data)))
        }
        var data = validData("account.updated", index: index)
        data["version"] = -1
        return dead("personal data, invalid", index, "semantic", routingKey: "account.updated",
                    body: json(envelope("account.updated", id: id(index), data: data)))
    }

    /// Valid events with unknown fields the contract says to ignore: nesting up to 50 deep,
    /// hundreds of keys, unknown envelope attributes. Processed.
    static func hostileExtras(_ index: Int, _ random: inout SeededGenerator) -> HostileCase {
        let type = pick(validTypes, &random)
        var data = validData(type, index: index)
        var deep: Any = pick(injections, &random)
        for _ in 0..<Int.random(in: 1...50, using: &random) { deep = [deep] }
        data["x_nested"] = deep
        data["x_keys"] = Dictionary(uniqueKeysWithValues: (0..<Int.random(in: 1...300, using: &random)).map { ("k\($0)", $0) })
        var object = envelope(type, id: id(index), data: data)
        object["x_unknown_attribute"] = pick(injections, &random)
        return HostileCase(id: id(index), kind: "valid envelope, hostile extras", routingKey: type, body: json(object), fate: .processed)
    }
}

/// Thousands of malformed and hostile messages through the broker to the running `recoupd`:
/// it never dies, dead-letters each bad one exactly once with a reason and a class, applies
/// nothing bad, stores hostile-but-valid values verbatim, and keeps personal data out of its log.
@Suite("recoupd fuzzed through the broker, end to end", .serialized)
struct DaemonFuzzTests {
    static let seed: UInt64 = 0xDAE_F022
    static let count = 10_000
    /// Generated once for both tests (it takes seconds in a debug build).
    static let cases = HostilePayloads.generate(count: count, seed: seed)

    @Test("the generator knows each payload's fate: the parser agrees with every case")
    func generatorAgreesWithParser() {
        for hostile in Self.cases {
            let verdict: HostileCase.Fate = switch EventParser.parse(hostile.body) {
            case .success: .processed
            case .failure(let rejection): .deadLettered(rejection.errorClass.rawValue)
            }
            #expect(verdict == hostile.fate, "seed \(Self.seed) \(hostile.id) (\(hostile.kind))")
        }
    }

    @Test("10,000 hostile messages: the daemon lives, each bad one dead-lettered once, nothing bad applied, no personal data logged")
    func flood() async throws {
        let cases = Self.cases
        try await DaemonHarness.with(name: "fuzz") { world in
            try await world.startMigrated()
            let started = ContinuousClock.now
            try await world.publish(cases.map { TestEvent(id: $0.id, routingKey: $0.routingKey, body: $0.body) })
            try await world.publish([TestEvent.accountUpdated("fz_after", version: 1, id: "fz_after")])
            try await world.waitUntil("the valid event after the flood", timeout: .seconds(300)) {
                (try? await world.count("SELECT count(*) FROM recoup.inbox WHERE event_id = 'fz_after'")) == 1
            }
            let dead = try await Self.deadLetters(world, expected: cases.filter { $0.fate != .processed }.count)
            print("daemon fuzz: \(cases.count + 1) published, \(dead.values.map(\.count).reduce(0, +)) dead-lettered in \(ContinuousClock.now - started)")
            #expect(world.isRunning, "recoupd is still the process that was started")
            Self.check(cases, dead: dead)
            try await Self.checkNothingBadApplied(cases, world)

            let (status, _) = try await world.stop()
            #expect(status == 0, "a clean exit after the flood")
            #expect(world.logLines(run: 1).contains { $0.contains("event dead-lettered") })
            let log = world.allLogText
            for marker in HostilePayloads.markers {
                #expect(!log.contains(marker), "the log must not carry \(marker)")
            }
        }
    }

    /// One dead letter as read off a `.dlq`.
    struct Letter {
        let queue: String
        let delivery: AMQPDelivery
    }

    /// Waits until the `.dlq`s hold `expected` messages, then takes them all, by `message_id`.
    static func deadLetters(_ world: DaemonHarness, expected: Int) async throws -> [String: [Letter]] {
        let queues = RecoupTopology.inboundQueues.map(\.deadLetterQueue)
        try await world.waitUntil("\(expected) dead letters", timeout: .seconds(120)) {
            var total = 0
            for queue in queues { total += try await world.admin.messageCount(queue: queue) }
            return total >= expected
        }
        var dead: [String: [Letter]] = [:]
        for queue in queues {
            for delivery in try await world.drain(queue: queue) {
                dead[delivery.properties.messageID ?? "-", default: []].append(Letter(queue: queue, delivery: delivery))
            }
        }
        return dead
    }

    /// Each bad case dead-lettered exactly once, to its queue, with its class and a one-line
    /// reason, body unchanged; no valid case dead-lettered; the totals add up. Prints the
    /// per-class and per-category tables.
    static func check(_ cases: [HostileCase], dead: [String: [Letter]]) {
        let expectedDead = cases.filter { $0.fate != .processed }
        #expect(dead.values.map(\.count).reduce(0, +) == expectedDead.count, "the dead letters add up to what was published")
        #expect(Set(dead.keys).isSubset(of: Set(expectedDead.map(\.id))), "nothing else was dead-lettered")
        var perClass: [String: Int] = [:]
        var processedPerKind: [String: Int] = [:]
        var deadPerKind: [String: Int] = [:]
        for hostile in cases {
            let context: Comment = "seed \(seed) \(hostile.id) (\(hostile.kind), \(hostile.fate))"
            let letters = dead[hostile.id] ?? []
            guard case .deadLettered(let errorClass) = hostile.fate else {
                #expect(letters.isEmpty, context)
                processedPerKind[hostile.kind, default: 0] += 1
                continue
            }
            deadPerKind[hostile.kind, default: 0] += 1
            #expect(letters.count == 1, context)
            guard let letter = letters.first else { continue }
            let headers = letter.delivery.properties.headers
            #expect(letter.queue == hostile.queue.deadLetterQueue, context)
            #expect(headers[DeadLetter.errorClassHeader] == .string(errorClass), context)
            if case .string(let actual)? = headers[DeadLetter.errorClassHeader] { perClass[actual, default: 0] += 1 }
            guard case .string(let reason)? = headers[DeadLetter.errorHeader] else {
                Issue.record("no \(DeadLetter.errorHeader): \(context)")
                continue
            }
            #expect(!reason.isEmpty && !reason.contains(where: \.isNewline), "\(context): \(reason.debugDescription)")
            #expect(letter.delivery.body == hostile.body, "\(context): the body travels unchanged")
        }
        print("daemon fuzz: dead letters per x-recoup-error-class")
        for (errorClass, count) in perClass.sorted(by: { $0.key < $1.key }) {
            print("  \(errorClass.padding(toLength: 20, withPad: " ", startingAt: 0)) \(count)")
        }
        print("daemon fuzz: per category (processed / dead-lettered)")
        for kind in Set(processedPerKind.keys).union(deadPerKind.keys).sorted() {
            print("  \(kind.padding(toLength: 32, withPad: " ", startingAt: 0)) \(processedPerKind[kind, default: 0]) / \(deadPerKind[kind, default: 0])")
        }
    }

    /// One inbox row per valid case (and the event after the flood), and the hostile values of
    /// valid cases stored exactly as sent.
    static func checkNothingBadApplied(_ cases: [HostileCase], _ world: DaemonHarness) async throws {
        let valid = cases.filter { $0.fate == .processed }
        #expect(try await world.count("SELECT count(*) FROM recoup.inbox") == Set(valid.map(\.id)).count + 1)
        for stored in valid.flatMap(\.stored) {
            let values = try await world.query { connection in
                try connection.query("SELECT \(stored.column) FROM recoup.\(stored.table) WHERE \(stored.keyColumn) = $1", [stored.key])
                    .map { try $0.decode(String.self, at: 0) }
            }
            #expect(values == [stored.value], "\(stored.table).\(stored.column) for \(stored.key.debugDescription) is stored verbatim")
        }
    }
}
