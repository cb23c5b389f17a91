import Foundation

/// Where the project-local servers are, and throw-away resources on them for one test.
///
/// Values come from the environment `Deploy/local-servers env` prints (the test command sets
/// it); the defaults match that script's ports so a plain `swift test` works after
/// `Deploy/local-servers start`.
public enum TestEnvironment {
    static let env = ProcessInfo.processInfo.environment

    /// Repository root (two levels above this file's folder).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var amqpPort: Int { Int(env["RECOUP_LOCAL_AMQP_PORT"] ?? "") ?? 56729 }
    public static var postgresPort: Int { Int(env["RECOUP_LOCAL_PG_PORT"] ?? "") ?? 54329 }

    /// AMQP URL of the local broker for `vhost`.
    public static func amqpURL(vhost: String = "recoup") -> String {
        "amqp://recoup:recoup@127.0.0.1:\(amqpPort)/\(vhost)"
    }

    /// amqps:// URL of the local broker's TLS listener (its certificate names "localhost").
    public static func amqpsURL(vhost: String = "recoup") -> String {
        let port = Int(env["RECOUP_LOCAL_AMQPS_PORT"] ?? "") ?? 56771
        return "amqps://recoup:recoup@localhost:\(port)/\(vhost)"
    }

    /// The CA that signed the local TLS listener's certificate.
    public static var amqpsCAPath: String {
        let state = env["RECOUP_LOCAL_DIR"] ?? repositoryRoot.appendingPathComponent(".local").path
        return "\(state)/rabbitmq/tls/ca.pem"
    }

    /// libpq URI of a database on the local server as the superuser.
    public static func postgresSuperuserURL(database: String = "postgres") -> String {
        "postgresql://postgres@127.0.0.1:\(postgresPort)/\(database)"
    }

    /// libpq URI of a database on the local server as `user` (password = user name locally).
    public static func postgresURL(database: String, user: String) -> String {
        "postgresql://\(user):\(user)@127.0.0.1:\(postgresPort)/\(database)"
    }

    /// A unique, lowercase name for a throw-away resource.
    public static func uniqueName(_ prefix: String) -> String {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        return "\(prefix)_\(suffix)"
    }

    /// Creates an empty database owned by `recoup_owner` and returns its name.
    public static func makeDatabase(prefix: String = "t") throws -> String {
        let name = uniqueName(prefix)
        try run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", postgresSuperuserURL(),
                 "-c", "CREATE DATABASE \(name) OWNER recoup_owner"])
        return name
    }

    /// Drops a database made by `makeDatabase`, disconnecting whoever still uses it.
    public static func dropDatabase(_ name: String) throws {
        try run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", postgresSuperuserURL(),
                 "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
    }

    /// Creates an empty vhost the `recoup` user may use fully, and returns its name (batched
    /// with the other tests' vhost changes: `VhostBatches`).
    public static func makeVhost(prefix: String = "t") async throws -> String {
        let name = uniqueName(prefix)
        try await VhostBatches.shared.apply(.add, name)
        return name
    }

    /// Deletes a vhost made by `makeVhost`.
    public static func deleteVhost(_ name: String) async throws {
        try await VhostBatches.shared.apply(.delete, name)
    }

    /// Runs rabbitmqctl against the local node through the project's script.
    ///
    /// It boots an Erlang VM (seconds), so it runs on a thread of its own: blocking one of the
    /// few cooperative threads would stall every other test running in parallel.
    @discardableResult
    public static func rabbitmqctl(_ arguments: [String]) async throws -> String {
        let script = repositoryRoot.appendingPathComponent("Deploy/local-servers").path
        return try await offPool { try run([script, "rabbitmqctl", "-q"] + arguments) }
    }

    /// Runs blocking work on a new thread and waits for it without holding a cooperative thread.
    public static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// Runs a command, returns its standard output, throws with its stderr on failure.
    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> String {
        let result = try capture(URL(fileURLWithPath: "/usr/bin/env"), arguments,
                                 environment: environment.map { ProcessInfo.processInfo.environment.merging($0) { $1 } })
        guard result.status == 0 else {
            throw CommandFailed(arguments: arguments, status: result.status, stderr: result.err)
        }
        return result.out
    }

    /// Runs `executable` to completion; returns its exit status, standard output and error.
    public static func capture(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                               input: String? = nil) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = input.map { _ in Pipe() }
        if let stdin { process.standardInput = stdin }
        try process.run()
        if let stdin, let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        // Read stderr on another thread so neither pipe can fill up and stall the child.
        let errData = ErrorBox()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = errData.wait()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errorText, as: UTF8.self))
    }

    public struct CommandFailed: Error, CustomStringConvertible {
        public let arguments: [String]
        public let status: Int32
        public let stderr: String
        public var description: String { "\(arguments.joined(separator: " ")) exited \(status): \(stderr)" }
    }
}

/// Hands one Data value from a reader thread to the caller.
final class ErrorBox: @unchecked Sendable {
    // Safe: `data` is written once under `condition` and read only after `done` is seen under it.
    private let condition = NSCondition()
    private var data = Data()
    private var done = false

    func set(_ value: Data) {
        condition.lock()
        data = value
        done = true
        condition.signal()
        condition.unlock()
    }

    func wait() -> Data {
        condition.lock()
        while !done { condition.wait() }
        let value = data
        condition.unlock()
        return value
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension TestEnvironment {
    public struct NoFreePort: Error {}

    /// A TCP port on 127.0.0.1 nobody listens on right now (the kernel's pick for port 0).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NoFreePort() }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw -> Bool in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw NoFreePort() }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
