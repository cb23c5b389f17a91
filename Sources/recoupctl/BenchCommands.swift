import ArgumentParser
import Foundation
import RecoupWorker

/// `recoupctl bench …`: performance measurements (issue 7). They write real rows and messages:
/// point them at a bench database and vhost (`Deploy/dev bench` makes fresh ones).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure performance against the configured servers (use a bench database and vhost: Deploy/dev bench).",
        subcommands: [Ceilings.self])

    struct Ceilings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The ceilings recoupd is judged against: PostgreSQL committing one event's transaction at a time, and a raw rabbitmq-c relay with confirms.")
        @OptionGroup var options: ConfigOption
        @Option(name: .long, help: "Event transactions for the PostgreSQL ceiling.") var events = 5_000
        @Option(name: .long, help: "Messages for the relay ceiling.") var messages = 20_000

        func run() async throws {
            let configuration = try options.load()
            guard configuration.environment == .development else {
                throw ValidationError("\(configuration.file): bench writes rows and messages; it runs only with environment: development")
            }
            guard events > 0, messages > 0 else { throw ValidationError("--events and --messages must be at least 1") }
            let policy: LoadedPolicy
            do { policy = try LoadedPolicy.load(configuration) } catch { throw ValidationError("\(error)") }
            let logger = makeLogger(configuration)
            print(try await CeilingBenchmarks.postgres(events: events, configuration: configuration, policy: policy, logger: logger).line)
            print(try await CeilingBenchmarks.amqpRelay(messages: messages, configuration: configuration, logger: logger).line)
        }
    }
}
