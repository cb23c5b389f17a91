import Foundation
import RecoupCore

/// Loads `Config/cadence/journeys.yaml` and `segments.yaml`. Errors name the file, the line and
/// the rule (`journey.<stage>`).
public enum CadenceFiles {
    public static let journeysFile = "cadence/journeys.yaml"
    public static let segmentsFile = "cadence/segments.yaml"
    public static let contactFile = "cadence/contact.yaml"
    public static let pausesFile = "cadence/pauses.yaml"

    /// What pauses an invoice's journey, and for how long.
    public static func loadPauses(directory: String) throws(ConfigError) -> PausePolicy {
        return try PausesFile.parse(try ConfigNode.load(pausesFile, in: directory))
    }

    /// The contact caps and quiet hours.
    public static func loadContact(directory: String) throws(ConfigError) -> ContactPolicy {
        return try ContactFile.parse(try ConfigNode.load(contactFile, in: directory))
    }

    public static func load(directory: String) throws(ConfigError) -> (JourneyPolicy, SegmentationPolicy) {
        return (try JourneyFile.parse(try ConfigNode.load(journeysFile, in: directory)),
                try SegmentsFile.parse(try ConfigNode.load(segmentsFile, in: directory)))
    }
}

package enum JourneyFile {
    static let owners = ["account_team", "collector", "collections_lead", "service_impact", "write_off_review"]
    static let taskKinds = ["phone_call", "review"]

    package static func parse(text: String, file: String) throws(ConfigError) -> JourneyPolicy {
        try parse(try ConfigNode.parse(file: file, text: text))
    }

    static func parse(_ root: ConfigNode) throws(ConfigError) -> JourneyPolicy {
        var root = root
        var strategic = try root.section("strategic")
        let first = try strategic?.bool("account_team_first", default: true) ?? true
        let days = try strategic?.int("business_days", default: 2, in: 0...30) ?? 2
        try strategic?.rejectUnknownKeys()
        let sendHour = try root.int("send_hour", default: 10, in: 0...23)

        var rules: [StageRule] = []
        var seen: [JourneyStage: Int] = [:]
        for record in try root.records("stages") {
            var record = record
            guard let stage: JourneyStage = try record.choice("stage") else { throw record.error("\(record.keyPath("stage")): required") }
            let rule = "journey.\(stage.rawValue)"
            func fail(_ message: String) -> ConfigError { record.error("\(message) (rule \(rule))") }
            if let earlier = seen[stage] { throw fail("stage \(stage.rawValue) is listed twice (first on line \(earlier))") }
            seen[stage] = record.line ?? 0
            guard let offset = try record.int("offset_days", in: -60...365) else { throw fail("offset_days: required") }
            let audience: StageAudience = try record.choice("audience", default: .all)
            guard let tone: Tone = try record.choice("tone") else { throw fail("tone: required") }
            var actions: [ValueTier: StageActions] = [:]
            for tier in ValueTier.allCases {
                if var body = try record.section(tier.rawValue) { actions[tier] = try stageActions(&body, rule: rule) }
            }
            var defaultActions: StageActions?
            if var body = try record.section("default") { defaultActions = try stageActions(&body, rule: rule) }
            try record.rejectUnknownKeys()
            if defaultActions == nil && ValueTier.allCases.contains(where: { actions[$0] == nil }) {
                throw fail("give `default` or an entry for every tier (long_tail, mid_market, strategic)")
            }
            rules.append(StageRule(stage: stage, offsetDays: offset, audience: audience, tone: tone, actions: actions,
                                   defaultActions: defaultActions, line: record.line))
        }
        guard !rules.isEmpty else { throw root.error("stages: the journey has no stages") }
        let byOffset = rules.sorted { $0.offsetDays < $1.offsetDays }.map(\.stage)
        guard byOffset == byOffset.sorted() else {
            throw root.error("stages: offsets must follow the stage order (\(JourneyStage.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        try root.rejectUnknownKeys()
        return JourneyPolicy(stages: rules, accountTeamFirst: first, accountTeamBusinessDays: days, sendHour: sendHour)
    }

    static func stageActions(_ body: inout ConfigNode, rule: String) throws(ConfigError) -> StageActions {
        var messages: [Channel] = []
        for name in try body.strings("messages") {
            guard let channel = Channel(rawValue: name) else {
                throw body.error("\(body.keyPath("messages")): \(name.debugDescription) is not one of \(Channel.allCases.map(\.rawValue).joined(separator: ", ")) (rule \(rule))")
            }
            messages.append(channel)
        }
        let task = try body.string("task")
        if let task, !taskKinds.contains(task) {
            throw body.error("\(body.keyPath("task")): \(task.debugDescription) is not one of \(taskKinds.joined(separator: ", ")) (rule \(rule))")
        }
        let escalation = try body.string("escalation")
        if let escalation, !owners.contains(escalation) {
            throw body.error("\(body.keyPath("escalation")): \(escalation.debugDescription) is not one of \(owners.joined(separator: ", ")) (rule \(rule))")
        }
        try body.rejectUnknownKeys()
        let actions = StageActions(messages: messages, task: task, escalation: escalation)
        if actions.isEmpty { throw body.error("\(body.path): give messages, a task or an escalation (rule \(rule))") }
        return actions
    }
}

package enum SegmentsFile {
    package static func parse(text: String, file: String) throws(ConfigError) -> SegmentationPolicy {
        try parse(try ConfigNode.parse(file: file, text: text))
    }

    static func parse(_ root: ConfigNode) throws(ConfigError) -> SegmentationPolicy {
        var root = root
        var policy = SegmentationPolicy()
        if var tiers = try root.section("value_tiers") {
            policy.strategicFrom = Int64(try tiers.int("strategic_from", default: Int(policy.strategicFrom), in: 1...1_000_000_000_000))
            policy.midMarketFrom = Int64(try tiers.int("mid_market_from", default: Int(policy.midMarketFrom), in: 1...1_000_000_000_000))
            guard policy.midMarketFrom < policy.strategicFrom else {
                throw tiers.error("value_tiers: mid_market_from must be below strategic_from (rule segment.value_tier)")
            }
            try tiers.rejectUnknownKeys()
        }
        if var cohorts = try root.section("cohorts") {
            policy.recentInvoices = try cohorts.int("recent_invoices", default: policy.recentInvoices, in: 1...100)
            policy.reliablyLateMaxDays = try cohorts.int("reliably_late_max_days", default: policy.reliablyLateMaxDays, in: 1...365)
            policy.chronicLateDays = try cohorts.int("chronic_late_days", default: policy.chronicLateDays, in: 1...3650)
            policy.chronicCount = try cohorts.int("chronic_count", default: policy.chronicCount, in: 1...100)
            if let window = try cohorts.duration("chronic_window") { policy.chronicWindowDays = Int(window / 86_400) }
            guard policy.reliablyLateMaxDays < policy.chronicLateDays else {
                throw cohorts.error("cohorts: reliably_late_max_days must be below chronic_late_days (rule segment.cohort)")
            }
            try cohorts.rejectUnknownKeys()
        }
        if var flags = try root.section("risk_flags") {
            if let recent = try flags.duration("recent_failure_within") { policy.recentFailureDays = Int(recent / 86_400) }
            try flags.rejectUnknownKeys()
        }
        policy.preDueOptInTag = try root.string("pre_due_opt_in_tag", default: policy.preDueOptInTag)
        try root.rejectUnknownKeys()
        return policy
    }
}

package enum ContactFile {
    package static func parse(text: String, file: String) throws(ConfigError) -> ContactPolicy {
        try parse(try ConfigNode.parse(file: file, text: text))
    }

    static func parse(_ root: ConfigNode) throws(ConfigError) -> ContactPolicy {
        var root = root
        var policy = ContactPolicy()
        if var caps = try root.section("caps") {
            policy.perChannelPerDay = try caps.int("per_channel_per_day", default: policy.perChannelPerDay, in: 1...24)
            policy.touchesPerWindow = try caps.int("touches_per_window", default: policy.touchesPerWindow, in: 1...100)
            if let window = try caps.duration("touch_window") {
                guard window >= 86_400 else { throw caps.error("\(caps.keyPath("touch_window")): at least 1d (rule contact.touch_cap)") }
                policy.touchWindow = window
            }
            try caps.rejectUnknownKeys()
        }
        if var quiet = try root.section("quiet_hours") {
            if var messages = try quiet.section("messages") {
                policy.messageHours = try hours(&messages, rule: "quiet_hours.messages")
                try messages.rejectUnknownKeys()
            }
            if var sms = try quiet.section("sms_and_phone") {
                policy.smsHours = try hours(&sms, rule: "quiet_hours.sms")
                guard try sms.bool("weekdays_only", default: true) else {
                    throw sms.error("\(sms.keyPath("weekdays_only")): SMS and phone tasks are weekday-only in this version (rule quiet_hours.sms)")
                }
                try sms.rejectUnknownKeys()
            }
            try quiet.rejectUnknownKeys()
        }
        try root.rejectUnknownKeys()
        return policy
    }

    static func hours(_ node: inout ConfigNode, rule: String) throws(ConfigError) -> Range<Int> {
        guard let from = try node.int("from", in: 0...23), let until = try node.int("until", in: 1...24) else {
            throw node.error("\(node.path): give from and until (local hours) (rule \(rule))")
        }
        guard from < until else { throw node.error("\(node.path): from must be before until (rule \(rule))") }
        return from..<until
    }
}

package enum PausesFile {
    package static func parse(text: String, file: String) throws(ConfigError) -> PausePolicy {
        try parse(try ConfigNode.parse(file: file, text: text))
    }

    static func parse(_ root: ConfigNode) throws(ConfigError) -> PausePolicy {
        var root = root
        var policy = PausePolicy()
        if var promise = try root.section("promise_to_pay") {
            policy.promiseGraceDays = try promise.int("grace_days", default: policy.promiseGraceDays, in: 0...60)
            try promise.rejectUnknownKeys()
        }
        if var handOff = try root.section("hand_off") {
            policy.handOffBusinessDays = try handOff.int("business_days", default: policy.handOffBusinessDays, in: 1...60)
            try handOff.rejectUnknownKeys()
        }
        try root.rejectUnknownKeys()
        return policy
    }
}

extension CadenceFiles {
    public static let escalationsFile = "cadence/escalations.yaml"

    /// Escalation owners and thresholds, and when a reply goes to a person.
    public static func loadEscalations(directory: String) throws(ConfigError) -> EscalationPolicy {
        try EscalationsFile.parse(try ConfigNode.load(escalationsFile, in: directory))
    }
}

package enum EscalationsFile {
    package static func parse(text: String, file: String) throws(ConfigError) -> EscalationPolicy {
        try parse(try ConfigNode.parse(file: file, text: text))
    }

    static func parse(_ root: ConfigNode) throws(ConfigError) -> EscalationPolicy {
        var root = root
        var policy = EscalationPolicy()
        if var aging = try root.section("aging_days") {
            for tier in ValueTier.allCases {
                policy.agingDays[tier] = try aging.int(tier.rawValue, default: policy.agingDays[tier] ?? 30, in: 1...365)
            }
            try aging.rejectUnknownKeys()
        }
        if var owners = try root.section("owners") {
            for tier in ValueTier.allCases {
                let owner = try owners.string(tier.rawValue, default: policy.owners[tier] ?? "collector")
                guard EscalationPolicy.ownerNames.contains(owner) else {
                    throw owners.error("\(owners.keyPath(tier.rawValue)): \"\(owner)\" is not an owner (one of \(EscalationPolicy.ownerNames.joined(separator: ", ")))",
                                       key: tier.rawValue)
                }
                policy.owners[tier] = owner
            }
            try owners.rejectUnknownKeys()
        }
        policy.collectionsLeadAfterDays = try root.int("collections_lead_after_days", default: policy.collectionsLeadAfterDays, in: 1...365)
        policy.writeOffReviewAfterDays = try root.int("write_off_review_after_days", default: policy.writeOffReviewAfterDays, in: 1...730)
        policy.repeatedShortPays = try root.int("repeated_short_pays", default: policy.repeatedShortPays, in: 2...20)
        if var replies = try root.section("replies") {
            policy.replyMinConfidence = Double(try replies.int("min_confidence_percent", default: 60, in: 0...100)) / 100
            if replies.has("frustration_to_account_team") {
                var tiers: Set<ValueTier> = []
                for name in try replies.strings("frustration_to_account_team") {
                    guard let tier = ValueTier(rawValue: name) else {
                        throw replies.error("\(replies.keyPath("frustration_to_account_team")): \"\(name)\" is not a tier (strategic, mid_market, long_tail)",
                                             key: "frustration_to_account_team")
                    }
                    tiers.insert(tier)
                }
                policy.frustrationToAccountTeam = tiers
            }
            try replies.rejectUnknownKeys()
        }
        try root.rejectUnknownKeys()
        return policy
    }
}
