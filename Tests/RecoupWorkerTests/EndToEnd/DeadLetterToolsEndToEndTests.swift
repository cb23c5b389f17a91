import AMQP
import Foundation
import Postgres
import RecoupCore
import RecoupWorker
import Testing
import TestSupport

/// `recoupctl dlq` against the real daemon, broker and database: the on-call engineer's loop of
/// look, fix, replay, purge, and a replay killed half way.
@Suite("recoupctl dlq, end to end", .serialized)
struct DeadLetterToolsEndToEndTests {
    static func lines(_ text: String) throws -> [JSONValue] {
        try text.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
    }

    @Test("poisoned, listed, shown, exported; replayed too early it comes back; fixed and replayed it is processed once; purge asks first")
    func poisonFixReplay() async throws {
        try await DaemonHarness.with(name: "dlqtools", extraConfig: """
            processing:
              transient_attempts: 2
              transient_delivery_limit: 2
            """) { world in
            try await world.startMigrated()
            try await world.poisonWrites(toInvoice: "in_poison")
            try await world.publish([
                TestEvent.accountUpdated("acc_p", version: 1, id: "evt_acc"),
                TestEvent.invoiceCreated("in_poison", account: "acc_p", id: "evt_poison"),
                .raw(Array("{ not json".utf8), routingKey: "invoice.created", id: "evt_garbled"),
            ])
            try await world.waitUntil("both dead letters") { try await world.admin.messageCount(queue: "recoup.invoices.dlq") == 2 }

            // list: one line per dead letter, with its class; JSON without bodies.
            let listed = try await world.recoupctl(["dlq", "list", "--json"])
            #expect(listed.status == 0, "\(listed.err)")
            let summaries = try Self.lines(listed.out)
            #expect(Set(summaries.compactMap { $0["message_id"]?.stringValue }) == ["evt_poison", "evt_garbled"])
            let poisoned = summaries.first { $0["message_id"]?.stringValue == "evt_poison" }
            #expect(poisoned?["error_class"]?.stringValue == "transient_exhausted")
            #expect(poisoned?["event_type"]?.stringValue == "invoice.created")
            #expect(poisoned?["delivery_count"]?.int64Value == 2)
            #expect(poisoned?["body"] == nil)
            let table = try await world.recoupctl(["dlq", "list", "--queue", "invoices"])
            #expect(table.out.contains("malformed") && table.out.contains("transient_exhausted"))
            #expect(table.out.contains("recoup.invoices.dlq: 2"), "listing takes nothing away: \(table.out)")

            // show: the whole message.
            let shown = try await world.recoupctl(["dlq", "show", "evt_poison"])
            let whole = try JSONParser.parse(Array(shown.out.utf8))
            #expect(whole["headers"]?["x-recoup-error-class"]?.stringValue == "transient_exhausted")
            #expect(whole["body"]?.stringValue?.contains("in_poison") == true)
            #expect(try await world.recoupctl(["dlq", "show", "evt_nowhere"]).status != 0)

            // export: to a private file, nothing taken.
            let exportPath = world.directory.appendingPathComponent("dlq.jsonl").path
            #expect(try await world.recoupctl(["dlq", "export", "--output", exportPath]).status == 0)
            let exported = try Self.lines(try String(contentsOfFile: exportPath, encoding: .utf8))
            #expect(exported.count == 2)
            let mode = try FileManager.default.attributesOfItem(atPath: exportPath)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(try await world.admin.messageCount(queue: "recoup.invoices.dlq") == 2)

            // Replayed before the fix: it fails again and comes back, its replay counted.
            let early = try await world.recoupctl(["dlq", "replay", "--id", "evt_poison", "--operator", "oncall-test"])
            #expect(early.status == 0 && early.out.contains("1 replayed"), "\(early.out) \(early.err)")
            try await world.waitUntil("the early replay back in the .dlq", timeout: .seconds(60)) {
                let again = try Self.lines(try await world.recoupctl(["dlq", "list", "--json", "--id", "evt_poison"]).out)
                return again.first?["replays"]?.int64Value == 1
            }

            // The fix, then the replay: processed once.
            try await world.curePoison()
            #expect(try await world.recoupctl(["dlq", "replay", "--queue", "invoices"]).status != 0, "replay without a selection needs --all")
            let dry = try await world.recoupctl(["dlq", "replay", "--class", "transient_exhausted", "--dry-run"])
            #expect(dry.out.contains("1 would be replayed"), "\(dry.out)")
            let replay = try await world.recoupctl(["dlq", "replay", "--class", "transient_exhausted", "--operator", "oncall-test"])
            #expect(replay.status == 0 && replay.out.contains("1 replayed"), "\(replay.out) \(replay.err)")
            try await world.waitUntil("the replayed event processed") {
                try await world.count("SELECT count(*) FROM recoup.inbox WHERE event_id = 'evt_poison'") == 1
            }
            #expect(try await world.count("SELECT count(*) FROM recoup.invoices WHERE invoice_id = 'in_poison'") == 1)
            #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE event_id = 'evt_poison' AND kind LIKE 'event.%'") == 1)
            #expect(try await world.count("""
                SELECT count(*) FROM recoup.audit_log WHERE kind = 'dlq.replayed' AND event_id = 'evt_poison'
                   AND account_id = 'acc_p' AND detail->>'operator' = 'oncall-test' AND detail->>'error_class' = 'transient_exhausted'
                """) == 2, "the early replay and the good one are both on record")
            #expect(try await world.admin.messageCount(queue: "recoup.invoices.dlq") == 1, "the garbled one stays")

            // Purge: refused without confirmation when nobody can be asked; then done and audited.
            let refused = try await world.recoupctl(["dlq", "purge", "--class", "malformed"])
            #expect(refused.status != 0 && refused.err.contains("--yes"), "\(refused.err)")
            #expect(try await world.admin.messageCount(queue: "recoup.invoices.dlq") == 1)
            let purged = try await world.recoupctl(["dlq", "purge", "--class", "malformed", "--yes"])
            #expect(purged.out.contains("1 purged"), "\(purged.out) \(purged.err)")
            #expect(try await world.admin.messageCount(queue: "recoup.invoices.dlq") == 0)
            #expect(try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'dlq.purged' AND event_id = 'evt_garbled'") == 1)
            // Replays and purges are in the chained trail like everything else.
            let verified = try await world.recoupctl(["audit", "verify"])
            #expect(verified.status == 0, "\(verified.out) \(verified.err)")
            try await world.stop()
        }
    }

    @Test("whatever list, show and export looked at is back in its .dlq when they exit, for the next command to find")
    func browsedMessagesAreBackOnExit() async throws {
        try await DaemonHarness.with(name: "dlqback") { world in
            let now = Date()
            let deadLetters = (0..<2000).map { index in
                var properties = AMQPProperties(contentType: "application/cloudevents+json", messageID: "evt_back_\(index)")
                properties.persistent = true
                let delivery = AMQPDelivery(body: Array("{}".utf8), exchange: RecoupTopology.inboundExchange, routingKey: "invoice.created",
                                            deliveryTag: 1, redelivered: false, properties: properties, consumerGeneration: 0)
                return DeadLetter.message(for: delivery, from: RecoupTopology.invoices, errorClass: .malformed,
                                          reason: "not an event", at: now)
            }
            try await world.publisher.publish(deadLetters)
            try await world.waitUntil("the dead letters queued") {
                try await world.admin.messageCount(queue: "recoup.invoices.dlq") == deadLetters.count
            }
            // The broker puts back a closed connection's unacked messages in its own time; a
            // command run straight after must still find all of them ready.
            for command in [["dlq", "list", "--json"], ["dlq", "export"], ["dlq", "show", "evt_back_199"],
                            ["dlq", "list", "--json"], ["dlq", "export"]] {
                let ran = try await world.recoupctl(command)
                #expect(ran.status == 0, "\(command): \(ran.err)")
                #expect(try await world.admin.messageCount(queue: "recoup.invoices.dlq") == deadLetters.count,
                        "all ready again once `recoupctl \(command.joined(separator: " "))` exited")
            }
        }
    }

    @Test("a replay of 3,000 dead letters killed half way loses none and duplicates none; run again it finishes")
    func killedMidReplay() async throws {
        try await DaemonHarness.with(name: "dlqkill") { world in
            // Valid events, dead-lettered as recoupd would have after a bad deploy.
            let stream = EventStream.mixed(count: 3_000, accounts: 60, prefix: "q")
            let (events, payments) = (stream.events, stream.paymentsPerInvoice)
            let now = Date()
            let deadLetters = events.map { event in
                var properties = AMQPProperties(contentType: "application/cloudevents+json", messageID: event.id)
                properties.persistent = true
                let delivery = AMQPDelivery(body: event.body, exchange: RecoupTopology.inboundExchange, routingKey: event.routingKey,
                                            deliveryTag: 1, redelivered: false, properties: properties, consumerGeneration: 0)
                return DeadLetter.message(for: delivery, from: RecoupTopology.invoices, errorClass: .transientExhausted,
                                          reason: "processing failed on 5 deliveries; last error: a bad deploy", at: now)
            }
            for start in stride(from: 0, to: deadLetters.count, by: 500) {
                try await world.publisher.publish(Array(deadLetters[start..<min(start + 500, deadLetters.count)]))
            }
            try await world.waitUntil("the dead letters queued") {
                try await world.admin.messageCount(queue: "recoup.invoices.dlq") == events.count
            }
            try await world.startMigrated()

            let replay = Process()
            replay.executableURL = DaemonHarness.binDirectory.appendingPathComponent("recoupctl")
            replay.arguments = ["dlq", "replay", "--all", "--queue", "invoices", "--config", world.configPath]
            replay.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RECOUP_") }
            replay.standardOutput = FileHandle.nullDevice
            try replay.run()
            try await world.waitUntil("a tenth replayed", timeout: .seconds(120)) {
                try await world.count("SELECT count(*) FROM recoup.audit_log WHERE kind = 'dlq.replayed'") >= 300
            }
            kill(replay.processIdentifier, SIGKILL)
            replay.waitUntilExit()
            // The broker returns the killed command's unacked messages in its own time.
            try await world.waitUntil("the killed replay's messages back in the .dlq") {
                try await world.queueFigures("messages_unacknowledged")["recoup.invoices.dlq"] == 0
            }

            // Every event is in the .dlq still, or was replayed (and so will be processed), or both.
            let replayedIDs = Set(try await world.query { connection in
                try connection.query("SELECT event_id FROM recoup.audit_log WHERE kind = 'dlq.replayed'").map { try $0.decode(String.self, at: 0) }
            })
            try await world.waitUntil("the daemon to connect") { try await world.adminGET("/readyz").status == 200 }
            let leftIDs = Set(try Self.lines(try await world.recoupctl(["dlq", "export", "--queue", "invoices"]).out)
                .compactMap { $0["message_id"]?.stringValue })
            #expect(replayedIDs.count < events.count, "the kill should land mid-replay")
            #expect(replayedIDs.union(leftIDs) == Set(events.map(\.id)), "no event is lost")
            let inBoth = replayedIDs.intersection(leftIDs).count
            print("killed mid-replay: \(replayedIDs.count) replayed, \(leftIDs.count) left in the .dlq, \(inBoth) in both (replayed again below, absorbed by the inbox)")

            let rerun = try await world.recoupctl(["dlq", "replay", "--all", "--queue", "invoices"])
            #expect(rerun.status == 0, "\(rerun.err)")
            try await world.waitForInbox(events.count, timeout: .seconds(180))
            try await world.expectExactlyOnce(count: events.count, payments: payments)
            try await world.stop()
        }
    }
}
