import Foundation
import PropertySupport
import Testing
@testable import RecoupCore

/// Consent, caps and quiet hours: examples, and a property over random contact histories that no
/// decision ever breaks one and none is dropped for a cap.
@Suite("Contact guards")
struct ContactGuardTests {
    static let policy = ContactPolicy()
    static let berlin = TimeZone(identifier: "Europe/Berlin")!
    static func at(_ text: String) -> Date { Timestamp.parse(text)! }

    static func decide(_ channels: [Channel], _ time: String, sent: [SentMessage] = [], consents: Consents = Consents(sms: true),
                       zone: TimeZone = berlin) -> ContactGuards.Decision {
        ContactGuards.decide(channels: channels, at: at(time), sent: sent, consents: consents, timeZone: zone, policy: policy)
    }

    @Test("examples: quiet hours, weekday SMS, one per channel per day, three touches a week, consent")
    func examples() {
        // 21:30 in Berlin: tomorrow 08:00.
        #expect(Self.decide([.email], "2026-12-02T20:30:00Z").at == Self.at("2026-12-03T07:00:00Z"))
        // SMS on a Saturday morning: Monday 09:00.
        #expect(Self.decide([.sms], "2026-12-05T09:00:00Z").at == Self.at("2026-12-07T08:00:00Z"))
        // An email went out today: tomorrow 08:00 (start of day, then quiet hours).
        let today = [SentMessage(channel: .email, at: Self.at("2026-12-02T08:00:00Z"), touchID: "t1")]
        let second = Self.decide([.email], "2026-12-02T13:00:00Z", sent: today)
        #expect(second.at == Self.at("2026-12-03T07:00:00Z"))
        #expect(second.deferredBy.contains("cap.per_channel_per_day"))
        // A different channel the same day is fine.
        #expect(Self.decide([.inApp], "2026-12-02T13:00:00Z", sent: today).at == Self.at("2026-12-02T13:00:00Z"))
        // Three touches in the last week: the fourth waits until the oldest is 7 days old.
        let week = ["2026-11-27T09:00:00Z", "2026-11-29T09:00:00Z", "2026-12-01T09:00:00Z"].enumerated().map {
            SentMessage(channel: .email, at: Self.at($0.element), touchID: "w\($0.offset)")
        }
        let fourth = Self.decide([.email], "2026-12-02T10:00:00Z", sent: week)
        #expect(fourth.at == Self.at("2026-12-04T09:00:00Z"))
        #expect(fourth.deferredBy == ["cap.touches_per_window"])
        // Two messages of one touch count once.
        let oneTouch = [SentMessage(channel: .email, at: Self.at("2026-12-01T09:00:00Z"), touchID: "x"),
                        SentMessage(channel: .inApp, at: Self.at("2026-12-01T09:00:00Z"), touchID: "x")]
        #expect(Self.decide([.email], "2026-12-02T10:00:00Z", sent: week.prefix(2) + oneTouch).at == Self.at("2026-12-04T09:00:00Z"))
        // No SMS consent: the SMS is dropped, the email goes.
        let noSMS = Self.decide([.email, .sms], "2026-12-02T10:00:00Z", consents: Consents())
        #expect(noSMS.channels == [.email])
        #expect(noSMS.dropped.map(\.rule) == ["consent.sms"])
        let nothing = Self.decide([.sms], "2026-12-02T10:00:00Z", consents: Consents())
        #expect(nothing.channels.isEmpty)
    }

    @Test("no decision breaks consent, quiet hours or a cap, and caps only defer (20,000 random histories)")
    func property() {
        var random = SeededGenerator(seed: 2026_12_02)
        let zones = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Chatham"].map { TimeZone(identifier: $0)! }
        let base = Self.at("2026-11-20T00:00:00Z")
        var deferred = 0
        for iteration in 0..<20_000 {
            let zone = zones.randomElement(using: &random)!
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            let time = base.addingTimeInterval(Double.random(in: 0...(16 * 86_400), using: &random))
            // What was sent before, mostly within the last week so the caps bite.
            let sent = (0..<Int.random(in: 0...8, using: &random)).map { index in
                SentMessage(channel: Channel.allCases.randomElement(using: &random)!,
                            at: time.addingTimeInterval(-Double.random(in: 0...(9 * 86_400), using: &random)),
                            touchID: "t\(Int.random(in: 0...index, using: &random))")
            }
            let requested = Array(Channel.allCases.shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random)))
            let consents = Consents(email: random.chance(9, in: 10), sms: random.chance(1, in: 2), inApp: random.chance(9, in: 10))
            let decision = ContactGuards.decide(channels: requested, at: time, sent: sent, consents: consents, timeZone: zone, policy: Self.policy)

            #expect(Set(decision.channels) == Set(requested.filter(consents.allows)), "iteration \(iteration)")
            guard !decision.channels.isEmpty else { continue }
            #expect(decision.at >= time)
            if decision.at > time { deferred += 1 }
            let hour = calendar.component(.hour, from: decision.at), weekday = calendar.component(.weekday, from: decision.at)
            for channel in decision.channels {
                if channel == .sms {
                    #expect(Self.policy.smsHours.contains(hour) && weekday != 1 && weekday != 7, "iteration \(iteration): SMS at \(hour)h day \(weekday)")
                } else {
                    #expect(Self.policy.messageHours.contains(hour), "iteration \(iteration): \(channel) at \(hour)h")
                }
                let sameDay = sent.filter { $0.channel == channel && calendar.isDate($0.at, inSameDayAs: decision.at) }.count
                #expect(sameDay < Self.policy.perChannelPerDay, "iteration \(iteration): a second \(channel) the same day")
            }
            let touches = Dictionary(grouping: sent, by: \.touchID).values.map { $0.map(\.at).min()! } + [decision.at]
            for start in touches where start <= decision.at && decision.at < start.addingTimeInterval(Self.policy.touchWindow) {
                let inside = touches.filter { $0 >= start && $0 < start.addingTimeInterval(Self.policy.touchWindow) }.count
                #expect(inside <= Self.policy.touchesPerWindow, "iteration \(iteration): \(inside) touches in a week")
            }
            // Deferral is bounded: a full week of touches, a day cap and a weekend of quiet hours at most.
            #expect(decision.at.timeIntervalSince(time) <= 11 * 86_400, "iteration \(iteration)")
        }
        #expect(deferred > 3_000, "the histories must make the guards work: \(deferred) deferred")
    }
}
