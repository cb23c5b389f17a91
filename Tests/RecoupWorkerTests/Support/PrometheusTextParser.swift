/// A strict reader of the Prometheus text exposition format (0.0.4), written from the format's
/// specification so tests can check what `/metrics` serves: metric and label names, quoting and
/// escapes, values, one TYPE and HELP per family before its samples, families not interleaved,
/// no duplicate series, counters not negative, and histograms whole (`le` buckets cumulative and
/// ending in `+Inf`, which equals `_count`, plus `_sum`).
struct PrometheusTextParser {
    struct Sample: Equatable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    struct Family {
        var type: String = "untyped"
        var help: String?
        var samples: [Sample] = []
    }

    struct Failure: Error, CustomStringConvertible {
        let line: Int
        let message: String
        var description: String { "line \(line): \(message)" }
    }

    private(set) var families: [String: Family] = [:]

    /// The value of the series `name{labels}`, if present.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        families.values.lazy.flatMap(\.samples).first { $0.name == name && $0.labels == labels }?.value
    }

    /// Every sample of series named `name`, whatever its labels.
    func samples(_ name: String) -> [Sample] {
        families.values.flatMap(\.samples).filter { $0.name == name }
    }

    static func parse(_ text: String) throws -> PrometheusTextParser {
        var parser = PrometheusTextParser()
        var closed: Set<String> = []
        var current: String?
        var seen: Set<String> = []
        guard text.isEmpty || text.hasSuffix("\n") else { throw Failure(line: 0, message: "the text must end with a newline") }
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let number = index + 1
            let line = String(raw)
            if line.trimmingSpaces.isEmpty { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true).map(String.init)
                guard parts.count >= 3, parts[0] == "#", parts[1] == "HELP" || parts[1] == "TYPE" else { continue } // a plain comment
                let name = parts[2]
                guard isMetricName(name) else { throw Failure(line: number, message: "bad metric name \(name)") }
                if closed.contains(name) { throw Failure(line: number, message: "\(name) appears again after other families") }
                if current != name, let previous = current { closed.insert(previous) }
                current = name
                var family = parser.families[name] ?? Family()
                if parts[1] == "TYPE" {
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                        throw Failure(line: number, message: "bad TYPE line")
                    }
                    guard family.samples.isEmpty, !seen.contains("TYPE " + name) else {
                        throw Failure(line: number, message: "TYPE for \(name) must come once, before its samples")
                    }
                    seen.insert("TYPE " + name)
                    family.type = parts[3]
                } else {
                    guard !seen.contains("HELP " + name) else { throw Failure(line: number, message: "second HELP for \(name)") }
                    seen.insert("HELP " + name)
                    family.help = parts.count == 4 ? try unescapeHelp(parts[3], line: number) : ""
                }
                parser.families[name] = family
                continue
            }
            let sample = try parseSample(line, line: number)
            let familyName = family(of: sample.name, in: parser.families)
            if closed.contains(familyName) { throw Failure(line: number, message: "\(familyName) interleaved with another family") }
            if current != familyName, let previous = current { closed.insert(previous) }
            current = familyName
            let key = sample.name + "|" + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            guard seen.insert("SERIES " + key).inserted else { throw Failure(line: number, message: "duplicate series \(key)") }
            parser.families[familyName, default: Family()].samples.append(sample)
        }
        for (name, family) in parser.families {
            try check(name, family)
        }
        return parser
    }

    /// `x_bucket`, `x_sum` and `x_count` belong to histogram `x` when `x` was declared one.
    static func family(of sampleName: String, in families: [String: Family]) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where sampleName.hasSuffix(suffix) {
            let base = String(sampleName.dropLast(suffix.count))
            if let type = families[base]?.type, type == "histogram" || type == "summary" { return base }
        }
        return sampleName
    }

    static func check(_ name: String, _ family: Family) throws {
        switch family.type {
        case "counter":
            for sample in family.samples where sample.value < 0 || sample.value.isNaN {
                throw Failure(line: 0, message: "counter \(name) has value \(sample.value)")
            }
        case "histogram":
            var groups: [[String: String]: [Sample]] = [:]
            for sample in family.samples {
                var labels = sample.labels
                if sample.name == name + "_bucket" {
                    guard labels.removeValue(forKey: "le") != nil else { throw Failure(line: 0, message: "\(name)_bucket without le") }
                } else if sample.name != name + "_sum" && sample.name != name + "_count" {
                    throw Failure(line: 0, message: "histogram \(name) has a sample \(sample.name)")
                }
                groups[labels, default: []].append(sample)
            }
            for (labels, samples) in groups {
                let buckets = samples.filter { $0.name == name + "_bucket" }
                    .map { (bound: Double(prometheus: $0.labels["le"]!) ?? .nan, count: $0.value) }
                guard buckets.allSatisfy({ !$0.bound.isNaN }) else { throw Failure(line: 0, message: "\(name): le is not a number") }
                let sorted = buckets.sorted { $0.bound < $1.bound }
                guard sorted.last?.bound == .infinity else { throw Failure(line: 0, message: "\(name)\(labels): no +Inf bucket") }
                for (lower, upper) in zip(sorted, sorted.dropFirst()) where upper.count < lower.count {
                    throw Failure(line: 0, message: "\(name)\(labels): buckets are not cumulative")
                }
                guard let count = samples.first(where: { $0.name == name + "_count" })?.value,
                      samples.contains(where: { $0.name == name + "_sum" }) else {
                    throw Failure(line: 0, message: "\(name)\(labels): _sum or _count missing")
                }
                guard count == sorted.last!.count else { throw Failure(line: 0, message: "\(name)\(labels): +Inf bucket differs from _count") }
            }
        default:
            break
        }
    }

    static func parseSample(_ line: String, line number: Int) throws -> Sample {
        var characters = Substring(line)
        let name = String(characters.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" })
        guard isMetricName(name) else { throw Failure(line: number, message: "bad metric name in \(line.debugDescription)") }
        characters = characters.dropFirst(name.count)
        var labels: [String: String] = [:]
        if characters.first == "{" {
            characters = characters.dropFirst()
            while characters.first != "}" {
                let label = String(characters.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                guard isLabelName(label) else { throw Failure(line: number, message: "bad label name in \(line.debugDescription)") }
                characters = characters.dropFirst(label.count)
                guard characters.hasPrefix("=\"") else { throw Failure(line: number, message: "label \(label) without =\"") }
                characters = characters.dropFirst(2)
                var value = ""
                while true {
                    guard let character = characters.popFirst() else { throw Failure(line: number, message: "unterminated label value") }
                    if character == "\"" { break }
                    if character == "\\" {
                        switch characters.popFirst() {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw Failure(line: number, message: "bad escape in label \(label)")
                        }
                    } else {
                        value.append(character)
                    }
                }
                guard labels.updateValue(value, forKey: label) == nil else { throw Failure(line: number, message: "label \(label) twice") }
                if characters.first == "," { characters = characters.dropFirst() } else if characters.first != "}" {
                    throw Failure(line: number, message: "expected , or } after label \(label)")
                }
            }
            characters = characters.dropFirst()
        }
        let rest = characters.split(separator: " ", omittingEmptySubsequences: true)
        guard characters.first == " ", (1...2).contains(rest.count), let value = Double(prometheus: String(rest[0])) else {
            throw Failure(line: number, message: "expected a value (and optional timestamp) in \(line.debugDescription)")
        }
        if rest.count == 2, Int64(rest[1]) == nil { throw Failure(line: number, message: "bad timestamp") }
        return Sample(name: name, labels: labels, value: value)
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    static func unescapeHelp(_ text: String, line: Int) throws -> String {
        var out = ""
        var escaping = false
        for character in text {
            if escaping {
                switch character {
                case "\\": out.append("\\")
                case "n": out.append("\n")
                default: throw Failure(line: line, message: "bad escape in HELP")
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        guard !escaping else { throw Failure(line: line, message: "HELP ends in a backslash") }
        return out
    }
}

extension Double {
    /// Prometheus' spelling of floats: Go's ParseFloat forms plus `+Inf`, `-Inf` and `NaN`.
    init?(prometheus text: String) {
        switch text {
        case "+Inf", "Inf": self = .infinity
        case "-Inf": self = -.infinity
        case "NaN": self = .nan
        default:
            guard let value = Double(text) else { return nil }
            self = value
        }
    }
}

extension String {
    var trimmingSpaces: Substring { drop { $0 == " " || $0 == "\t" } }
}
