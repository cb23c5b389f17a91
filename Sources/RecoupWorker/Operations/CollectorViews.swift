import Foundation
import Logging
import RecoupConfig
import RecoupCore
import RecoupStore

/// `recoupctl worklist`, `timeline` and `classify-reply`: what collectors, auditors and support
/// engineers read. Read-only against the database; personal data stays out.
public enum CollectorViews {
    /// The most urgent overdue invoices, as of the daemon's clock, under the shipped escalation policy.
    public static func worklist(limit: Int, configuration: RecoupConfiguration, logger: Logger) async throws -> [Worklist.Item] {
        let policy = try CadenceFiles.loadEscalations(directory: configuration.policyDirectory)
        let clock: StoreClock = configuration.clock == .controlled ? .controlled : .system
        return try await ControlledClockCommands.withPool(configuration, logger) { pool in
            try await pool.withConnection { connection in
                try Worklist.top(limit, now: try clock.now(connection), policy: policy, connection)
            }
        }
    }

    public static func timeline(accountID: String, configuration: RecoupConfiguration, logger: Logger) async throws -> [JSONValue] {
        try await ControlledClockCommands.withPool(configuration, logger) { pool in
            try await pool.withConnection { connection in try Timeline.entries(accountID: accountID, connection) }
        }
    }

    /// One worklist line for people: rank, score, invoice, owner and the reasons.
    public static func describe(_ item: Worklist.Item, rank: Int) -> String {
        let score = String(format: "%5.1f", item.score.value)
        return "\(rank). \(score)  \(item.number ?? item.invoiceID) (\(item.accountID), \(item.tier.rawValue)) -> \(item.owner): "
            + item.score.reasons.joined(separator: "; ")
    }

    /// Classifies one `{"id","text","received_at","timezone","channel"}` line into
    /// `{"id","class","promised_date","confidence","why"}`; a line it cannot read gets `error`.
    public static func classify(line: String) -> JSONValue {
        guard let value = try? JSONParser.parse(Array(line.utf8)), let text = value["text"]?.stringValue else {
            return .object(["error": .string("expected a JSON object with a string \"text\"")])
        }
        let id = value["id"] ?? .null
        let received = value["received_at"]?.stringValue.flatMap(Timestamp.parse) ?? Date()
        guard let zone = TimeZone(identifier: value["timezone"]?.stringValue ?? "UTC") else {
            return .object(["id": id, "error": .string("timezone: not an IANA time zone")])
        }
        let channel = value["channel"]?.stringValue.flatMap(ReplyChannel.init(rawValue:)) ?? .email
        let result = ReplyClassifier.classify(text, channel: channel, today: LocalDate(received, in: zone))
        return .object([
            "id": id, "class": .string(result.replyClass.rawValue),
            "promised_date": result.promisedDate.map { .string($0.description) } ?? .null,
            "confidence": JSONNumber(result.confidence).map(JSONValue.number) ?? .null,
            "why": .array(result.why.map(JSONValue.string)),
        ])
    }
}
