import ArgumentParser
import Foundation
import Logging
import RecoupCore
import RecoupWorker

/// The operator CLI: schema, configuration, the controlled clock, and a sample scenario.
@main
struct RecoupCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recoupctl",
        abstract: "Operate Recoup: migrate the schema, check configuration, explain declines, drive the test clock, publish a sample, read the worklist and timelines, classify replies, work the dead-letter queues, verify the audit trail.",
        subcommands: [Migrate.self, Config.self, Policy.self, Decline.self, Clock.self, PublishSample.self, WorklistCommand.self,
                      TimelineCommand.self, ClassifyReply.self, DeadLetterCommand.self, AuditCommand.self, BenchCommand.self])
}

/// `--config PATH`, shared by every subcommand.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: $RECOUP_CONFIG, Config/recoupd.yaml, /etc/recoup/recoupd.yaml).")
    var config: String?

    func load() throws -> RecoupConfiguration {
        do {
            return try RecoupConfiguration.load(path: config)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

func makeLogger(_ configuration: RecoupConfiguration) -> Logger {
    LoggingSystem.bootstrapJSON(level: .warning)
    return Logger(label: "recoupctl")
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending schema migrations (safe to run from several hosts at once).")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let configuration = try options.load()
        try await RecoupDaemon.migrate(configuration: configuration, logger: makeLogger(configuration))
        print("schema is current")
    }
}

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Configuration commands.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration file and environment overrides; print the effective settings without secrets.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let configuration = try options.load()
            print(configuration.summary)
        }
    }
}

struct Policy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Policy files (payments, cadence, templates).", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate every policy file and template under policy.directory, as recoupd does at start; print what they hold.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let configuration = try options.load()
            do {
                let policy = try LoadedPolicy.load(configuration)
                print("policy \(configuration.policyDirectory): OK")
                for line in policy.summary { print("  " + line) }
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }
}

struct Decline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decline codes and what Recoup does with them.", subcommands: [Explain.self])

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print, as JSON, how Recoup classifies a decline code, whether and when it would retry, the network rules that apply, and the customer-safe reason.",
            discussion: "Examples: recoupctl decline explain insufficient_funds --network visa; recoupctl decline explain 05 --scheme iso8583 --network mastercard --advice 03; recoupctl decline explain R01 --scheme nacha")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The decline code as the processor sent it (insufficient_funds, 51, R01, AM04).") var code: String
        @Option(help: "stripe, iso8583, nacha or sepa (default: guessed from the code).") var scheme: String?
        @Option(help: "The card network (visa, mastercard, amex, ...).") var network: String?
        @Option(help: "A Mastercard Merchant Advice Code sent with the decline (e.g. 03).") var advice: String?

        func run() async throws {
            let configuration = try options.load()
            var parsedScheme: DeclineScheme?
            if let scheme {
                guard let known = DeclineScheme(rawValue: scheme) else {
                    throw ValidationError("--scheme \(scheme.debugDescription) is not one of \(DeclineScheme.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                parsedScheme = known
            }
            let policy: LoadedPolicy
            do {
                policy = try LoadedPolicy.load(configuration)
            } catch {
                throw ValidationError("\(error)")
            }
            let explanation = DeclineExplanation.explain(code: code, scheme: parsedScheme, network: network, advice: advice,
                                                         rules: policy.payments)
            print(explanation.serialized)
        }
    }
}

struct Clock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drive the controlled clock (configuration `clock: controlled`, development only).",
        subcommands: [Show.self, Set.self, Advance.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the controlled clock's time.")
        @OptionGroup var options: ConfigOption
        func run() async throws {
            let configuration = try options.load()
            let time = try await ControlledClockCommands.show(configuration: configuration, logger: makeLogger(configuration))
            print(time.map { $0.formatted(.iso8601) } ?? "not set (follows wall time)")
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the controlled clock, e.g. 2026-12-01T09:00:00Z.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "An RFC 3339 timestamp.") var timestamp: String
        func run() async throws {
            let configuration = try options.load()
            let time = try await ControlledClockCommands.set(timestamp, configuration: configuration, logger: makeLogger(configuration))
            print(time.formatted(.iso8601))
        }
    }

    struct Advance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move the controlled clock forward, e.g. 7d, 36h, 1d12h.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "A duration made of d, h, m, s parts.") var duration: String
        func run() async throws {
            let configuration = try options.load()
            let time = try await ControlledClockCommands.advance(duration, configuration: configuration, logger: makeLogger(configuration))
            print(time.formatted(.iso8601))
        }
    }
}

struct PublishSample: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish-sample",
        abstract: "Publish a small realistic scenario to billing.events so you can watch recoupd work.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let configuration = try options.load()
        let published = try await SampleScenario.publish(configuration: configuration, logger: makeLogger(configuration))
        for event in published {
            print("published \(event.type) \(event.id)")
        }
        print("""

            \(published.count) events published. See what recoupd made of them:
              Deploy/dev psql -c "SELECT kind, event_id, detail FROM recoup.audit_log ORDER BY audit_id DESC LIMIT 20"
            """)
    }
}

struct WorklistCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worklist",
        abstract: "The most urgent overdue invoices for collectors, ranked by priority score, with the reasons.")
    @OptionGroup var options: ConfigOption
    @Option(name: .long, help: "How many invoices to list.") var limit = 20
    @Flag(name: .long, help: "One JSON object per line instead of text.") var json = false

    func run() async throws {
        let configuration = try options.load()
        let items = try await CollectorViews.worklist(limit: limit, configuration: configuration, logger: makeLogger(configuration))
        for (index, item) in items.enumerated() {
            print(json ? item.json.serialized : CollectorViews.describe(item, rank: index + 1))
        }
        if items.isEmpty && !json { print("no overdue open invoices") }
    }
}

struct TimelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Everything Recoup recorded about an account, in order: events, decisions, suppressions, messages, replies, escalations.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The account id.") var account: String
    @Flag(name: .long, help: "One JSON object per line instead of text.") var json = false

    func run() async throws {
        let configuration = try options.load()
        let entries = try await CollectorViews.timeline(accountID: account, configuration: configuration, logger: makeLogger(configuration))
        for entry in entries {
            if json { print(entry.serialized); continue }
            let parts = [entry["at"]?.stringValue, entry["kind"]?.stringValue, entry["invoice_id"]?.stringValue,
                         entry["rule"]?.stringValue.map { "[\($0)]" }].compactMap { $0 }
            print(parts.joined(separator: "  ") + "  " + (entry["detail"]?.serialized ?? ""))
        }
        if entries.isEmpty && !json { print("nothing recorded for account \(account)") }
    }
}

struct ClassifyReply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify-reply",
        abstract: "Classify replies: JSON lines {\"id\",\"text\",\"received_at\",\"timezone\"} on stdin, {\"id\",\"class\",\"promised_date\",\"confidence\",\"why\"} lines on stdout.")

    @Flag(name: .long, help: "The lines carry a \"class\" label (as Tests/Corpus does): print precision, recall and F1 per class instead.")
    var score = false

    func run() async throws {
        var labelled: [String] = []
        while let line = readLine(strippingNewline: true) {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            if score { labelled.append(line) } else { print(CollectorViews.classify(line: line).serialized) }
        }
        if score { print(CollectorViews.score(lines: labelled)) }
    }
}
