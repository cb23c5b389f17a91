import Foundation
import RecoupConfig
import RecoupCore
import RecoupStore

/// The policy `recoupd` runs with, loaded from `policy.directory` and validated as a whole:
/// a daemon with a broken policy file refuses to start and names the file and line.
public struct LoadedPolicy: Sendable {
    public var payments: PaymentRules
    public var templates: TemplateLibrary

    public static func load(_ configuration: RecoupConfiguration) throws(ConfigError) -> LoadedPolicy {
        let directory = configuration.policyDirectory
        let payments = try PaymentRulesFiles.load(directory: directory)
        let templates = try TemplateFiles.load(directory: directory)
        let required = TemplateLibrary.Key(channel: PaymentFailureNotice.channel, stage: PaymentFailureNotice.stage,
                                           tone: PaymentFailureNotice.tone, locale: TemplateLibrary.fallbackLocale)
        guard templates.templates[required] != nil else {
            throw ConfigError(file: "\(directory)/\(TemplateFiles.folder)/\(required.channel)/\(required.stage)/\(required.tone).\(required.locale).mustache",
                              line: nil, message: "required: the payment-failure notice in the fallback locale")
        }
        return LoadedPolicy(payments: payments, templates: templates)
    }

    public var reactions: PaymentReactions { PaymentReactions(rules: payments, templates: templates) }
}
