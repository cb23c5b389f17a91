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
        let clock = configuration.storeClock
        return try await configuration.withCommandPool(logger: logger) { pool in
            try await pool.withConnection { connection in
                try Worklist.top(limit, now: try clock.now(connection), policy: policy, connection)
            }
        }
    }

    public static func timeline(accountID: String, configuration: RecoupConfiguration, logger: Logger) async throws -> [JSONValue] {
        try await configuration.withCommandPool(logger: logger) { pool in
            try await pool.withConnection { connection in try Timeline.entries(accountID: accountID, connection) }
        }
    }

    /// One worklist line for people: rank, score, invoice, owner and the reasons.
    public static func describe(_ item: Worklist.Item, rank: Int) -> String {
        let score = String(format: "%5.1f", item.score.value)
        return "\(rank). \(score)  \(item.number ?? item.invoiceID) (\(item.accountID), \(item.tier.rawValue)) -> \(item.owner): "
            + item.score.reasons.joined(separator: "; ")
    }

    /// Scores labelled lines (`class`, optional `promised_date`, as in `Tests/Corpus`): the
    /// per-class table, promise dates read right, and each miss by id.
    public static func score(lines: [String]) -> String {
        var pairs: [(ReplyClass, ReplyClass)] = []
        var misses: [String] = []
        var dated = 0, datesRight = 0, unreadable = 0
        for line in lines where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let answer = classify(line: line)
            guard let value = try? JSONParser.parse(Array(line.utf8)),
                  let expected = value["class"]?.stringValue.flatMap(ReplyClass.init(rawValue:)),
                  let predicted = answer["class"]?.stringValue.flatMap(ReplyClass.init(rawValue:)) else {
                unreadable += 1
                continue
            }
            pairs.append((expected, predicted))
            let id = value["id"]?.stringValue ?? "?"
            if expected != predicted { misses.append("miss \(id): expected \(expected.rawValue), got \(predicted.rawValue)") }
            if expected == .promiseToPay, predicted == .promiseToPay, let date = value["promised_date"]?.stringValue {
                dated += 1
                if answer["promised_date"]?.stringValue == date { datesRight += 1 } else { misses.append("date \(id): expected \(date)") }
            }
        }
        let score = ReplyScore(pairs)
        var report = [score.report(title: "\(pairs.count) labelled replies"), "promise dates: \(datesRight) of \(dated) right"]
        if unreadable > 0 { report.append("\(unreadable) lines without a readable text and class were left out") }
        return (report + misses).joined(separator: "\n")
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
