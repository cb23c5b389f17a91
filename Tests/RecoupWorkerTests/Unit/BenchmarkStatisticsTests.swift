import Foundation
import RecoupCore
@testable import RecoupWorker
import Testing

/// The arithmetic behind `recoupctl bench run`'s figures: a wrong percentile or rate would be
/// written into BENCHMARKS.md as if it were measured.
@Suite("end-to-end benchmark statistics")
struct BenchmarkStatisticsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let samples: [Int]
        let p50: Int?
        let p99: Int?
        let max: Int?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no samples", samples: [], p50: nil, p99: nil, max: nil),
        Case(name: "one sample", samples: [7], p50: 7, p99: 7, max: 7),
        Case(name: "two samples", samples: [2, 1], p50: 1, p99: 2, max: 2),
        Case(name: "three samples, the median in the middle", samples: [30, 10, 20], p50: 20, p99: 30, max: 30),
        Case(name: "all equal", samples: [5, 5, 5, 5], p50: 5, p99: 5, max: 5),
        Case(name: "1 to 10", samples: Array((1...10).reversed()), p50: 5, p99: 10, max: 10),
        Case(name: "1 to 100", samples: Array(1...100).shuffled(), p50: 50, p99: 99, max: 100),
        Case(name: "1 to 1000", samples: Array(1...1000).shuffled(), p50: 500, p99: 990, max: 1000),
        Case(name: "one outlier in a hundred", samples: Array(repeating: 10, count: 99) + [900], p50: 10, p99: 10, max: 900),
        Case(name: "two outliers in a hundred", samples: Array(repeating: 10, count: 98) + [800, 900], p50: 10, p99: 800, max: 900),
    ]

    @Test("nearest-rank percentiles", arguments: cases)
    func percentiles(_ example: Case) {
        let summary = LatencySummary(example.samples.map { Duration.milliseconds($0) })
        #expect(summary.count == example.samples.count)
        #expect(summary.p50 == example.p50.map { .milliseconds($0) })
        #expect(summary.p99 == example.p99.map { .milliseconds($0) })
        #expect(summary.max == example.max.map { .milliseconds($0) })
    }

    @Test("a percentile is always one of the samples, and never below a lower one")
    func percentileIsMeasured() {
        let sorted = [3, 8, 13, 21, 34].map { Duration.milliseconds($0) }
        var previous = Duration.zero
        for percent in stride(from: 1.0, through: 100, by: 1) {
            let value = LatencySummary.percentile(percent, ofSorted: sorted)!
            #expect(sorted.contains(value))
            #expect(value >= previous)
            previous = value
        }
        #expect(LatencySummary.percentile(100, ofSorted: sorted) == .milliseconds(34))
    }

    @Test("the steady rate leaves out a slow start and a long tail")
    func steadyRate() throws {
        var timeline = CommitTimeline()
        // Nothing for 2 s, then 100 events/s up to 1000, then a 10 s tail for the last 100.
        timeline.record(seconds: 2, committed: 0)
        for second in 1...9 { timeline.record(seconds: 2 + Double(second), committed: second * 100) }
        timeline.record(seconds: 21, committed: 1000)
        #expect(timeline.seconds(reaching: 450) == 6.5)
        #expect(timeline.seconds(reaching: 0) == 0)
        #expect(timeline.seconds(reaching: 1001) == nil)
        let steady = try #require(timeline.steadyRate(total: 1000))
        #expect(abs(steady - 100) < 1e-9)
    }

    @Test("no steady rate when too few polls fell between 10 % and 90 %")
    func steadyRateNeedsPolls() {
        var timeline = CommitTimeline()
        timeline.record(seconds: 0.5, committed: 500)
        timeline.record(seconds: 1, committed: 1000)
        #expect(timeline.steadyRate(total: 1000) == nil)
        #expect(CommitTimeline().steadyRate(total: 0) == nil)
    }

    @Test("resident memory is read from the unlabelled sample of the Prometheus page")
    func residentMemory() {
        let page = """
            # HELP process_resident_memory_bytes Resident memory size in bytes.
            # TYPE process_resident_memory_bytes gauge
            process_resident_memory_bytes_total_not_this 1
            process_resident_memory_bytes 4.2e+07
            recoup_events_total{queue="recoup.invoices"} 12
            """
        #expect(ResidentMemory.parse(page) == 42_000_000)
        #expect(ResidentMemory.parse("process_resident_memory_bytes 1234 1700000000000\n") == 1234)
        #expect(ResidentMemory.parse("up 1\n") == nil)
    }

    @Test("the observer counts the run's messages and their causes, and nobody else's")
    func observer() {
        let observer = OutboundObserver(queue: "q", accountPrefix: "bench_runx_")
        func body(account: String, causedBy: String?) -> [UInt8] {
            var data: JSONObject = ["account_id": .string(account)]
            if let causedBy { data["caused_by"] = .string(causedBy) }
            return JSONValue.object(["id": "m", "data": .object(data)]).serializedBytes
        }
        let now = ContinuousClock.now
        observer.note(body(account: "bench_runx_acc_1", causedBy: "bench_runx_evt_fail_85"), routingKey: "message.email", at: now)
        observer.note(body(account: "bench_runx_acc_2", causedBy: nil), routingKey: "task.review", at: now)
        observer.note(body(account: "bench_other_acc_1", causedBy: "e"), routingKey: "message.email", at: now)
        observer.note(Array("not json".utf8), routingKey: "message.email", at: now)
        let tally = observer.snapshot
        #expect(tally.count == 2 && observer.seenCount == 2)
        #expect(tally.others == 2)
        #expect(tally.byRoutingKey == ["message.email": 1, "task.review": 1])
        #expect(tally.causes.map(\.eventID) == ["bench_runx_evt_fail_85"])
    }
}

