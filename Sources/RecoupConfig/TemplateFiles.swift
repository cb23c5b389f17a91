import Foundation
import Mustache
import RecoupCore

/// Loads `Config/templates/<channel>/<stage>/<tone>.<locale>.mustache`. An email template starts
/// with a `Subject:` line and a blank line; the rest is the body. Unknown tokens, a missing
/// subject and Mustache syntax errors are reported with the file and line.
public enum TemplateFiles {
    public static let folder = "templates"

    /// The tokens templates may use: the seeds' (first name, invoice number, amount, due date,
    /// payment link, remaining balance), the payment-failure ones, and for a message covering
    /// several invoices `several`, `invoice_count`, `total_amount` and the `invoices` list
    /// (each with `number`, `amount`, `due_date`, `payment_link`).
    public static let tokens: Set<String> = [
        "first_name", "invoice_number", "amount", "due_date", "payment_link", "remaining_balance",
        "decline_reason", "retry_date", "update_link",
        "several", "invoice_count", "total_amount", "invoices", "number",
    ]

    /// Long sample values an SMS template is rendered with at load: if it does not fit two
    /// segments with them, the file is refused.
    static let longSample: [String: String] = [
        "first_name": "Bartholomew-Alexander", "invoice_number": "INV-2026-000123456", "amount": "$1,234,567.89",
        "remaining_balance": "$1,234,567.89", "due_date": "September 30, 2026", "retry_date": "September 30, 2026",
        "payment_link": "https://billing.example.com/pay/in_0123456789abcdef", "update_link": "https://billing.example.com/pay/in_0123456789abcdef",
        "decline_reason": "Your bank declined the payment.", "invoice_count": "3", "total_amount": "$1,234,567.89",
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
            let template = try parse(text, file: url.path, name: name, isEmail: key.channel == "email")
            if key.channel == "sms" {
                let body = template.render(longSample).body
                if let limit = SMSLength.twoSegmentLimit(body), body.count > limit {
                    throw ConfigError(file: url.path, line: 1,
                                      message: "with long values this SMS is \(body.count) characters; two segments hold \(limit)")
                }
            }
            library.add(template, for: key)
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
            // A subject is a header, not HTML: its tokens are not escaped.
            subject = try compile(subjectText, file: file, firstLine: 1, escapeHTML: false)
            lines.removeFirst(2)
            bodyStart = 3
        }
        let body = lines.joined(separator: "\n")
        guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ConfigError(file: file, line: bodyStart, message: "the template has no body")
        }
        try checkTokens(body, file: file, firstLine: bodyStart)
        // Email bodies are HTML: tokens are escaped. SMS and in-app texts are plain text.
        return MessageTemplate(name: name, subject: subject,
                               body: try compile(body, file: file, firstLine: bodyStart, escapeHTML: isEmail))
    }

    private static func compile(_ text: String, file: String, firstLine: Int, escapeHTML: Bool) throws(ConfigError) -> MustacheTemplate {
        do {
            // The pragma shares the first line, so line numbers in errors stay the file's.
            return try MustacheTemplate(string: (escapeHTML ? "" : "{{% CONTENT_TYPE: TEXT}}") + text)
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
                if name.hasPrefix("!") || name.hasPrefix("%") { continue } // a comment or a pragma
                name = String(name.drop { "#^/&{".contains($0) }).trimmingCharacters(in: CharacterSet(charactersIn: " }"))
                guard tokens.contains(name) else {
                    throw ConfigError(file: file, line: firstLine + offset,
                                      message: "unknown token {{\(name)}}; known: \(tokens.sorted().joined(separator: ", "))")
                }
            }
        }
    }
}
