import AMQP
import Foundation
import Logging
import Postgres
import RecoupCore
import Synchronization

/// The end-to-end benchmark of issue 7 (`recoupctl bench run`): against a running recoupd on the
/// same configuration, it measures the two ceilings first, then publishes a `BenchmarkMix` burst
/// and watches the inbox fill and the outbound messages come out, with recoupd's memory.
public enum EndToEndBenchmark {
    /// What to run.
    public struct Options: Sendable {
        public var invoices: Int
        public var accounts: Int
        /// Events per second to publish at; 0 publishes as fast as the broker confirms.
        public var rate: Double
        /// Event transactions for the PostgreSQL ceiling; 0 skips it.
        public var ceilingEvents: Int
        /// Messages for the relay ceiling; 0 skips it.
        public var relayMessages: Int
        /// Give up when recoupd commits (or publishes) nothing new for this long.
        public var stallTimeout: Duration

        public init(invoices: Int, accounts: Int, rate: Double = 0, ceilingEvents: Int = 5_000, relayMessages: Int = 20_000,
                    stallTimeout: Duration = .seconds(60)) {
            self.invoices = invoices
            self.accounts = accounts
            self.rate = rate
            self.ceilingEvents = ceilingEvents
            self.relayMessages = relayMessages
            self.stallTimeout = stallTimeout
        }
    }

    /// Reads recoupd's `/metrics` page (Prometheus text); the CLI supplies the HTTP client.
    public typealias MetricsReader = @Sendable () async throws -> String

    /// recoupd stopped making progress; says how far the run got.
    public struct Stalled: Error, CustomStringConvertible {
        public let description: String
    }

    /// Events published per batch, and batches awaiting their confirms at once when bursting
    /// (paced publishing sends small batches and lets more of them wait).
    static let batchSize = 500
    static let burstWindow = 4
    static let pacedWindow = 64

    /// Runs the benchmark. `metrics` nil leaves memory unmeasured; otherwise it must answer at
    /// once (the check that recoupd is up). Writes real rows and messages: use a bench database.
    public static func run(_ options: Options, configuration: RecoupConfiguration, policy: LoadedPolicy, logger: Logger,
                           metrics: MetricsReader?) async throws -> EndToEndReport {
        var memory = ResidentMemory(read: metrics)
        try await memory.sample()
        // The ceilings first, while the daemon idles, so neither competes with the burst.
        let postgresCeiling = options.ceilingEvents > 0
            ? try await CeilingBenchmarks.postgres(events: options.ceilingEvents, configuration: configuration, policy: policy,
                                                   logger: logger)
            : nil
        let relayCeiling = options.relayMessages > 0
            ? try await CeilingBenchmarks.amqpRelay(messages: options.relayMessages, configuration: configuration, logger: logger)
            : nil

        let runID = "run" + String(UUID().uuidString.prefix(8)).lowercased()
        let mix = BenchmarkMix(invoices: options.invoices, accounts: options.accounts, runID: runID)
        let amqp = try configuration.amqpConfiguration(connectionName: "recoupctl-bench-run")
        let observer = OutboundObserver(queue: "recoup.bench.observe.\(runID)", accountPrefix: "bench_\(runID)_")
        // Bound before the first publish, so no outbound message of the run goes unseen.
        let admin = AMQPAdmin(configuration: amqp, logger: logger)
        try await using(admin, close: { await $0.close() }) { try await $0.declare(observer.topology) }

        let clients = Clients(
            consumer: AMQPConsumer(configuration: amqp, queue: observer.queue, prefetch: 1_000, topology: observer.topology,
                                   logger: logger),
            publisher: AMQPPublisher(configuration: amqp, topology: RecoupTopology.topology, logger: logger))
        let burst = Burst(mix: mix, runID: runID, rate: options.rate, stallTimeout: options.stallTimeout, observer: observer)
        let measured = try await configuration.withCommandPool(applicationName: "recoupctl-bench-run", logger: logger) { pool in
            try await using(clients, close: { await $0.close() }) { clients in
                try await burst.measure(clients: clients, pool: pool, memory: memory)
            }
        }
        let seen = observer.snapshot
        let latencies = seen.causes.compactMap { cause in measured.sentAt[cause.eventID].map { cause.receivedAt - $0 } }
        let started = try await configuration.withCommandPool(applicationName: "recoupctl-bench-run", logger: logger) { pool in
            try await recordingStarted(Set(seen.causes.map(\.eventID)), pool: pool)
        }
        let split = LatencySplit(seen.causes.compactMap { cause in
            measured.sentAt[cause.eventID].map {
                LatencySplit.Sample(sent: $0, received: cause.receivedAt, recordingStarted: started[cause.eventID])
            }
        }, origin: measured.origin, originDate: measured.originDate)
        return EndToEndReport(
            runID: runID, invoices: options.invoices, accounts: max(1, min(options.accounts, options.invoices)),
            eventsByType: mix.events.reduce(into: [:]) { $0[$1.type, default: 0] += 1 }, rate: options.rate,
            published: .init(name: "published", operations: mix.events.count, seconds: measured.confirmedAfter.seconds),
            committed: .init(name: "committed", operations: mix.events.count, seconds: measured.committedAfter.seconds),
            steadyPerSecond: measured.timeline.steadyRate(total: mix.events.count),
            outbound: .init(name: "outbound", operations: seen.count, seconds: seen.lastReceipt.map { ($0 - measured.origin).seconds } ?? 0),
            outboundByRoutingKey: seen.byRoutingKey, latency: LatencySummary(latencies),
            latencySplit: split,
            residentBytesAtEnd: measured.memory.last, residentBytesPeak: measured.memory.peak, residentSamples: measured.memory.samples,
            pollSeconds: measured.committedAfter.seconds / Double(max(1, measured.timeline.points.count - 1)),
            postgresCeiling: postgresCeiling, relayCeiling: relayCeiling)
    }

