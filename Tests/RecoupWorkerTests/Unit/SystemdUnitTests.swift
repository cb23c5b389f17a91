import Foundation
import Testing
import TestSupport

/// `Deploy/systemd/recoupd@.service` is what ops install: it must be a unit systemd accepts
/// without a warning, and keep the settings the daemon relies on.
@Suite("systemd unit file")
struct SystemdUnitTests {
    static let unit = TestEnvironment.repositoryRoot.appendingPathComponent("Deploy/systemd/recoupd@.service")

    /// `Key=Value` lines of the [Service] section (a key may repeat).
    static func serviceSettings(_ text: String) -> [(key: String, value: String)] {
        var section = ""
        var settings: [(String, String)] = []
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("#") || line.isEmpty { continue }
            if line.hasPrefix("[") { section = line; continue }
            guard section == "[Service]", let equals = line.firstIndex(of: "=") else { continue }
            settings.append((String(line[..<equals]), String(line[line.index(after: equals)...])))
        }
        return settings
    }

    @Test("it declares notify, the watchdog, restarts, hardening and credentials")
    func lint() throws {
        let settings = Self.serviceSettings(try String(contentsOf: Self.unit, encoding: .utf8))
        func value(_ key: String) -> String? { settings.last { $0.key == key }?.value }
        #expect(value("Type") == "notify")
        #expect(value("NotifyAccess") == "main")
        #expect(value("WatchdogSec").map { !$0.isEmpty && $0 != "0" } == true)
        #expect(value("Restart") == "on-failure")
        #expect(value("RestartPreventExitStatus") == "78", "a bad configuration (EX_CONFIG) must not restart in a loop")
        #expect(value("NoNewPrivileges") == "yes")
        #expect(value("ProtectSystem") == "strict")
        #expect(value("PrivateTmp") == "yes")
        #expect(value("ExecReload")?.contains("-HUP") == true)
        let credentials = Set(settings.filter { $0.key == "LoadCredential" }.compactMap { $0.value.split(separator: ":").first.map(String.init) })
        // The names RecoupConfiguration reads from $CREDENTIALS_DIRECTORY.
        #expect(credentials.isSuperset(of: ["amqp-password", "postgres-password"]))
        #expect(!settings.contains { $0.key == "Environment" && $0.value.uppercased().contains("PASSWORD") }, "secrets travel as credentials")
        #expect(value("Environment")?.contains("RECOUP_ADMIN_PORT=947%i") == true, "each instance its own admin port")
    }

    @Test("systemd-analyze verify accepts it without a warning, and does warn on a broken copy")
    func verify() async throws {
        let analyzer = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: analyzer) else {
            // The lint test above still runs; say plainly that this one had nothing to run.
            Issue.record("systemd-analyze is not installed on this machine")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("recoup-unit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // verify checks that ExecStart exists: point it at the binary this build made.
        let recoupd = DaemonHarness.binDirectory.appendingPathComponent("recoupd").path
        let text = try String(contentsOf: Self.unit, encoding: .utf8)
            .replacingOccurrences(of: "ExecStart=/usr/local/bin/recoupd", with: "ExecStart=\(recoupd)")

        func analyze(_ unitText: String, as name: String) async throws -> (status: Int32, err: String) {
            let path = directory.appendingPathComponent(name).path
            try unitText.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try await TestEnvironment.offPool { try TestEnvironment.capture(URL(fileURLWithPath: analyzer), ["verify", path]) }
            return (result.status, result.out + result.err)
        }
        let good = try await analyze(text, as: "recoupd@0.service")
        #expect(good.status == 0)
        #expect(good.err.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "systemd-analyze said: \(good.err)")

        let broken = try await analyze(text.replacingOccurrences(of: "NoNewPrivileges=yes", with: "NoNewPrivilege=yes")
            .replacingOccurrences(of: "Type=notify", with: "Type=notfy"), as: "recoupd@1.service")
        #expect(broken.err.contains("NoNewPrivilege") && broken.err.contains("notfy"), "systemd-analyze said: \(broken.err)")
    }
}
