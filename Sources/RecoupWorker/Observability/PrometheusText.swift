import Foundation

/// Renders metrics in the Prometheus text exposition format (version 0.0.4): `# HELP` and
/// `# TYPE` per family, then one line per series; histograms as cumulative `_bucket` lines with
/// `le`, then `_sum` and `_count`.
public enum PrometheusText {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// A value read at scrape time (gauges from the database and the connections).
    public struct Sample: Sendable {
        public let family: MetricFamily
        public let labels: [String: String]
        public let value: Double

        public init(_ family: MetricFamily, _ value: Double, labels: [String: String] = [:]) {
            self.family = family
            self.labels = labels
            self.value = value
        }
    }

    /// Everything in `counters` plus `samples`, every family of `MetricFamily.all` announced
    /// even before its first series, so dashboards see the names from the first scrape.
    public static func render(_ counters: Counters, samples: [Sample]) -> String {
        var lines: [String: [String]] = [:]
        for (series, value) in counters.counterSeries {
            lines[series.family.name, default: []].append(seriesName(series.family.name, series.labels) + " \(value)")
        }
        for (series, histogram) in counters.histogramSeries {
            lines[series.family.name, default: []].append(contentsOf: histogramLines(series, histogram))
        }
        for sample in samples {
            lines[sample.family.name, default: []].append(seriesName(sample.family.name, sample.labels) + " " + number(sample.value))
        }
        var families = MetricFamily.all
        let known = Set(families.map(\.name))
        let extra = (counters.counterSeries.map(\.series.family) + counters.histogramSeries.map(\.series.family) + samples.map(\.family))
            .filter { !known.contains($0.name) }
        for family in extra where !families.contains(where: { $0.name == family.name }) { families.append(family) }

        var out = ""
        for family in families {
            out += "# HELP \(family.name) \(escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            // Histogram lines stay in bucket order; other series are sorted for stable output.
            let body = lines[family.name] ?? []
            for line in family.kind == .histogram ? body : body.sorted() { out += line + "\n" }
        }
        return out
    }

    static func histogramLines(_ series: Counters.Series, _ histogram: Counters.Histogram) -> [String] {
        let name = series.family.name
        var lines: [String] = []
        var cumulative = 0
        for (bound, count) in zip(histogram.bounds, histogram.counts) {
            cumulative += count
            var labels = series.labels
            labels["le"] = number(bound)
            lines.append(seriesName(name + "_bucket", labels) + " \(cumulative)")
        }
        var labels = series.labels
        labels["le"] = "+Inf"
        lines.append(seriesName(name + "_bucket", labels) + " \(histogram.count)")
        lines.append(seriesName(name + "_sum", series.labels) + " " + number(histogram.sum))
        lines.append(seriesName(name + "_count", series.labels) + " \(histogram.count)")
        return lines
    }

    /// `name{a="1",b="2"}` with label values escaped, labels sorted by name; `name` alone without labels.
    public static func seriesName(_ name: String, _ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return name }
        let rendered = labels.keys.sorted().map { "\($0)=\"\(escapeLabel(labels[$0]!))\"" }.joined(separator: ",")
        return "\(name){\(rendered)}"
    }

    /// Label values escape backslash, double quote and newline.
    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// Help text escapes backslash and newline.
    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Integers without a fraction, infinities as `+Inf`/`-Inf`, NaN as `NaN`.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
