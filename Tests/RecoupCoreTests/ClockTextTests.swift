import Foundation
import Testing
@testable import RecoupCore

@Suite("Clock text")
struct ClockTextTests {
    @Test("durations", arguments: [
        ("7d", 7 * 86_400.0), ("36h", 36 * 3_600.0), ("90m", 5_400.0), ("30s", 30.0),
        ("1d12h30m", 131_400.0), ("0s", 0.0),
    ])
    func durations(text: String, seconds: TimeInterval) throws {
        #expect(try ClockText.duration(text) == seconds)
    }

    @Test("bad durations are refused with the text in the message", arguments: ["", "7", "d", "7w", "-1d", "1.5h", "1d2"])
    func badDurations(text: String) {
        #expect(throws: ClockText.Invalid.self) { try ClockText.duration(text) }
    }

    @Test("timestamps")
    func timestamps() throws {
        #expect(try ClockText.timestamp("2026-12-01T09:00:00Z") == Date(timeIntervalSince1970: 1_796_115_600))
        #expect(try ClockText.timestamp("2026-12-01T10:00:00+01:00") == Date(timeIntervalSince1970: 1_796_115_600))
        #expect(throws: ClockText.Invalid.self) { try ClockText.timestamp("2026-12-01") }
        #expect(throws: ClockText.Invalid.self) { try ClockText.timestamp("tomorrow") }
    }
}
