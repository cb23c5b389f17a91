import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private RabbitMQ node of one test's own, which it may stop and start again to exercise
/// "the broker is down, then comes back" without disturbing the shared local broker.
///
/// Started by `Deploy/local-servers rabbitmq-start` with its own node name, data folder (under the
/// temporary directory) and ports, so it has its own epmd, Erlang cookie and mnesia. Like the
/// shared node it has vhost `recoup` and user recoup/recoup. Call `destroy()` when done, also on
/// failure: a node left behind keeps running after the tests end. `stop`, `startAgain` and
/// `destroy` must not be called concurrently on one broker.
public final class ScratchBroker: Sendable {
    /// Erlang node name, for instance `recoup-scratch-outage-1a2b3c4d@localhost`.
    public let nodeName: String
    /// Holds the node's data; `destroy()` deletes it.
    public let directory: URL
    /// AMQP port on 127.0.0.1.
    public let port: Int
    let amqpsPort: Int
    let distributionPort: Int
    let epmdPort: Int

    /// URL of the node's `recoup` vhost as user recoup.
    public var amqpURL: String { "amqp://recoup:recoup@127.0.0.1:\(port)/recoup" }

    private init(nodeName: String, directory: URL, ports: [Int]) {
        self.nodeName = nodeName
        self.directory = directory
        (port, amqpsPort, distributionPort, epmdPort) = (ports[0], ports[1], ports[2], ports[3])
    }

