import Foundation
import Logging
import Testing
@testable import RecoupWorker

@Suite("JSON log lines")
struct JSONLogHandlerTests {
    @Test("one parseable JSON object per line, metadata included, control characters escaped")
    func lines() throws {
        let sink = LogSink.capturing()
        var logger = Logger(label: "test") { JSONLogHandler(label: $0, level: .debug, sink: sink) }
        logger[metadataKey: "queue"] = "recoup.invoices"
        logger.info("event \"processed\"\nsecond line", metadata: ["event_id": "evt_1", "n": .stringConvertible(3)])
        logger.trace("below the level")

        #expect(sink.captured.count == 1)
        let line = try #require(sink.captured.first)
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "event \"processed\"\nsecond line")
        #expect(object["level"] as? String == "info")
        #expect(object["queue"] as? String == "recoup.invoices")
        #expect(object["event_id"] as? String == "evt_1")
        #expect(object["n"] as? String == "3")
        #expect((object["ts"] as? String)?.hasSuffix("Z") == true)
    }
}
