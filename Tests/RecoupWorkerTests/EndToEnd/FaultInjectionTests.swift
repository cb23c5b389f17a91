import AMQP
import Foundation
import Postgres
import RecoupWorker
import Testing
import TestSupport

/// Faults of the servers around `recoupd` — the broker restarted while it consumes or while it
/// publishes, the database crashed mid-transaction, a second instance on the same queues killed
/// mid-stream — each in the middle of a 10,000-event stream that makes Recoup publish. Each ends
/// with 0 lost and 0 duplicated in state, audit and outbound messages; the wire redeliveries
/// the contract allows (the same `message_id` again, absorbed by consumers' dedupe) are counted
/// and printed, not hidden.
@Suite("recoupd under broker and database faults, end to end", .serialized)
struct FaultInjectionTests {
    static let eventCount = 10_000
    /// The controlled clock's time: 10:00 UTC, inside every account's contact hours.
    static let now = "2026-12-02T10:00:00Z"
    /// Two lanes per queue keep the daemon busy long enough for the fault to land mid-stream.
    static let throttled = """
        processing:
          lanes: 2
        """

    /// What each event's transaction waits inside the database while the stream runs, so the
    /// stream lasts tens of seconds whatever recoupd's speed: every fault then lands in the
    /// middle of it (a broker takes seconds to stop; a batching recoupd consumes 10,000 events
    /// in about as long). Batches still form: the wait is per event, inside their transaction.
    static let recordingPaceMilliseconds = 5

    /// The stream every test here uses: 10,000 events, 500 accounts' payment failures among them
    /// (500 notices and 500 retry commands to publish).
    static func stream(_ prefix: String) -> EventStream {
        EventStream.publishing(count: eventCount, accounts: 200, failingAccounts: 500, prefix: prefix)
    }