    /// Starts a new node named after `name` on free ports and returns once it accepts AMQP
    /// connections (a first boot takes several seconds). A port another process grabs between
    /// the check and the boot is retried with fresh ports.
    public static func start(name: String) async throws -> ScratchBroker {
        let label = sanitized(name)
        var attempt = 1
        while true {
            let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(8).lowercased()
            let node = "recoup-scratch-\(label)-\(suffix)@localhost"
            let ports = try reservePorts(4, for: node)
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("recoup-scratch-\(label)-\(suffix)", isDirectory: true)
            let broker = ScratchBroker(nodeName: node, directory: directory, ports: ports)
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                PortRegistry.shared.release(owner: node)
                throw error
            }
            do {
                try await broker.startAgain()
                return broker
            } catch let error as TestEnvironment.CommandFailed where attempt < 3 && isPortClash(error.stderr) {
                await broker.destroy()
                attempt += 1
            } catch {
                await broker.destroy()
                throw error
            }
        }
    }

    /// Stops the node; returns once its AMQP port refuses connections. Idempotent.
    public func stop() async throws {
        try await script(["rabbitmq-stop"])
        try await waitForPort(open: false)
    }

    /// Starts the node again on the same ports and data, so durable queues and persistent
    /// messages are back; returns once it accepts AMQP connections. Idempotent.
    public func startAgain() async throws {
        try await script(["rabbitmq-start"])
        try await waitForPort(open: true)
    }

    /// `stop()`, then `startAgain()`.
    public func restart() async throws {
        try await stop()
        try await startAgain()
    }

    /// Stops the node, deletes its data and gives its ports back. Idempotent, never throws (a
    /// node that will not stop is killed by the script).
    public func destroy() async {
        _ = try? await script(["rabbitmq-stop"])
        try? FileManager.default.removeItem(at: directory)
        PortRegistry.shared.release(owner: nodeName)
    }

    // MARK: - Processes

    /// Runs `Deploy/local-servers <command>` for this node, off the cooperative pool (it boots
    /// Erlang VMs and waits for them).
    @discardableResult
    private func script(_ command: [String]) async throws -> String {
        let path = TestEnvironment.repositoryRoot.appendingPathComponent("Deploy/local-servers").path
        let environment = [
            "RECOUP_LOCAL_DIR": directory.path,
            "RECOUP_LOCAL_RMQ_NODE": nodeName,
            "RECOUP_LOCAL_AMQP_PORT": String(port),
            "RECOUP_LOCAL_AMQPS_PORT": String(amqpsPort),
            "RECOUP_LOCAL_DIST_PORT": String(distributionPort),
            "RECOUP_LOCAL_EPMD_PORT": String(epmdPort),
        ]
        return try await TestEnvironment.offPool { try TestEnvironment.run([path] + command, environment: environment) }
    }

    /// Runs `rabbitmqctl -q ARGS` against this node (for instance `set_vm_memory_high_watermark 0`,
    /// which blocks every publisher until the node restarts); returns its output.
    @discardableResult
    public func rabbitmqctl(_ arguments: String...) async throws -> String {
        try await rabbitmqctl(arguments)
    }

    /// `rabbitmqctl(_:)` with the arguments in an array.
    @discardableResult
    public func rabbitmqctl(_ arguments: [String]) async throws -> String {
        try await script(["rabbitmqctl", "-q"] + arguments)
    }

    /// Polls the AMQP port until it accepts (or refuses) connections; the script's own wait
    /// already covers this, so it normally succeeds at once.
    private func waitForPort(open: Bool) async throws {
        try await Self.waitForPort(port, open: open, server: nodeName)
    }

    /// Polls 127.0.0.1:`port` until it accepts (or refuses) connections; throws naming `server`
    /// after `timeout`. Shared with `ScratchPostgres`.
    static func waitForPort(_ port: Int, open: Bool, server: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if accepts(port: port) == open { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ScratchBrokerError("\(server): port \(port) still \(open ? "closed" : "open") after \(timeout)")
    }

    // MARK: - Ports

    /// Picks `count` distinct ports that nothing listens on and no other scratch broker of this
    /// process holds. They come from below Linux's ephemeral range (32768–60999), so outgoing
    /// connections cannot take them while the node is down between `stop` and `startAgain`.
    static func reservePorts(_ count: Int, for owner: String) throws -> [Int] {
        let shared: Set<Int> = [TestEnvironment.amqpPort, 56771, 25679, 43699, TestEnvironment.postgresPort]
        // rabbitmqctl and friends listen on 35672–35682 for Erlang distribution: outside the range.
        let range = 20_000..<32_000
        for _ in 0..<1_000 {
            let candidates = (0..<count).map { _ in Int.random(in: range) }
            guard Set(candidates).count == count, shared.isDisjoint(with: candidates),
                  candidates.allSatisfy(canBind) else { continue }
            if PortRegistry.shared.reserve(candidates, owner: owner) { return candidates }
        }
        throw ScratchBrokerError("no free ports for a scratch broker in \(range)")
    }

    /// True when a socket can bind `port` on every interface (the Erlang distribution listens on
    /// 0.0.0.0, the AMQP listeners on 127.0.0.1; binding the wildcard conflicts with both).
    static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, streamSocket, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = 0                      // INADDR_ANY
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port` (a refused connect is
    /// immediate on loopback, so this never blocks for long).
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, streamSocket, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    #if os(Linux)
    private static let streamSocket = Int32(SOCK_STREAM.rawValue)
    #else
    private static let streamSocket = SOCK_STREAM
    #endif

    /// Whether a failed start looks like a port someone else took (worth another try elsewhere).
    static func isPortClash(_ stderr: String) -> Bool {
        let text = stderr.lowercased()
        return ["is taken by another process", "eaddrinuse", "address already in use", "listen error"]
            .contains { text.contains($0) }
    }

    /// Lowercase letters, digits and dashes, short: safe in an Erlang node name and a path.
    static func sanitized(_ name: String) -> String {
        let kept = name.lowercased().map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? $0 : "-" }
        let label = String(kept.prefix(32))
        return label.isEmpty ? "broker" : label
    }
}

public struct ScratchBrokerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Ports held by this process's scratch brokers, from reservation until `destroy()`.
final class PortRegistry: @unchecked Sendable {
    // Safe: `owners` is only touched under `lock`.
    static let shared = PortRegistry()
    private let lock = NSLock()
    private var owners: [Int: String] = [:]                  // port -> node name

    func reserve(_ ports: [Int], owner: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard ports.allSatisfy({ owners[$0] == nil }) else { return false }
        for port in ports { owners[port] = owner }
        return true
    }

    /// Gives back what `owner` holds (nothing on a second call, whoever took its ports since).
    func release(owner: String) {
        lock.lock(); defer { lock.unlock() }
        owners = owners.filter { $0.value != owner }
    }
}
