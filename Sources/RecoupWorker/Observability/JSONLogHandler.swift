import Foundation
import Logging
import RecoupCore
import Synchronization

/// Writes one JSON object per line to standard output, the shape journald and log shippers
/// ingest. Callers put ids, types and counts in metadata — never payload fields that may be
/// personal data (emails, phone numbers, reply texts).
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: LogSink

    public init(label: String, level: Logger.Level, sink: LogSink = .standardOutput) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let extra = event.metadata { fields.merge(extra) { $1 } }

        var line = "{\"ts\":\(Self.quote(Self.timestamp(Date())))"
        line += ",\"level\":\(Self.quote(event.level.rawValue))"
        line += ",\"logger\":\(Self.quote(label))"
        line += ",\"msg\":\(Self.quote(event.message.description))"
        for key in fields.keys.sorted() {
            line += ",\(Self.quote(key)):\(Self.render(fields[key]!))"
        }
        line += "}\n"
        sink.write(line)
    }

    static func render(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): return quote(string)
        case .stringConvertible(let convertible): return quote(convertible.description)
        case .array(let values): return "[" + values.map(render).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            return "{" + dictionary.keys.sorted().map { "\(quote($0)):\(render(dictionary[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal for `text`.
    static func quote(_ text: String) -> String { JSONValue.quote(text) }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted))
    }
}

/// Where log lines go: standard output, or a buffer in tests.
public final class LogSink: Sendable {
    private let capturing: Bool
    private let lines = Mutex<[String]>([])

    private init(capturing: Bool) { self.capturing = capturing }

    public static let standardOutput = LogSink(capturing: false)

    /// A sink that keeps the lines in memory, for tests.
    public static func capturing() -> LogSink { LogSink(capturing: true) }

    public var captured: [String] { lines.withLock { $0 } }

    func write(_ line: String) {
        if capturing {
            lines.withLock { $0.append(line) }
        } else {
            // One write(2) per line keeps lines whole when several threads log at once.
            var bytes = Array(line.utf8)
            bytes.withUnsafeMutableBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Foundation.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
        }
    }
}

extension LoggingSystem {
    /// Routes every logger to JSON lines on standard output at `level`.
    public static func bootstrapJSON(level: Logger.Level) {
        bootstrap { label in JSONLogHandler(label: label, level: level) }
    }
}
