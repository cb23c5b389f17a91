import Foundation
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
struct ConfigNode {
    let file: String
    let path: String
    let node: Node
    private let mapping: Node.Mapping?
    private var seen: Set<String> = []

    init(file: String, path: String, node: Node) {
        self.file = file
        self.path = path
        self.node = node
        self.mapping = node.mapping
    }

    /// Parses `text` as one YAML document whose root is a mapping.
    static func parse(file: String, text: String) throws(ConfigError) -> ConfigNode {
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

    func error(_ message: String, at node: Node? = nil) -> ConfigError {
        ConfigError(file: file, line: (node ?? self.node).mark?.line, message: message)
    }

    private func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private mutating func value(_ key: String) -> Node? {
        seen.insert(key)
        guard let value = mapping?[Node(key)] else { return nil }
        if case .scalar(let scalar) = value, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" {
            return nil
        }
        return value
    }

    mutating func string(_ key: String) throws(ConfigError) -> String? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let scalar) = node else {
            throw error("\(keyPath(key)): expected a single value", at: node)
        }
        return scalar.string
    }

    mutating func string(_ key: String, default value: String) throws(ConfigError) -> String {
        try string(key) ?? value
    }

    mutating func int(_ key: String, default value: Int, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let node = self.value(key) else { return value }
        guard case .scalar(let scalar) = node, let number = Int(scalar.string) else {
            throw error("\(keyPath(key)): expected a whole number", at: node)
        }
        guard range.contains(number) else {
            throw error("\(keyPath(key)): \(number) is out of range \(range.lowerBound)...\(range.upperBound)", at: node)
        }
        return number
    }

    mutating func bool(_ key: String, default value: Bool) throws(ConfigError) -> Bool {
        guard let node = self.value(key) else { return value }
        switch node.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("\(keyPath(key)): expected true or false", at: node)
        }
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, default value: T) throws(ConfigError) -> T
    where T.RawValue == String {
        guard let raw = try string(key) else { return value }
        guard let chosen = T(rawValue: raw) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw error("\(keyPath(key)): \(raw.debugDescription) is not one of \(allowed)", at: mapping?[Node(key)])
        }
        return chosen
    }

    /// A nested mapping; absent means all of its keys take their defaults.
    mutating func section(_ key: String) throws(ConfigError) -> ConfigNode? {
        guard let node = value(key) else { return nil }
        guard node.mapping != nil else { throw error("\(keyPath(key)): expected a mapping", at: node) }
        return ConfigNode(file: file, path: keyPath(key), node: node)
    }

    /// Fails on any key that no reader asked for.
    func rejectUnknownKeys() throws(ConfigError) {
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
