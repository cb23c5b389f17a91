import Logging
import RecoupStore
import ServiceLifecycle
import UnixSignals

/// Reloads the policy files on SIGHUP. A policy that validates replaces the running one for
/// the next event and the next timer batch (work in flight finishes under the old one); one that
/// does not is refused, named by file and line in the log, and the running policy stays.
struct PolicyReloadService: Service {
    let configuration: RecoupConfiguration
    let reactions: ReactionsHolder
    let counters: Counters
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in hangups { reload() }
        }
    }

    func reload() {
        do {
            let policy = try LoadedPolicy.load(configuration)
            reactions.replace(policy.reactions)
            counters.increment(.policyReloads, ["outcome": "applied"])
            logger.notice("policy reloaded", metadata: [
                "policy": "\(configuration.policyDirectory)", "decline_codes": "\(policy.payments.taxonomy.entries.count)",
                "network_rules": "\(policy.payments.networkRules.count)", "templates": "\(policy.templates.templates.count)",
            ])
        } catch {
            counters.increment(.policyReloads, ["outcome": "refused"])
            // Config errors name a file, a line and a key: no personal data.
            logger.error("policy reload refused; the running policy stays", metadata: ["error": "\(error)"])
        }
    }
}
