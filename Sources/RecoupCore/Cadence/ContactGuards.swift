import Foundation

/// Limits on contacting a customer (POLICY.md, "Channels, consent, caps, quiet hours"), as data
/// (`Config/cadence/contact.yaml`).
public struct ContactPolicy: Sendable, Hashable {
    /// At most this many messages per channel per account per local day.
    public var perChannelPerDay: Int
    /// At most this many touches (one stage's outreach, whatever its channels) per account in
    /// any rolling window of `touchWindow`.
    public var touchesPerWindow: Int
    public var touchWindow: TimeInterval
    /// Local hours customer messages may go out: `[start, end)`.
    public var messageHours: Range<Int>
    /// Local hours, on weekdays only, for SMS and phone tasks.
    public var smsHours: Range<Int>

    public init(perChannelPerDay: Int = 1, touchesPerWindow: Int = 3, touchWindow: TimeInterval = 7 * 86_400,
                messageHours: Range<Int> = 8..<20, smsHours: Range<Int> = 9..<18) {
        self.perChannelPerDay = perChannelPerDay
        self.touchesPerWindow = touchesPerWindow
        self.touchWindow = touchWindow
        self.messageHours = messageHours
        self.smsHours = smsHours
    }
}

/// A message already sent to the account (any invoice), as the guards count them.
public struct SentMessage: Sendable, Hashable {
    public var channel: Channel
    public var at: Date
    /// The touch it belonged to: messages of one touch count once against the touch cap.
    public var touchID: String

    public init(channel: Channel, at: Date, touchID: String) {
        self.channel = channel
        self.at = at
        self.touchID = touchID
    }
}

/// What the account has agreed to be contacted on.
public struct Consents: Sendable, Hashable {
    public var email: Bool
    public var sms: Bool
    public var inApp: Bool

    public init(email: Bool = true, sms: Bool = false, inApp: Bool = true) {
        self.email = email
        self.sms = sms
        self.inApp = inApp
    }

    public func allows(_ channel: Channel) -> Bool {
        switch channel {
        case .email: email
        case .sms: sms
        case .inApp: inApp
        }
    }
}

/// When a touch may go out, and on which channels: channels without consent are dropped (the
/// customer said no); caps and quiet hours only ever defer, to the first moment every rule
/// allows. Pure.
public enum ContactGuards {
    public struct Decision: Sendable, Hashable {
        /// The channels that may carry the touch (empty: nothing can be sent).
        public var channels: [Channel]
        /// When: the requested time, or the first allowed moment after it.
        public var at: Date
        /// Channels dropped for want of consent, with the rule.
        public var dropped: [(channel: Channel, rule: String)]
        /// The rules that deferred the touch, in the order they applied.
        public var deferredBy: [String]

        public static func == (lhs: Decision, rhs: Decision) -> Bool {
            lhs.channels == rhs.channels && lhs.at == rhs.at && lhs.deferredBy == rhs.deferredBy
                && lhs.dropped.map(\.channel) == rhs.dropped.map(\.channel) && lhs.dropped.map(\.rule) == rhs.dropped.map(\.rule)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(channels)
            hasher.combine(at)
            hasher.combine(deferredBy)
        }
    }

    public static func decide(channels requested: [Channel], at requestedAt: Date, sent: [SentMessage], consents: Consents,
                              timeZone: TimeZone, policy: ContactPolicy) -> Decision {
        var dropped: [(Channel, String)] = []
        var channels: [Channel] = []
        for channel in requested where !channels.contains(channel) {
            if consents.allows(channel) { channels.append(channel) } else { dropped.append((channel, "consent.\(channel.rawValue)")) }
        }
        guard !channels.isEmpty else {
            return Decision(channels: [], at: requestedAt, dropped: dropped.map { ($0.0, $0.1) }, deferredBy: [])
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var time = requestedAt
        var deferredBy: [String] = []
        func note(_ rule: String) { if !deferredBy.contains(rule) { deferredBy.append(rule) } }

        // Each rule can only move the time later, so iterating to a fixed point ends; the bound is a guard.
        for _ in 0..<200 {
            var moved = false
            for channel in channels {
                let hours = channel == .sms ? policy.smsHours : policy.messageHours
                if let allowed = nextOpening(after: time, hours: hours, weekdaysOnly: channel == .sms, calendar: calendar), allowed > time {
                    time = allowed
                    note(channel == .sms ? "quiet_hours.sms" : "quiet_hours.messages")
                    moved = true
                }
                let sameDay = sent.filter { $0.channel == channel && calendar.isDate($0.at, inSameDayAs: time) }.count
                if sameDay >= policy.perChannelPerDay {
                    time = calendar.startOfDay(for: calendar.date(byAdding: .day, value: 1, to: time)!)
                    note("cap.per_channel_per_day")
                    moved = true
                }
            }
            let touches = Dictionary(grouping: sent, by: \.touchID).values.map { $0.map(\.at).min()! }
            if !SlidingWindow.allows(time, existing: touches, limit: policy.touchesPerWindow, length: policy.touchWindow) {
                time = SlidingWindow.earliest(after: time, existing: touches, limit: policy.touchesPerWindow, length: policy.touchWindow)
                note("cap.touches_per_window")
                moved = true
            }
            if !moved { break }
        }
        return Decision(channels: channels, at: time, dropped: dropped.map { ($0.0, $0.1) }, deferredBy: deferredBy)
    }

    /// The first moment at or after `time` a phone call may be made (the SMS and phone hours).
    public static func firstPhoneMoment(after time: Date, timeZone: TimeZone, policy: ContactPolicy) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return nextOpening(after: time, hours: policy.smsHours, weekdaysOnly: true, calendar: calendar) ?? time
    }

    /// The first moment at or after `time` inside `hours` (local), on a weekday when asked.
    static func nextOpening(after time: Date, hours: Range<Int>, weekdaysOnly: Bool, calendar: Calendar) -> Date? {
        var candidate = time
        for _ in 0..<14 {
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .weekday], from: candidate)
            let weekend = parts.weekday == 1 || parts.weekday == 7
            let hour = parts.hour ?? 0
            if !(weekdaysOnly && weekend) {
                if hours.contains(hour) { return candidate }
                if hour < hours.lowerBound {
                    return calendar.date(bySettingHour: hours.lowerBound, minute: 0, second: 0, of: candidate)
                }
            }
            let nextDay = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: candidate))!
            candidate = calendar.date(bySettingHour: hours.lowerBound, minute: 0, second: 0, of: nextDay) ?? nextDay
            if !(weekdaysOnly && { let w = calendar.component(.weekday, from: candidate); return w == 1 || w == 7 }()) {
                return candidate
            }
        }
        return nil
    }
}