    /// Sets the world up (capture queues, daemon migrated, clock at `now`, the stream's setup
    /// processed), publishes the stream, runs `fault`, then waits for every event and checks
    /// state, audit and outbound for exactly-once. Prints what it counted.
    /// `primarySurvives`: the recoupd `start()` launched must still run at the end (false when
    /// the fault may kill it, and another instance finishes the stream).
    static func run(_ name: String, world: DaemonHarness, stream: EventStream, primarySurvives: Bool = true,
                    before: (DaemonHarness) async throws -> Void = { _ in },
                    fault: (DaemonHarness) async throws -> Void) async throws {
        let started = ContinuousClock.now
        try await world.captureOutbound()
        try await world.startMigrated()
        try await before(world)
        try await world.clock("set", now)
        try await world.publish(stream.setup)
        try await world.waitForProcessed(stream.setup.count, timeout: .seconds(300))
        try await world.paceRecording(milliseconds: Self.recordingPaceMilliseconds)
        try await world.publish(stream.events)

        try await fault(world)

        try await world.waitForProcessed(stream.total, timeout: .seconds(480))
        if primarySurvives { #expect(world.isRunning, "the first recoupd rode the fault out without restarting") }
        let state = try await world.expectExactlyOnce(count: stream.total, payments: stream.paymentsPerInvoice)
        let outbound = try await world.expectOutboundExactlyOnce(notices: stream.expectedNotices, commands: stream.expectedCommands)
        // Wire redeliveries are allowed by CONTRACT.md (consumers dedupe on message_id); this is
        // how many the fault caused, recorded so a change in it is noticed.
        print("fault-suite \(name): \(stream.total) events: \(state); \(outbound); \(ContinuousClock.now - started)")
        if world.isRunning { try await world.stop() }
    }

    /// A world for one fault test (controlled clock, throttled, on `broker` and `postgres` when
    /// given) running `run` with this suite's stream; `fault` gets the world and the stream.
    static func faulted(_ label: String, prefix: String, broker: ScratchBroker? = nil, postgres: ScratchPostgres? = nil,
                        primarySurvives: Bool = true, before: (DaemonHarness) async throws -> Void = { _ in },
                        fault: (DaemonHarness, EventStream) async throws -> Void) async throws {
        try await DaemonHarness.with(name: "f\(prefix)", clock: "controlled", extraConfig: throttled, broker: broker, postgres: postgres) { world in
            let stream = stream(prefix)
            do {
                try await run(label, world: world, stream: stream, primarySurvives: primarySurvives, before: before) {
                    try await fault($0, stream)
                }
            } catch {
                // What the broker held when it went wrong: a stuck consumer and a slow one look alike otherwise.
                let columns = ["name", "messages_ready", "messages_unacknowledged", "consumers"]
                let queues: String? = if let broker {
                    try? await broker.rabbitmqctl(["list_queues"] + columns)
                } else {
                    try? await TestEnvironment.rabbitmqctl(["list_queues", "-p", world.vhost] + columns)
                }
                print("fault-suite \(label) failed; broker queues:\n\(queues ?? "(unavailable)")")
                throw error
            }
        }
    }

    /// Runs `body` with a scratch broker of its own, destroyed afterwards (also on failure).
    static func onScratchBroker(_ name: String, _ body: (ScratchBroker) async throws -> Void) async throws {
        try await withScratchServer({ try await ScratchBroker.start(name: name) }, destroy: { await $0.destroy() }, body)
    }

    /// Waits until `threshold` events are processed and returns the count (the fault lands next).
    @discardableResult
    static func processed(atLeast threshold: Int, _ world: DaemonHarness) async throws -> Int {
        try await world.waitForProcessed(threshold, timeout: .seconds(300))
        return await world.processed()
    }

    @Test("RabbitMQ restarted while recoupd consumes: 0 lost, 0 duplicated")
    func brokerRestartDuringConsume() async throws {
        try await Self.onScratchBroker("fault-consume") { broker in
            try await Self.faulted("broker restart during consume", prefix: "fc", broker: broker) { world, stream in
                try await Self.processed(atLeast: stream.setup.count + 2_000, world)
                try await broker.stop()
                let atStop = await world.processed()
                #expect(atStop < stream.total, "the broker should go away mid-stream (\(atStop) processed)")
                try await broker.startAgain()
            }
        }
    }

    /// The relay is held back (the test holds its lease) until most of the outbox is written,
    /// then let go with every publisher blocked by a memory alarm, so it is stuck in the middle
    /// of publishing a chunk, unconfirmed, when the broker goes away.
    @Test("RabbitMQ restarted while the outbox relay publishes a burst: 0 lost, 0 duplicated, redeliveries counted")
    func brokerRestartDuringPublish() async throws {
        try await Self.onScratchBroker("fault-publish") { broker in
            try await Self.faulted("broker restart during publish", prefix: "fp", broker: broker, before: { world in
                try await world.holdOutboxLease()
            }) { world, stream in
                let expected = stream.expectedNotices + stream.expectedCommands
                try await world.waitUntil("most of the outbox to be written", timeout: .seconds(240)) {
                    (try? await world.count("SELECT count(*) FROM recoup.outbox")) ?? 0 >= expected * 3 / 5
                }
                try await broker.rabbitmqctl("set_vm_memory_high_watermark", "0")
                try await world.releaseOutboxLease()
                try await world.waitUntil("the relay to be blocked mid-publish", timeout: .seconds(60)) {
                    let states = (try? await broker.rabbitmqctl("list_connections", "--no-table-headers", "state")) ?? ""
                    return states.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == "blocked" }
                }
                #expect(try await world.count("SELECT count(*) FROM recoup.outbox WHERE published_at IS NOT NULL") == 0,
                        "nothing confirmed while publishing is blocked")
                #expect(await world.processed() < stream.total, "the broker should go away mid-stream")
                try await broker.stop()
                try await broker.startAgain()        // the alarm is gone with the restart
            }
        }
    }

    @Test("PostgreSQL crashed mid-transaction and restarted: 0 lost, 0 duplicated")
    func postgresCrashMidTransaction() async throws {
        try await withScratchServer({ try await ScratchPostgres.start(name: "fault-pg") }, destroy: { await $0.destroy() }) { server in
            try await Self.faulted("postgres crash mid-transaction", prefix: "fd", postgres: server) { world, stream in
                let before = try await Self.processed(atLeast: stream.setup.count + 2_000, world)
                // Immediate mode kills the server processes: the transactions in flight are cut off.
                try await server.stop(mode: .immediate)
                #expect(before < stream.total, "the crash should land mid-stream (\(before) processed)")
                try await server.startAgain()
                // A lane caught in a transaction holds its delivery; the pool reconnects underneath.
                try await world.waitUntil("the daemon to notice") {
                    let log = world.allLogText
                    return log.contains("database unavailable") || log.contains("postgres unreachable")
                }
                #expect(await world.processed() < stream.total, "still mid-stream after the restart")
            }
        }
    }

    /// The instance that holds the outbox relay's lease is the one killed, whichever it is, so
    /// the other must also take the relay over once the lease expires.
    @Test("two recoupd instances on the same queues and database, the relay's holder SIGKILLed mid-stream: 0 lost, 0 duplicated")
    func twoInstancesOneKilled() async throws {
        var second: Process?
        try await Self.faulted("two instances, one killed", prefix: "ft", primarySurvives: false, before: { world in
            second = try world.startAnother()
        }) { world, stream in
            let other = try #require(second)
            let atStart = try await Self.processed(atLeast: stream.setup.count + 1_000, world)
            let consumers = try await world.consumerCounts()
            for queue in RecoupTopology.inboundQueues.map(\.name) {
                #expect(consumers[queue] == 2, "both instances consume \(queue): \(consumers)")
            }
            try await Self.processed(atLeast: atStart + 2_000, world)
            let holder = try await world.outboxLeaseHolder()
            #expect(holder != nil && [world.processIdentifier, other.processIdentifier].contains(holder), "one instance relays")
            if holder == other.processIdentifier {
                try await world.terminate(other, signal: SIGKILL)
            } else {
                try await world.stop(signal: SIGKILL)
            }
            let atKill = await world.processed()
            print("fault-suite two instances: killed the \(holder == other.processIdentifier ? "second" : "first") instance, the relay's holder, at \(atKill)")
            #expect(atKill < stream.total, "the kill should land mid-stream (\(atKill) processed)")
        }
    }
}
