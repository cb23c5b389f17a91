import Foundation
import RecoupCore

/// The figures of one end-to-end benchmark run (issue 7), with the ceilings measured in the
/// same run, as readable text or one JSON object for scripts and BENCHMARKS.md.
public struct EndToEndReport: Sendable {
    /// The run's id: every event id of the burst starts with `bench_<runID>_evt_`.
    public let runID: String
    public let invoices: Int
    public let accounts: Int
    /// Events published per type.
    public let eventsByType: [String: Int]
    /// The publishing pace asked for in events per second; 0 = as fast as confirms allow.
    public let rate: Double
    /// Events confirmed by the broker, first publish to last confirm.
    public let published: CeilingBenchmarks.Result
    /// Events in the inbox, first publish to the poll that found the last one.
    public let committed: CeilingBenchmarks.Result
    /// Committed events per second between 10 % and 90 % committed (nil on too short a run).
    public let steadyPerSecond: Double?
    /// The run's outbound messages seen on the exchanges, first publish to last receipt.
    public let outbound: CeilingBenchmarks.Result
    public let outboundByRoutingKey: [String: Int]
    /// Publish to outbound receipt, for messages whose `caused_by` is a published event.
    public let latency: LatencySummary
    /// The same samples split where recoupd began recording the event.
    let latencySplit: LatencySplit
    /// recoupd's resident memory at the end and at its highest sample (nil when not read).
    public let residentBytesAtEnd: Double?
    public let residentBytesPeak: Double?
    public let residentSamples: Int
    /// Average time between looks at the commit count: the precision of `committed.seconds`.
    public let pollSeconds: Double
    public let postgresCeiling: CeilingBenchmarks.Result?
    public let relayCeiling: CeilingBenchmarks.Result?

    /// End-to-end committed events per second over a ceiling's operations per second.
    public func ratio(to ceiling: CeilingBenchmarks.Result?) -> Double? {
        guard let ceiling, ceiling.perSecond > 0 else { return nil }
        return committed.perSecond / ceiling.perSecond
    }

    public var text: String {
        let types = eventsByType.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let keys = outboundByRoutingKey.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let lines = [
            "Recoup end-to-end benchmark, run \(runID)",
            "  mix: \(invoices) invoices over \(accounts) accounts, \(published.operations) events (\(types)), "
                + (rate > 0 ? "paced at \(Self.format(rate, 0)) events/s" : "burst"),
            "  " + published.line,
            "  " + committed.line + " (counted every \(Self.format(pollSeconds * 1000, 0)) ms)",
            "  steady, 10 % to 90 % committed: " + (steadyPerSecond.map { "\(Self.format($0, 0))/s" } ?? "n/a (run too short)"),
            "  " + outbound.line + (keys.isEmpty ? "" : " (\(keys))"),
            "  latency publish -> outbound, \(latency.count) samples: " + (latency.count == 0
                ? "none (no outbound message named a published event in caused_by: declines that are retried are silent, quiet hours defer notices)"
                : "p50 \(Self.milliseconds(latency.p50)), p99 \(Self.milliseconds(latency.p99)), max \(Self.milliseconds(latency.max))"),
            "    publish -> recording started: " + Self.summary(latencySplit.beforeRecording),
            "    recording started -> outbound: " + Self.summary(latencySplit.afterRecording)
                + (latencySplit.outsideWindow > 0 ? " (\(latencySplit.outsideWindow) samples not split: recoupd's clock is not wall time)" : ""),
            "  recoupd resident memory: " + (residentBytesAtEnd.map {
                "\(Self.mebibytes($0)) at the end, \(Self.mebibytes(residentBytesPeak ?? $0)) peak of \(residentSamples) samples"
            } ?? "not measured"),
            "ceilings, measured first in the same run:",
            "  " + (postgresCeiling?.line ?? "PostgreSQL ceiling: skipped"),
            "  " + (relayCeiling?.line ?? "RabbitMQ relay ceiling: skipped"),
            "ratios of end-to-end events/s:",
            "  to the PostgreSQL ceiling: " + (ratio(to: postgresCeiling).map { Self.format($0, 2) + "x" } ?? "n/a"),
            "  to the relay ceiling: " + (ratio(to: relayCeiling).map { Self.format($0, 2) + "x" } ?? "n/a"),
        ]
        return lines.joined(separator: "\n")
    }

    public var json: JSONValue {
        func number(_ value: Double?) -> JSONValue {
            value.flatMap { JSONNumber(($0 * 1000).rounded() / 1000) }.map(JSONValue.number) ?? .null
        }
        func result(_ result: CeilingBenchmarks.Result?) -> JSONValue {
            guard let result else { return .null }
            return .object(["count": .int(Int64(result.operations)), "seconds": number(result.seconds),
                            "per_second": number(result.perSecond)])
        }
        func counts(_ counts: [String: Int]) -> JSONValue { .object(counts.mapValues { .int(Int64($0)) }) }
        func ms(_ duration: Duration?) -> JSONValue { number(duration.map { $0.seconds * 1000 }) }
        func summary(_ latency: LatencySummary) -> JSONValue {
            ["samples": .int(Int64(latency.count)), "p50": ms(latency.p50), "p99": ms(latency.p99), "max": ms(latency.max)]
        }
        return [
            "run_id": .string(runID), "invoices": .int(Int64(invoices)), "accounts": .int(Int64(accounts)),
            "rate": number(rate), "events_by_type": counts(eventsByType),
            "published": result(published), "committed": result(committed), "steady_per_second": number(steadyPerSecond),
            "poll_ms": number(pollSeconds * 1000),
            "outbound": result(outbound), "outbound_by_routing_key": counts(outboundByRoutingKey),
            "latency_ms": ["samples": .int(Int64(latency.count)), "p50": ms(latency.p50), "p99": ms(latency.p99), "max": ms(latency.max),
                           "before_recording": summary(latencySplit.beforeRecording),
                           "after_recording": summary(latencySplit.afterRecording),
                           "not_split": .int(Int64(latencySplit.outsideWindow))],
            "resident_bytes": ["end": number(residentBytesAtEnd), "peak": number(residentBytesPeak),
                               "samples": .int(Int64(residentSamples))],
            "ceilings": ["postgres": result(postgresCeiling), "relay": result(relayCeiling)],
            "ratios": ["postgres": number(ratio(to: postgresCeiling)), "relay": number(ratio(to: relayCeiling))],
        ]
    }

    static func format(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

    static func milliseconds(_ duration: Duration?) -> String {
        duration.map { format($0.seconds * 1000, 1) + " ms" } ?? "n/a"
    }

    static func summary(_ latency: LatencySummary) -> String {
        latency.count == 0 ? "n/a" : "p50 \(milliseconds(latency.p50)), p99 \(milliseconds(latency.p99)), max \(milliseconds(latency.max))"
    }

    static func mebibytes(_ bytes: Double) -> String { format(bytes / 1_048_576, 1) + " MiB" }
}
