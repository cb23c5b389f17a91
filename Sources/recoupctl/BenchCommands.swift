import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RecoupWorker

/// `recoupctl bench …`: performance measurements (issue 7). They write real rows and messages:
/// point them at a bench database and vhost (`Deploy/dev bench` makes fresh ones).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure performance against the configured servers (use a bench database and vhost: Deploy/dev bench).",
        subcommands: [Ceilings.self, Run.self, Timers.self])

    /// The configuration and policy a bench command runs with; refused unless the environment
    /// is a development one, since every bench writes real rows and messages.
    static func load(_ options: ConfigOption) throws -> (RecoupConfiguration, LoadedPolicy) {
        let configuration = try options.load()
        guard configuration.environment == .development else {
            throw ValidationError("\(configuration.file): bench writes rows and messages; it runs only with environment: development")
        }
        do { return (configuration, try LoadedPolicy.load(configuration)) } catch { throw ValidationError("\(error)") }
    }

    struct Ceilings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The ceilings recoupd is judged against: PostgreSQL committing one event's transaction at a time, and a raw rabbitmq-c relay with confirms.")
        @OptionGroup var options: ConfigOption
        @Option(name: .long, help: "Event transactions for the PostgreSQL ceiling.") var events = 5_000
        @Option(name: .long, help: "Messages for the relay ceiling.") var messages = 20_000

        func run() async throws {
            guard events > 0, messages > 0 else { throw ValidationError("--events and --messages must be at least 1") }
            let (configuration, policy) = try BenchCommand.load(options)
            let logger = makeLogger(configuration)
            print(try await CeilingBenchmarks.postgres(events: events, configuration: configuration, policy: policy, logger: logger).line)
            print(try await CeilingBenchmarks.amqpRelay(messages: messages, configuration: configuration, logger: logger).line)
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End to end against the running recoupd of this configuration: the ceilings, then a month-start burst; events committed/s, outbound/s, publish-to-outbound latency, memory, and the ratios to the ceilings.",
            discussion: "Start recoupd on the same configuration first, on a fresh database and vhost: Deploy/dev bench run does it all.")
        @OptionGroup var options: ConfigOption
        @Option(name: .long, help: "Renewal invoices in the burst (the mix adds accounts, payments and replies).") var invoices = 20_000
        @Option(name: .long, help: "Accounts the invoices belong to (default: one per invoice).") var accounts: Int?
        @Option(name: .long, help: "Events per second to publish at; 0 publishes as fast as the broker confirms.") var rate = 0.0
        @Option(name: .long, help: "Event transactions for the PostgreSQL ceiling (0 skips it).") var ceilingEvents = 5_000
        @Option(name: .long, help: "Messages for the relay ceiling (0 skips it).") var relayMessages = 20_000
        @Option(name: .long, help: "recoupd's Prometheus page, for its memory (default: from admin.address and admin.port; none: not measured).")
        var metricsURL: String?
        @Option(name: .long, help: "Give up after this many seconds without a newly committed event.") var stallTimeout = 60
        @Flag(name: .long, help: "One JSON object instead of the report's text.") var json = false

        func validate() throws {
            guard invoices > 0, (accounts ?? 1) > 0 else { throw ValidationError("--invoices and --accounts must be at least 1") }
            guard rate >= 0, rate.isFinite, ceilingEvents >= 0, relayMessages >= 0 else {
                throw ValidationError("--rate, --ceiling-events and --relay-messages cannot be negative")
            }
            guard stallTimeout > 0 else { throw ValidationError("--stall-timeout must be at least 1") }
        }

        func run() async throws {
            let (configuration, policy) = try BenchCommand.load(options)
            let report = try await EndToEndBenchmark.run(
                EndToEndBenchmark.Options(invoices: invoices, accounts: accounts ?? invoices, rate: rate, ceilingEvents: ceilingEvents,
                                          relayMessages: relayMessages, stallTimeout: .seconds(stallTimeout)),
                configuration: configuration, policy: policy, logger: makeLogger(configuration), metrics: try metricsReader(configuration))
            print(json ? report.json.serialized : report.text)
        }

        /// GETs recoupd's `/metrics`; an error says where it looked and what to do.
        func metricsReader(_ configuration: RecoupConfiguration) throws -> EndToEndBenchmark.MetricsReader? {
            let text = metricsURL ?? (configuration.admin.enabled ? "http://\(configuration.admin.address):\(configuration.admin.port)/metrics" : "none")
            guard text != "none" else { return nil }
            guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https" else {
                throw ValidationError("--metrics-url: \"\(text)\" is not an http URL (or none)")
            }
            return {
                do {
                    let (data, response) = try await URLSession.shared.data(for: URLRequest(url: url, timeoutInterval: 5))
                    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                    guard status == 200 else { throw BenchError("HTTP \(status)") }
                    return String(decoding: data, as: UTF8.self)
                } catch {
                    throw BenchError("cannot read recoupd's metrics at \(url): \(error). Start recoupd on this configuration first (Deploy/dev bench run does), or pass --metrics-url none")
                }
            }
        }
    }
}

/// A failure of a bench command, said in a sentence.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
