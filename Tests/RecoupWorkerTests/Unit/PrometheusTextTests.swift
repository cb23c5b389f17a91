import Foundation
import PropertySupport
@testable import RecoupWorker
import Testing
import TestSupport

/// What `/metrics` serves must be valid Prometheus text: checked with a strict parser, which is
/// itself checked against texts it must refuse.
@Suite("Prometheus text exposition")
struct PrometheusTextTests {
    @Test("counters, a histogram and gauges render to text the strict parser accepts, values intact")
    func roundTrip() throws {
        let counters = Counters()
        counters.increment(.events, ["type": "invoice.created", "outcome": "applied"], by: 3)
        counters.increment(.deadLetters, ["queue": "recoup.invoices", "class": "malformed"])
        counters.increment(.journeysPlanned)
        for seconds in [0.0004, 0.003, 0.2, 42.0] {
            counters.observe(.processingSeconds, ["queue": "recoup.invoices"], seconds: seconds)
        }
        let text = PrometheusText.render(counters, samples: [
            .init(.outboxLag, 1.5), .init(.brokerConnected, 1, labels: ["connection": "consumer recoup.replies"]),
        ])
        let parsed = try PrometheusTextParser.parse(text)

        #expect(parsed.value("recoup_events_total", ["type": "invoice.created", "outcome": "applied"]) == 3)
        #expect(parsed.value("recoup_dead_letters_total", ["queue": "recoup.invoices", "class": "malformed"]) == 1)
        #expect(parsed.value("recoup_journeys_planned_total") == 1)
        #expect(parsed.value("recoup_outbox_lag_seconds") == 1.5)
        #expect(parsed.value("recoup_broker_connected", ["connection": "consumer recoup.replies"]) == 1)
        let histogram = ["queue": "recoup.invoices"]
        #expect(parsed.value("recoup_event_processing_seconds_count", histogram) == 4)
        #expect(parsed.value("recoup_event_processing_seconds_sum", histogram) == 0.0004 + 0.003 + 0.2 + 42.0)
        #expect(parsed.value("recoup_event_processing_seconds_bucket", histogram.merging(["le": "0.001"]) { $1 }) == 1)
        #expect(parsed.value("recoup_event_processing_seconds_bucket", histogram.merging(["le": "0.25"]) { $1 }) == 3)
        #expect(parsed.value("recoup_event_processing_seconds_bucket", histogram.merging(["le": "10"]) { $1 }) == 3)
        #expect(parsed.value("recoup_event_processing_seconds_bucket", histogram.merging(["le": "+Inf"]) { $1 }) == 4)
        #expect(parsed.families["recoup_event_processing_seconds"]?.type == "histogram")
    }

    @Test("every family is announced with HELP and TYPE before it has a series")
    func everyFamilyAnnounced() throws {
        let parsed = try PrometheusTextParser.parse(PrometheusText.render(Counters(), samples: []))
        for family in MetricFamily.all {
            #expect(parsed.families[family.name]?.type == family.kind.rawValue, "\(family.name)")
            #expect(parsed.families[family.name]?.help == family.help, "\(family.name)")
        }
        #expect(Set(MetricFamily.all.map(\.name)).count == MetricFamily.all.count, "family names are unique")
    }

    @Test("the README's metrics table names every family /metrics serves")
    func readmeListsEveryFamily() throws {
        let readme = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        for family in MetricFamily.all {
            #expect(readme.contains("`\(family.name)`"), "README.md does not explain \(family.name)")
        }
    }

    @Test("label values with quotes, backslashes, newlines and any Unicode survive escaping", arguments: 0..<4)
    func labelEscaping(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let alphabet: [Character] = ["a", "Z", "9", " ", "\"", "\\", "\n", "{", "}", ",", "=", "é", "🙂", "\t"]
        let counters = Counters()
        var expected: [String: Int] = [:]
        for index in 0..<200 {
            let value = String((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            guard expected[value] == nil else { continue }
            expected[value] = index + 1
            counters.increment(.suppressions, ["reason": value], by: index + 1)
        }
        let parsed = try PrometheusTextParser.parse(PrometheusText.render(counters, samples: []))
        for (value, count) in expected {
            #expect(parsed.value("recoup_suppressions_total", ["reason": value]) == Double(count), "\(value.debugDescription)")
        }
        #expect(parsed.samples("recoup_suppressions_total").count == expected.count)
    }

    /// The parser must be able to fail, or the tests above prove nothing.
    @Test("the parser refuses malformed exposition text", arguments: [
        ("no trailing newline", "a_total 1"),
        ("bad metric name", "1abc 1\n"),
        ("bad label name", "a{1x=\"v\"} 1\n"),
        ("unquoted label value", "a{x=v} 1\n"),
        ("bad escape", "a{x=\"\\t\"} 1\n"),
        ("missing value", "a{x=\"v\"}\n"),
        ("value not a number", "a 12abc\n"),
        ("duplicate series", "a{x=\"1\"} 1\na{x=\"1\"} 2\n"),
        ("TYPE after samples", "a 1\n# TYPE a counter\n"),
        ("two TYPE lines", "# TYPE a counter\n# TYPE a counter\n"),
        ("interleaved families", "a 1\nb 1\na{x=\"2\"} 1\n"),
        ("negative counter", "# TYPE a counter\na -1\n"),
        ("histogram without +Inf", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"),
        ("histogram not cumulative", "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"),
        ("histogram +Inf differs from count", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"),
        ("histogram without _sum", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n"),
    ])
    func parserRefuses(_ case: (String, String)) {
        #expect(throws: PrometheusTextParser.Failure.self, "\(`case`.0)") { try PrometheusTextParser.parse(`case`.1) }
    }

    @Test("numbers: whole values without a fraction, infinities and NaN spelled as Prometheus does")
    func numbers() {
        #expect(PrometheusText.number(3) == "3")
        #expect(PrometheusText.number(0.25) == "0.25")
        #expect(PrometheusText.number(.infinity) == "+Inf")
        #expect(PrometheusText.number(-.infinity) == "-Inf")
        #expect(PrometheusText.number(.nan) == "NaN")
    }
}

/// The backlog gauges are read from the database at most once per interval, however often
/// `/metrics` is scraped.
@Suite("cached backlog reads")
struct CachedReadTests {
    @Test("within its age a value is read once; past it (or with no age) it is read again; a failed read keeps nothing")
    func readsOncePerAge() throws {
        let cached = Cached<Int>()
        var reads = 0
        func read() -> Int { reads += 1; return reads }
        #expect(cached.value(maxAge: .seconds(3_600), read: read) == 1)
        #expect(cached.value(maxAge: .seconds(3_600), read: read) == 1 && reads == 1)
        #expect(cached.value(maxAge: .zero, read: read) == 2, "too old")
        struct Down: Error {}
        #expect(throws: Down.self) { try cached.value(maxAge: .zero) { () throws -> Int in throw Down() } }
        #expect(cached.value(maxAge: .seconds(3_600), read: read) == 2, "the failure kept nothing")
    }
}
