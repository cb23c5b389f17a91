import Foundation
import RecoupCore
import Yams

/// A configuration problem, located at a file and line so the operator can go straight to it.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let line: Int?
    public let message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

/// A YAML mapping being read key by key; every error names the file, the line and the key path.
///
/// Unknown keys are reported too (a misspelt key silently ignored is a default silently used).
package struct ConfigNode {
    package let file: String
    package let path: String
    package let node: Node
    private let mapping: Node.Mapping?
    private var seen: Set<String> = []

    package init(file: String, path: String, node: Node) {
        self.file = file
        self.path = path
        self.node = node
        self.mapping = node.mapping
    }

    /// Reads and parses a file whose root is a mapping.
    /// Loads `file` (a path relative to the policy `directory`).
    package static func load(_ file: String, in directory: String) throws(ConfigError) -> ConfigNode {
        try load(file: (directory.hasSuffix("/") ? directory : directory + "/") + file)
    }

    package static func load(file: String) throws(ConfigError) -> ConfigNode {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(file: file, line: nil, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: file, line: nil, message: "the file is not UTF-8 text")
        }
        return try parse(file: file, text: text)
    }

    /// Parses `text` as one YAML document whose root is a mapping.
    package static func parse(file: String, text: String) throws(ConfigError) -> ConfigNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(file: file, line: Self.line(of: error), message: "not valid YAML: \(Self.problem(of: error))")
        } catch {
            throw ConfigError(file: file, line: nil, message: "not valid YAML: \(error)")
        }
        guard let root, root.mapping != nil else {
            throw ConfigError(file: file, line: root?.mark?.line, message: "expected a mapping of settings at the top level")
        }
        return ConfigNode(file: file, path: "", node: root)
    }

    /// The line this mapping starts on.
    package var line: Int? { node.mark?.line }

    package func error(_ message: String, at node: Node? = nil) -> ConfigError {
        ConfigError(file: file, line: (node ?? self.node).mark?.line, message: message)
    }

    /// An error pointing at the line of `key`'s value.
    package func error(_ message: String, key: String) -> ConfigError {
        error(message, at: mapping?[Node(key)])
    }

    /// Whether the mapping sets `key` at all.
    package func has(_ key: String) -> Bool { mapping?[Node(key)] != nil }

    package func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private mutating func value(_ key: String) -> Node? {
        seen.insert(key)
        guard let value = mapping?[Node(key)] else { return nil }
        if case .scalar(let scalar) = value, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" {
            return nil
        }
        return value
    }

    package mutating func string(_ key: String) throws(ConfigError) -> String? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let scalar) = node else {
            throw error("\(keyPath(key)): expected a single value", at: node)
        }
        return scalar.string
    }

    package mutating func string(_ key: String, default value: String) throws(ConfigError) -> String {
        try string(key) ?? value
    }

    package mutating func requiredString(_ key: String) throws(ConfigError) -> String {
        guard let text = try string(key), !text.isEmpty else { throw error("\(keyPath(key)): required") }
        return text
    }

    package mutating func int(_ key: String, default value: Int, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        try int(key, in: range) ?? value
    }

    package mutating func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let node = self.value(key) else { return nil }
        guard case .scalar(let scalar) = node, let number = Int(scalar.string) else {
            throw error("\(keyPath(key)): expected a whole number", at: node)
        }
        guard range.contains(number) else {
            throw error("\(keyPath(key)): \(number) is out of range \(range.lowerBound)...\(range.upperBound)", at: node)
        }
        return number
    }

    package mutating func bool(_ key: String, default value: Bool) throws(ConfigError) -> Bool {
        try bool(key) ?? value
    }

    package mutating func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let node = self.value(key) else { return nil }
        switch node.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("\(keyPath(key)): expected true or false", at: node)
        }
    }

    package mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, default value: T) throws(ConfigError) -> T
    where T.RawValue == String {
        try choice(key) ?? value
    }

    package mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String) throws(ConfigError) -> T?
    where T.RawValue == String {
        guard let raw = try string(key) else { return nil }
        guard let chosen = T(rawValue: raw) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw error("\(keyPath(key)): \(raw.debugDescription) is not one of \(allowed)", at: mapping?[Node(key)])
        }
        return chosen
    }

    /// A duration such as `3d`, `36h`, `90m` (see `ClockText.duration`).
    package mutating func duration(_ key: String) throws(ConfigError) -> TimeInterval? {
        guard let node = value(key) else { return nil }
        return try Self.duration(node, file: file, path: keyPath(key))
    }

    static func duration(_ node: Node, file: String, path: String) throws(ConfigError) -> TimeInterval {
        guard case .scalar(let scalar) = node else {
            throw ConfigError(file: file, line: node.mark?.line, message: "\(path): expected a duration such as 3d or 36h")
        }
        do {
            return try ClockText.duration(scalar.string)
        } catch {
            throw ConfigError(file: file, line: node.mark?.line, message: "\(path): \(error.description)")
        }
    }

    /// A calendar date written `YYYY-MM-DD`.
    package mutating func date(_ key: String) throws(ConfigError) -> LocalDate? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let scalar) = node, let date = LocalDate(scalar.string) else {
            throw error("\(keyPath(key)): expected a date YYYY-MM-DD", at: node)
        }
        return date
    }

    /// A list of single values (`[a, b]` or one per line); absent is empty.
    package mutating func strings(_ key: String) throws(ConfigError) -> [String] {
        guard let node = value(key) else { return [] }
        guard let sequence = node.sequence else { throw error("\(keyPath(key)): expected a list", at: node) }
        var values: [String] = []
        for (position, item) in sequence.enumerated() {
            guard case .scalar(let scalar) = item, !scalar.string.isEmpty else {
                throw error("\(keyPath(key))[\(position)]: expected a single value", at: item)
            }
            values.append(scalar.string)
        }
        return values
    }

    /// A list of durations; absent is empty.
    package mutating func durations(_ key: String) throws(ConfigError) -> [TimeInterval] {
        guard let node = value(key) else { return [] }
        guard let sequence = node.sequence else { throw error("\(keyPath(key)): expected a list of durations", at: node) }
        var values: [TimeInterval] = []
        for (position, item) in sequence.enumerated() {
            values.append(try Self.duration(item, file: file, path: "\(keyPath(key))[\(position)]"))
        }
        return values
    }

    /// A mapping of names to single values, in file order, with the line of each.
    package mutating func stringMap(_ key: String) throws(ConfigError) -> [(key: String, value: String, line: Int?)] {
        guard let node = value(key) else { return [] }
        guard let mapping = node.mapping else { throw error("\(keyPath(key)): expected a mapping", at: node) }
        var pairs: [(key: String, value: String, line: Int?)] = []
        for (name, item) in mapping {
            guard case .scalar(let scalar) = item, let nameText = name.string else {
                throw error("\(keyPath(key)).\(name.string ?? "?"): expected a single value", at: item)
            }
            pairs.append((nameText, scalar.string, name.mark?.line))
        }
        return pairs
    }

    /// A nested mapping; absent means all of its keys take their defaults.
    package mutating func section(_ key: String) throws(ConfigError) -> ConfigNode? {
        guard let node = value(key) else { return nil }
        guard node.mapping != nil else { throw error("\(keyPath(key)): expected a mapping", at: node) }
        return ConfigNode(file: file, path: keyPath(key), node: node)
    }

    /// A list whose items are mappings (one record each); absent is empty.
    package mutating func records(_ key: String) throws(ConfigError) -> [ConfigNode] {
        guard let node = value(key) else { return [] }
        guard let sequence = node.sequence else { throw error("\(keyPath(key)): expected a list", at: node) }
        var records: [ConfigNode] = []
        for (position, item) in sequence.enumerated() {
            guard item.mapping != nil else { throw error("\(keyPath(key))[\(position)]: expected a mapping", at: item) }
            records.append(ConfigNode(file: file, path: "\(keyPath(key))[\(position)]", node: item))
        }
        return records
    }

    /// Fails on any key that no reader asked for.
    package func rejectUnknownKeys() throws(ConfigError) {
        guard let mapping else { return }
        for (key, _) in mapping {
            let name = key.string ?? "?"
            if !seen.contains(name) {
                throw error("\(keyPath(name)): unknown setting", at: key)
            }
        }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        case .duplicatedKeysInMapping(_, let context):
            return context.mark.line
        default:
            return nil
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate keys \(duplicates.joined(separator: ", "))"
        default:
            return "\(error)"
        }
    }
}
