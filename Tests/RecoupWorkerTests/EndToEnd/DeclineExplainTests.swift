import Foundation
import RecoupCore
import Testing
import TestSupport

/// `recoupctl decline explain` as support engineers run it.
@Suite("recoupctl decline explain")
struct DeclineExplainTests {
    static func explain(_ arguments: [String]) async throws -> (status: Int32, json: JSONValue?, err: String) {
        let config = TestEnvironment.repositoryRoot.appendingPathComponent("Config/recoupd.yaml").path
        let result = try await TestEnvironment.offPool {
            try TestEnvironment.capture(DaemonHarness.binDirectory.appendingPathComponent("recoupctl"),
                                        ["decline", "explain"] + arguments + ["--config", config])
        }
        return (result.status, try? JSONParser.parse(Array(result.out.utf8)), result.err)
    }

    @Test("insufficient funds on Visa: retried after 3 days, with the Visa rules that govern it")
    func funds() async throws {
        let result = try await Self.explain(["insufficient_funds", "--network", "visa"])
        #expect(result.status == 0, "\(result.err)")
        let json = try #require(result.json)
        #expect(json["category"]?.stringValue == "insufficient_funds")
        #expect(json["known"]?.boolValue == true)
        #expect(json["retry"]?["will_retry"]?.boolValue == true)
        #expect(json["retry"]?["first_retry_after"]?.stringValue == "3d")
        #expect(json["retry"]?["schedule"] == .array([.string("3d"), .string("5d"), .string("7d")]))
        let ids = json["network_rules"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        #expect(ids.contains("visa.reattempts_30d.2026"))
        #expect(json["recoup_caps"]?.arrayValue?.first?["id"]?.stringValue == "policy.visa.reattempts_30d")
        #expect(json["customer_reason"]?.stringValue?.isEmpty == false)
    }

    @Test("a Visa category-1 code is never retried, and says which rule forbids it")
    func categoryOne() async throws {
        let json = try #require(try await Self.explain(["43", "--scheme", "iso8583", "--network", "visa"]).json)
        #expect(json["category"]?.stringValue == "do_not_retry")
        #expect(json["retry"]?["will_retry"]?.boolValue == false)
        let triggered = json["network_rules"]?.arrayValue?.filter { $0["triggered_by_this_code"]?.boolValue == true && $0["limit"]?.stringValue?.hasPrefix("never") == true }
        #expect(triggered?.first?["id"]?.stringValue == "visa.category_1.never")
        #expect(CustomerWording.forbiddenWords(in: json["customer_reason"]?.stringValue ?? "") == [])
    }

    @Test("Mastercard advice 03 turns a soft decline into never; an unknown code is reported as such")
    func adviceAndUnknown() async throws {
        let advice = try #require(try await Self.explain(["05", "--scheme", "iso8583", "--network", "mastercard", "--advice", "03"]).json)
        #expect(advice["category"]?.stringValue == "do_not_retry")
        #expect(advice["retry"]?["rules"]?.arrayValue?.contains(.string("mastercard.mac.never")) == true)
        let unknown = try #require(try await Self.explain(["zz_brand_new"]).json)
        #expect(unknown["known"]?.boolValue == false)
        #expect(unknown["category"]?.stringValue == "unknown")
        let bad = try await Self.explain(["05", "--scheme", "visa"])
        #expect(bad.status != 0)
        #expect(bad.err.contains("--scheme"))
    }
}

/// A broken policy file stops `recoupd` at start, naming the file and line, before it touches
/// the broker or the database.
@Suite("recoupd with a broken policy file")
struct BrokenPolicyTests {
    @Test("recoupd exits 78 (EX_CONFIG) and names the file and line")
    func refusesToStart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recoup-policy-\(UUID().uuidString.prefix(8))")
        try FileManager.default.copyItem(at: TestEnvironment.repositoryRoot.appendingPathComponent("Config"), to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let policy = folder.appendingPathComponent("payments/retry-policy.yaml")
        let text = try String(contentsOf: policy, encoding: .utf8)
        let broken = text.replacingOccurrences(of: "backup: when_exhausted, notify_from_failure: 2}", with: "backup: sometimes, notify_from_failure: 2}")
        #expect(broken != text)
        try broken.write(to: policy, atomically: true, encoding: .utf8)
        let line = (broken.components(separatedBy: "\n").firstIndex { $0.contains("backup: sometimes") } ?? -1) + 1
        let config = folder.appendingPathComponent("recoupd.yaml").path
        let result = try await TestEnvironment.offPool {
            try TestEnvironment.capture(DaemonHarness.binDirectory.appendingPathComponent("recoupd"), ["--config", config],
                                        environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RECOUP_") })
        }
        #expect(result.status == 78)
        #expect(result.err.contains("retry-policy.yaml:\(line):"), "\(result.err)")
        #expect(result.err.contains("sometimes"))
    }
}

/// `recoupctl policy check` validates every policy file as recoupd does, and names the line.
@Suite("recoupctl policy check")
struct PolicyCheckTests {
    static func check(_ config: String) async throws -> (status: Int32, out: String, err: String) {
        try await TestEnvironment.offPool {
            try TestEnvironment.capture(DaemonHarness.binDirectory.appendingPathComponent("recoupctl"), ["policy", "check", "--config", config])
        }
    }

    @Test("the shipped policy is OK and summarised; a broken journey file names its line and rule")
    func check() async throws {
        let ok = try await Self.check(TestEnvironment.repositoryRoot.appendingPathComponent("Config/recoupd.yaml").path)
        #expect(ok.status == 0, "\(ok.err)")
        #expect(ok.out.contains(": OK"))
        #expect(ok.out.contains("decline codes: 202"))
        #expect(ok.out.contains("overdue_7 (+7d, firm)"))
        #expect(ok.out.contains("en-US"))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recoup-policy-\(UUID().uuidString.prefix(8))")
        try FileManager.default.copyItem(at: TestEnvironment.repositoryRoot.appendingPathComponent("Config"), to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let journeys = folder.appendingPathComponent("cadence/journeys.yaml")
        let text = try String(contentsOf: journeys, encoding: .utf8)
        let broken = text.replacingOccurrences(of: "tone: matter_of_fact", with: "tone: grumpy")
        try broken.write(to: journeys, atomically: true, encoding: .utf8)
        let line = (broken.components(separatedBy: "\n").firstIndex { $0.contains("grumpy") } ?? -1) + 1
        let bad = try await Self.check(folder.appendingPathComponent("recoupd.yaml").path)
        #expect(bad.status != 0)
        #expect(bad.err.contains("journeys.yaml:\(line):"), "\(bad.err)")
        #expect(bad.err.contains("grumpy"))
    }
}
