import Foundation
import RecoupConfig
import RecoupCore
import RecoupStore

/// The policy `recoupd` runs with, loaded from `policy.directory` and validated as a whole:
/// a daemon with a broken policy file refuses to start and names the file and line.
public struct LoadedPolicy: Sendable {
    public var payments: PaymentRules
    public var templates: TemplateLibrary
    /// The cadence policy: journey table, segmentation, contact caps and quiet hours, pauses.
    public var journey: JourneyPolicy
    public var segmentation: SegmentationPolicy
    public var contact: ContactPolicy
    public var pauses: PausePolicy
    /// Escalation owners and thresholds, and when a reply needs a person.
    public var escalation: EscalationPolicy

    public static func load(_ configuration: RecoupConfiguration) throws(ConfigError) -> LoadedPolicy {
        let directory = configuration.policyDirectory
        let payments = try PaymentRulesFiles.load(directory: directory)
        let (journey, segmentation) = try CadenceFiles.load(directory: directory)
        let contact = try CadenceFiles.loadContact(directory: directory)
        let pauses = try CadenceFiles.loadPauses(directory: directory)
        let escalation = try CadenceFiles.loadEscalations(directory: directory)
        let templates = try TemplateFiles.load(directory: directory)
        let required = TemplateLibrary.Key(channel: PaymentFailureNotice.channel, stage: PaymentFailureNotice.stage,
                                           tone: PaymentFailureNotice.tone, locale: TemplateLibrary.fallbackLocale)
        guard templates.templates[required] != nil else {
            throw ConfigError(file: "\(directory)/\(TemplateFiles.folder)/\(required.channel)/\(required.stage)/\(required.tone).\(required.locale).mustache",
                              line: nil, message: "required: the payment-failure notice in the fallback locale")
        }
        for rule in journey.stages {
            for tier in ValueTier.allCases {
                for channel in rule.actions(for: tier).messages {
                    let key = TemplateLibrary.Key(channel: channel.rawValue, stage: rule.stage.rawValue, tone: rule.tone.rawValue,
                                                  locale: TemplateLibrary.fallbackLocale)
                    guard templates.templates[key] != nil else {
                        throw ConfigError(file: "\(directory)/\(CadenceFiles.journeysFile)", line: rule.line,
                                          message: "\(rule.ruleID) sends \(channel.rawValue) to \(tier.rawValue) accounts, but there is no template \(TemplateFiles.folder)/\(key.channel)/\(key.stage)/\(key.tone).\(key.locale).mustache")
                    }
                }
            }
        }
        return LoadedPolicy(payments: payments, templates: templates, journey: journey, segmentation: segmentation, contact: contact,
                            pauses: pauses, escalation: escalation)
    }

    /// What `recoupctl policy check` prints.
    public var summary: [String] {
        let locales = Set(templates.templates.keys.map(\.locale)).sorted()
        return [
            "decline codes: \(payments.taxonomy.entries.count) (\(DeclineVocabulary.allCases.map { vocabulary in "\(vocabulary.rawValue) \(payments.taxonomy.entries.filter { $0.vocabulary == vocabulary }.count)" }.joined(separator: ", ")))",
            "network and scheme rules: \(payments.networkRules.count); Recoup caps: \(payments.policy.caps.count)",
            "retry schedules: " + DeclineCategory.allCases.map { category in
                let schedule = payments.policy.rule(for: category).retryAfter.map(ClockText.format)
                return "\(category.rawValue) [\(schedule.joined(separator: ", "))]"
            }.joined(separator: "; "),
            "journey stages (due at \(journey.sendHour):00 local): " + journey.stages.map { "\($0.stage.rawValue) (\($0.offsetDays >= 0 ? "+" : "")\($0.offsetDays)d, \($0.tone.rawValue))" }.joined(separator: ", "),
            "contact: \(contact.perChannelPerDay) per channel per day, \(contact.touchesPerWindow) touches per \(ClockText.format(contact.touchWindow)), messages \(contact.messageHours.lowerBound)-\(contact.messageHours.upperBound)h, SMS weekdays \(contact.smsHours.lowerBound)-\(contact.smsHours.upperBound)h",
            "pauses: promise + \(pauses.promiseGraceDays) days grace, hand-offs \(pauses.handOffBusinessDays) business days",
            "escalations: aging " + ValueTier.allCases.map { "\($0.rawValue) \(escalation.agingDays[$0] ?? 0)d" }.joined(separator: ", ")
                + "; owners " + ValueTier.allCases.map { "\($0.rawValue) \(escalation.owners[$0] ?? "-")" }.joined(separator: ", ")
                + "; replies below \(Int(escalation.replyMinConfidence * 100))% confidence go to a person",
            "templates: \(templates.templates.count) in \(locales.joined(separator: ", "))",
        ]
    }

    /// What events and timers set in motion under this policy.
    public var reactions: Reactions {
        let journeys = JourneyReactions(journey: journey, segmentation: segmentation, pauses: pauses, contact: contact,
                                        templates: templates)
        return Reactions(payments: PaymentReactions(rules: payments, templates: templates, contact: contact), journeys: journeys,
                         replies: ReplyReactions(escalation: escalation, journeys: journeys))
    }
}