/// Splitting latency samples at the event's recording start, which comes from the database's
/// wall clock while the samples are on the run's monotonic clock.
@Suite("end-to-end benchmark latency split")
struct LatencySplitTests {
    static let origin = ContinuousClock.now
    static let originDate = Date(timeIntervalSince1970: 1_800_000_000)

    /// A summary's count, p50, p99 and max in whole milliseconds (wall times carry float error).
    static func ms(_ summary: LatencySummary) -> [Int?] {
        [summary.count] + [summary.p50, summary.p99, summary.max].map { $0.map { Int(($0.seconds * 1000).rounded()) } }
    }

    static func sample(sent: Int, started: Int?, received: Int) -> LatencySplit.Sample {
        LatencySplit.Sample(sent: origin + .milliseconds(sent), received: origin + .milliseconds(received),
                            recordingStarted: started.map { originDate.addingTimeInterval(Double($0) / 1000) })
    }

    @Test("each sample splits into publish-to-recording and recording-to-receipt, which add up to it")
    func splits() {
        let split = LatencySplit([Self.sample(sent: 0, started: 30, received: 50), Self.sample(sent: 100, started: 110, received: 190),
                                  Self.sample(sent: 200, started: 260, received: 261)],
                                 origin: Self.origin, originDate: Self.originDate)
        #expect(split.outsideWindow == 0)
        #expect(Self.ms(split.beforeRecording) == [3, 30, 60, 60])
        #expect(Self.ms(split.afterRecording) == [3, 20, 80, 80])
    }

    @Test("a recording start outside its sample's window (another clock) or missing is left out and counted")
    func outside() {
        let split = LatencySplit([Self.sample(sent: 100, started: 40, received: 150), Self.sample(sent: 100, started: 160, received: 150),
                                  Self.sample(sent: 100, started: nil, received: 150), Self.sample(sent: 100, started: 120, received: 150)],
                                 origin: Self.origin, originDate: Self.originDate)
        #expect(split.outsideWindow == 3)
        #expect(Self.ms(split.beforeRecording) == [1, 20, 20, 20])
        #expect(Self.ms(split.afterRecording) == [1, 30, 30, 30])
    }
}

/// What the end-to-end benchmark reads off recoupd's metrics page while it waits for commits.
@Suite("end-to-end benchmark metrics reading")
struct BenchmarkMetricsReadingTests {
    @Test("handled deliveries are recoup_events_total over every type and outcome but retry; memory is the unlabelled gauge")
    func handledAndMemory() {
        let page = """
            # HELP recoup_events_total deliveries handled
            # TYPE recoup_events_total counter
            recoup_events_total{type="invoice.created",outcome="applied"} 120
            recoup_events_total{type="payment.failed",outcome="applied"} 7
            recoup_events_total{type="invoice.created",outcome="duplicate"} 3
            recoup_events_total{type="unparsed",outcome="dead_lettered"} 2
            recoup_events_total{type="payment.failed",outcome="retry"} 40
            recoup_events_totally_else 1000
            recoup_dead_letters_total{queue="recoup.invoices",class="malformed"} 2
            process_resident_memory_bytes 52428800
            """
        #expect(ResidentMemory.handledEvents(page) == 132)
        #expect(ResidentMemory.parse(page) == 52_428_800)
        #expect(ResidentMemory.handledEvents("") == 0)
    }
}