    /// When recoupd began recording each of `eventIDs` (`inbox.processed_at`: wall time at the
    /// start of the event's work in its transaction), read in chunks.
    static func recordingStarted(_ eventIDs: Set<String>, pool: PostgresPool) async throws -> [String: Date] {
        var started: [String: Date] = [:]
        let ids = Array(eventIDs)
        for chunk in stride(from: 0, to: ids.count, by: 1_000).map({ Array(ids[$0..<min($0 + 1_000, ids.count)]) }) {
            let rows = try await pool.withConnection { connection in
                try connection.query("SELECT event_id, processed_at FROM recoup.inbox WHERE event_id = ANY($1::text[])",
                                     ["{" + chunk.map { "\"\($0)\"" }.joined(separator: ",") + "}"])
                    .map { (try $0.decode(String.self, at: 0), try $0.decode(Date.self, at: 1)) }
            }
            for (id, date) in rows { started[id] = date }
        }
        return started
    }

    /// The run's broker connections: one consuming the observer queue, one publishing the burst.
    struct Clients: Sendable {
        let consumer: AMQPConsumer
        let publisher: AMQPPublisher

        func close() async {
            await consumer.close()
            await publisher.close()
        }
    }

    /// What the measured part of the run found, times from `origin` (the first publish).
    struct Measured: Sendable {
        let origin: ContinuousClock.Instant
        /// Wall time at `origin`, to place the database's timestamps on the run's clock.
        let originDate: Date
        let sentAt: [String: ContinuousClock.Instant]
        let confirmedAfter: Duration
        let committedAfter: Duration
        let timeline: CommitTimeline
        let memory: ResidentMemory
    }
}

/// recoupd's `process_resident_memory_bytes`, sampled: the latest value, the peak, how many.
struct ResidentMemory: Sendable {
    let read: EndToEndBenchmark.MetricsReader?
    private(set) var last: Double?
    private(set) var peak: Double?
    private(set) var samples = 0
    private(set) var sampledAt: ContinuousClock.Instant?

    init(read: EndToEndBenchmark.MetricsReader?) {
        self.read = read
    }

    /// Reads the metrics page once (nothing without a reader); throws if it cannot.
    mutating func sample() async throws {
        guard let read else { return }
        sampledAt = .now
        note(try await read())
    }

    /// Takes the memory figure from a metrics page read for something else.
    mutating func note(_ page: String) {
        sampledAt = .now
        guard let bytes = Self.parse(page) else { return }
        last = bytes
        peak = max(peak ?? bytes, bytes)
        samples += 1
    }

    /// Samples if a second has passed since the last try; a failed read is skipped (a daemon
    /// that died shows up as a stall instead).
    mutating func sampleIfDue() async {
        guard read != nil, sampledAt.map({ .now - $0 >= .seconds(1) }) ?? true else { return }
        try? await sample()
    }

    /// Deliveries recoupd has finished with (`recoup_events_total` over every type and outcome
    /// but `retry`, which goes back to the queue): committed, or dead-lettered.
    static func handledEvents(_ page: String) -> Double {
        let name = "recoup_events_total{"
        return page.split(separator: "\n").reduce(0) { sum, line in
            guard line.hasPrefix(name), !line.contains("outcome=\"retry\""), let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { return sum }
            return sum + value
        }
    }

    /// The unlabelled `process_resident_memory_bytes` sample of a Prometheus text page.
    static func parse(_ page: String) -> Double? {
        let name = "process_resident_memory_bytes"
        for line in page.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1).split(separator: " ").first ?? "")
        }
        return nil
    }
}
