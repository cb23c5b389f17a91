import Foundation
import Mustache
import RecoupCore

/// Loads `Config/templates/<channel>/<stage>/<tone>.<locale>.mustache`. An email template starts
/// with a `Subject:` line and a blank line; the rest is the body. Unknown tokens, a missing
/// subject and Mustache syntax errors are reported with the file and line.
public enum TemplateFiles {
    public static let folder = "templates"

    /// The tokens templates may use.
    public static let tokens: Set<String> = [
        "first_name", "invoice_number", "amount", "due_date", "payment_link", "remaining_balance",
        "decline_reason", "retry_date", "update_link",
    ]

    public static func load(directory: String) throws(ConfigError) -> TemplateLibrary {
        let root = URL(fileURLWithPath: directory).appendingPathComponent(folder)
        var library = TemplateLibrary()
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw ConfigError(file: root.path, line: nil, message: "the templates folder is missing")
        }
        var paths: [URL] = []
        for case let url as URL in walker where url.pathExtension == "mustache" { paths.append(url) }
        for url in paths.sorted(by: { $0.path < $1.path }) {
            let relative = url.path.dropFirst(root.path.count + 1).split(separator: "/").map(String.init)
            guard relative.count == 3 else {
                throw ConfigError(file: url.path, line: nil, message: "expected templates/<channel>/<stage>/<tone>.<locale>.mustache")
            }
            let nameParts = relative[2].dropLast(".mustache".count).split(separator: ".", maxSplits: 1).map(String.init)
            guard nameParts.count == 2 else {
                throw ConfigError(file: url.path, line: nil, message: "the file name must be <tone>.<locale>.mustache, e.g. courtesy.en-US.mustache")
            }
            let key = TemplateLibrary.Key(channel: relative[0], stage: relative[1], tone: nameParts[0], locale: nameParts[1])
            guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
                throw ConfigError(file: url.path, line: nil, message: "cannot read the file as UTF-8 text")
            }
            let name = "\(key.stage).\(key.tone)"
            library.add(try parse(text, file: url.path, name: name, isEmail: key.channel == "email"), for: key)
        }
        return library
    }

    package static func parse(_ text: String, file: String, name: String, isEmail: Bool) throws(ConfigError) -> MessageTemplate {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var bodyStart = 1
        var subject: MustacheTemplate?
        if isEmail {
            guard let first = lines.first, first.hasPrefix("Subject:") else {
                throw ConfigError(file: file, line: 1, message: "an email template starts with a `Subject: ...` line")
            }
            guard lines.count > 1, lines[1].trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ConfigError(file: file, line: 2, message: "a blank line separates the subject from the body")
            }
            let subjectText = String(first.dropFirst("Subject:".count)).trimmingCharacters(in: .whitespaces)
            try checkTokens(subjectText, file: file, firstLine: 1)
            subject = try compile(subjectText, file: file, firstLine: 1)
            lines.removeFirst(2)
            bodyStart = 3
        }
        let body = lines.joined(separator: "\n")
        guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ConfigError(file: file, line: bodyStart, message: "the template has no body")
        }
        try checkTokens(body, file: file, firstLine: bodyStart)
        return MessageTemplate(name: name, subject: subject, body: try compile(body, file: file, firstLine: bodyStart))
    }

    private static func compile(_ text: String, file: String, firstLine: Int) throws(ConfigError) -> MustacheTemplate {
        do {
            return try MustacheTemplate(string: text)
        } catch let error as MustacheTemplate.ParserError {
            throw ConfigError(file: file, line: firstLine + error.context.lineNumber - 1,
                              message: "Mustache syntax: \(error.error) at column \(error.context.columnNumber)")
        } catch {
            throw ConfigError(file: file, line: firstLine, message: "Mustache syntax: \(error)")
        }
    }

    /// Every `{{name}}` (and section) must be a known token.
    private static func checkTokens(_ text: String, file: String, firstLine: Int) throws(ConfigError) {
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var rest = Substring(line)
            while let open = rest.range(of: "{{") {
                guard let close = rest[open.upperBound...].range(of: "}}") else { break }
                var name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                rest = rest[close.upperBound...]
                if name.hasPrefix("!") { continue } // a comment
                name = String(name.drop { "#^/&{".contains($0) }).trimmingCharacters(in: CharacterSet(charactersIn: " }"))
                guard tokens.contains(name) else {
                    throw ConfigError(file: file, line: firstLine + offset,
                                      message: "unknown token {{\(name)}}; known: \(tokens.sorted().joined(separator: ", "))")
                }
            }
        }
    }
}
