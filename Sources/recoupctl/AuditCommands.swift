import ArgumentParser
import Foundation
import RecoupWorker

/// `recoupctl audit …`: the audit trail's tamper evidence.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit trail's tamper evidence.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the audit log's hash chains and check every link and chain head.",
            discussion: """
                Exits 0 when every chain is intact, 1 when one is broken (naming the first broken row by \
                audit_id, chain, seq and kind; never its detail), 2 when the check could not run.
                """)
        @OptionGroup var options: ConfigOption
        @Option(name: .long, help: "Check only this account's chain.") var account: String?
        @Flag(name: .long, help: "One JSON object instead of a line of text.") var json = false

        func run() async throws {
            let configuration = try options.load()
            let outcome: AuditVerification.Outcome
            do {
                outcome = try await AuditVerification.verify(accountID: account, configuration: configuration,
                                                             logger: makeLogger(configuration))
            } catch {
                FileHandle.standardError.write(Data("audit verify could not run: \(error)\n".utf8))
                throw ExitCode(2)
            }
            print(json ? outcome.json.serialized : outcome.summary)
            if !outcome.isIntact { throw ExitCode(1) }
        }
    }
}
