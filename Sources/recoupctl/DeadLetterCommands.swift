import ArgumentParser
import Foundation
import RecoupCore
import RecoupWorker
#if canImport(Glibc)
import Glibc
#endif

/// `recoupctl dlq …`: the on-call engineer's tools for the dead-letter queues.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Inspect, replay, purge and export the dead-letter queues (recoup.*.dlq).",
        discussion: """
            Messages are selected with --queue (invoices, payment-failures, replies; default: all three), --id, \
            --class (malformed, schema, semantic, too_large, unknown_type, transient_exhausted, broker:delivery_limit), \
            --type (an event type, or a prefix such as invoice.*) and --older-than (e.g. 2h, 3d). \
            list, show and export take nothing away. Replay and purge are audited in recoup.audit_log.
            """,
        subcommands: [List.self, Show.self, Replay.self, Purge.self, Export.self])

    /// The selection flags every subcommand shares.
    struct Selection: ParsableArguments {
        @Option(name: .long, help: "A dead-letter queue (repeatable): invoices, payment-failures, replies, or its full name.")
        var queue: [String] = []
        @Option(name: .long, help: "A message id, i.e. the event id (repeatable).") var id: [String] = []
        @Option(name: .customLong("class"), help: "Only this error class.") var errorClass: String?
        @Option(name: .long, help: "Only this event type, or a prefix ending in * (invoice.*).") var type: String?
        @Option(name: .customLong("older-than"), help: "Only messages dead-lettered at least this long ago (30m, 2h, 3d).")
        var olderThan: String?
        @Option(name: .long, help: "At most this many messages.") var limit: Int?

        func selection() throws -> DeadLetterSelection {
            var selection = DeadLetterSelection()
            if !queue.isEmpty {
                selection.queues = try queue.map { name in
                    do { return try DeadLetterSelection.queue(named: name) } catch { throw ValidationError("--queue: \(error)") }
                }
            }
            selection.messageIDs = Set(id)
            selection.errorClass = errorClass
            selection.eventType = type
            if let olderThan {
                do { selection.olderThan = try ClockText.duration(olderThan) } catch {
                    throw ValidationError("--older-than \(olderThan.debugDescription): \(error)")
                }
            }
            if let limit {
                guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
                selection.limit = limit
            }
            return selection
        }

        /// The selection for replay and purge, which act on every message only when told so in as many words.
        func narrowed(all: Bool, verb: String) throws -> DeadLetterSelection {
            let selection = try selection()
            guard selection.isFiltered || all else {
                throw ValidationError("\(verb) needs --id, --class, --type or --older-than, or --all to \(verb) every selected message")
            }
            return selection
        }
    }

    /// The tools, with the configuration `options` name.
    static func tools(_ options: ConfigOption) throws -> DeadLetterTools {
        let configuration = try options.load()
        return DeadLetterTools(configuration: configuration, logger: makeLogger(configuration))
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List dead letters with queue, id, event type, error class, age, deliveries and reason.")
        @OptionGroup var options: ConfigOption
        @OptionGroup var filter: Selection
        @Flag(name: .long, help: "One JSON object per line (no bodies).") var json = false

        func run() async throws {
            let tools = try DeadLetterCommand.tools(options)
            let selection = try filter.selection()
            let now = Date()
            var byClass: [String: Int] = [:]
            if !json {
                print(Row.header)
            }
            let listed = try await tools.browse(selection) { record in
                byClass[record.errorClass, default: 0] += 1
                print(json ? record.summary(at: now).serialized : Row(record, now: now).text)
            }
            guard !json else { return }
            let counts = try await tools.counts(selection.queues)
            print("\n\(listed) listed; " + counts.map { "\($0.queue): \($0.count)" }.joined(separator: ", ")
                  + (byClass.isEmpty ? "" : "; by class: " + byClass.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        }
    }

    /// One line of `dlq list`.
    struct Row {
        static let header = pad(["QUEUE", "MESSAGE ID", "EVENT TYPE", "CLASS", "AGE", "DELIV", "REASON"])
        let text: String

        init(_ record: DeadLetterRecord, now: Date) {
            let age = record.age(at: now).map { ClockText.format(($0 / 60).rounded(.down) * 60) } ?? "?"
            text = Self.pad([record.queue, record.messageID ?? "-", record.eventType, record.errorClass, age,
                             "\(record.deliveryCount)", String(record.reason.prefix(100))])
        }

        static func pad(_ columns: [String]) -> String {
            let widths = [28, 28, 26, 20, 8, 5]
            return zip(columns, widths).map { $0.0.padding(toLength: max($0.1, $0.0.count), withPad: " ", startingAt: 0) }
                .joined(separator: " ") + " " + (columns.last ?? "")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show dead letters whole: properties, headers and body.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The message id (the event id).") var id: String
        @Option(name: .long, help: "Look only in this queue.") var queue: [String] = []

        func run() async throws {
            let filter = try Selection.parse(queue.flatMap { ["--queue", $0] } + ["--id", id])
            let now = Date()
            let shown = try await DeadLetterCommand.tools(options).browse(try filter.selection()) { record in
                print(record.full(at: now).serialized)
            }
            if shown == 0 { throw ValidationError("no dead letter with id \(id.debugDescription) in \(filter.queue.isEmpty ? "any .dlq" : filter.queue.joined(separator: ", "))") }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send selected dead letters back to their original exchange and routing key (after the cause is fixed).",
            discussion: "Each replay is confirmed by the broker and audited (dlq.replayed) before it leaves the .dlq. An event already processed is absorbed by the inbox.")
        @OptionGroup var options: ConfigOption
        @OptionGroup var filter: Selection
        @Flag(name: .long, help: "Replay every selected message (needed without --id, --class, --type or --older-than).") var all = false
        @Flag(name: .customLong("dry-run"), help: "Only list what would be replayed.") var dryRun = false
        @Flag(name: .long, help: "Publish straight to the original queue, not through billing.events (its other subscribers do not see it again).")
        var direct = false
        @Option(name: .long, help: "Who is replaying, for the audit trail (default: $SUDO_USER or $USER).") var `operator`: String?

        func run() async throws {
            let tools = try DeadLetterCommand.tools(options)
            let selection = try filter.narrowed(all: all, verb: "replay")
            if dryRun {
                let now = Date()
                let count = try await tools.browse(selection) { print("would replay " + Row($0, now: now).text) }
                print("\(count) would be replayed")
                return
            }
            let count = try await tools.replay(selection, direct: direct, operator: `operator` ?? DeadLetterTools.defaultOperator()) { record in
                print("replayed \(record.messageID ?? "-") \(record.eventType) from \(record.queue)")
            }
            print("\(count) replayed")
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete selected dead letters for good (each audited as dlq.purged). Export them first if in doubt.")
        @OptionGroup var options: ConfigOption
        @OptionGroup var filter: Selection
        @Flag(name: .long, help: "Purge every selected message (needed without --id, --class, --type or --older-than).") var all = false
        @Flag(name: .long, help: "Do not ask for confirmation.") var yes = false
        @Option(name: .long, help: "Who is purging, for the audit trail (default: $SUDO_USER or $USER).") var `operator`: String?

        func run() async throws {
            let tools = try DeadLetterCommand.tools(options)
            let selection = try filter.narrowed(all: all, verb: "purge")
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else {
                    throw ValidationError("purge deletes messages for good: confirm with --yes (stdin is not a terminal to ask on)")
                }
                let count = try await tools.browse(selection) { _ in }
                print("This deletes \(count) dead letter(s) from \(selection.queues.joined(separator: ", ")). Type \"purge\" to go on: ",
                      terminator: "")
                guard readLine()?.trimmingCharacters(in: .whitespaces) == "purge" else {
                    print("nothing purged")
                    return
                }
            }
            let count = try await tools.purge(selection, operator: `operator` ?? DeadLetterTools.defaultOperator())
            print("\(count) purged")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write selected dead letters whole (headers, properties, body) as JSON lines, leaving them in place.")
        @OptionGroup var options: ConfigOption
        @OptionGroup var filter: Selection
        @Option(name: .long, help: "Write to this file instead of standard output (created with mode 0600: bodies hold personal data).")
        var output: String?

        func run() async throws {
            let tools = try DeadLetterCommand.tools(options)
            let selection = try filter.selection()
            var sink = try Sink(path: output)
            let now = Date()
            let count = try await tools.browse(selection) { record in try sink.write(record.full(at: now).serialized + "\n") }
            try sink.close()
            if output != nil { print("\(count) exported to \(output!)") }
        }
    }

    /// Standard output, or a new private file.
    struct Sink {
        let handle: FileHandle
        let ownsHandle: Bool

        init(path: String?) throws {
            guard let path else {
                handle = .standardOutput
                ownsHandle = false
                return
            }
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let handle = FileHandle(forWritingAtPath: path) else {
                throw ValidationError("--output: cannot create \(path)")
            }
            self.handle = handle
            ownsHandle = true
        }

        mutating func write(_ text: String) throws {
            try handle.write(contentsOf: Data(text.utf8))
        }

        func close() throws {
            if ownsHandle { try handle.close() }
        }
    }
}
