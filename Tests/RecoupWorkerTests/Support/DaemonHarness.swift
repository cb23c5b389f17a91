import AMQP
import Foundation
import Logging
import Postgres
import RecoupStore
import RecoupWorker
import Synchronization
import TestSupport

/// One isolated Recoup world for an end-to-end test: its own vhost and database on the local
/// servers, a config file pointing at them, and the real `recoupd` binary started as a process.
final class DaemonHarness: Sendable {
    let vhost: String
    let database: String
    let directory: URL
    let configPath: String
    let logger: Logger
    let pool: PostgresPool
    let publisher: AMQPPublisher
    let admin: AMQPAdmin
    private let process = Mutex<Process?>(nil)
    private let others = Mutex<[Process]>([])
    private let runs = Mutex(0)

    /// The folder `swift build` put the executables in (`Deploy/dev test` exports it).
    static var binDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["RECOUP_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        return TestEnvironment.repositoryRoot.appendingPathComponent(".build/debug")
    }

    /// The broker this world uses: the shared local one (with a vhost of its own), or a
    /// scratch node the test can stop and start.
    let amqpURL: String
    /// The admin HTTP endpoint's port on 127.0.0.1 (a free one per world).
    let adminPort: Int
    private let ownsVhost: Bool
    /// The database server this world uses: a scratch one the test can crash, or nil for the
    /// shared local one.
    let postgresServer: ScratchPostgres?

    init(name: String, clock: String = "system", extraConfig: String = "", broker: ScratchBroker? = nil,
         postgres: ScratchPostgres? = nil, policyDirectory: String? = nil) async throws {
        if let broker {
            vhost = "recoup"
            amqpURL = broker.amqpURL
            ownsVhost = false
        } else {
            vhost = try await TestEnvironment.makeVhost(prefix: name)
            amqpURL = TestEnvironment.amqpURL(vhost: vhost)
            ownsVhost = true
        }
        postgresServer = postgres
        let database = try await TestEnvironment.offPool {
            try postgres?.makeDatabase(prefix: name) ?? TestEnvironment.makeDatabase(prefix: name)
        }
        self.database = database
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("recoup-\(database)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configPath = directory.appendingPathComponent("recoupd.yaml").path
        adminPort = try TestEnvironment.freePort()
        let config = """
            environment: development
            clock: \(clock)
            amqp:
              url: \(amqpURL)
              heartbeat_seconds: 10
              prefetch: 100
            postgres:
              url: \(Self.postgresURL(postgres, database: database, user: "recoup_app"))
              admin_url: \(Self.postgresURL(postgres, database: database, user: "recoup_owner"))
              pool_size: 4
            policy:
              directory: \(policyDirectory ?? TestEnvironment.repositoryRoot.appendingPathComponent("Config").path)
            admin:
              port: \(adminPort)
            shutdown:
              grace_seconds: 15
            logging:
              level: info
            \(extraConfig)
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        logger = Logger(label: "test.\(name)")
        pool = PostgresPool(
            configuration: PostgresConfiguration(url: Self.postgresURL(postgres, database: database, user: "recoup_owner"), poolSize: 2),
            logger: logger)
        let amqp = AMQPConfiguration(url: try AMQPURL.parse(amqpURL), connectionName: "test")
        publisher = AMQPPublisher(configuration: amqp, topology: RecoupTopology.topology, logger: logger)
        admin = AMQPAdmin(configuration: amqp, logger: logger)
        // Declare the topology up front so events published before recoupd starts are queued.
        try await admin.declare(RecoupTopology.topology)
    }

    /// libpq URI of `database` as `user` on `server`, or on the shared local server.
    static func postgresURL(_ server: ScratchPostgres?, database: String, user: String) -> String {
        server?.url(database: database, user: user) ?? TestEnvironment.postgresURL(database: database, user: user)
    }

    /// Starts `recoupd` (migrating the fresh database on its way up), with `environment` added
    /// to its environment (say `NOTIFY_SOCKET`).
    func start(environment: [String: String] = [:]) throws {
        let process = try launch(environment: environment)
        self.process.withLock { $0 = process }
    }

    /// Starts one more `recoupd` on the same database and broker (several instances, as in
    /// production); it is killed at teardown. Returns its process for `stop(_:)`.
    @discardableResult
    func startAnother() throws -> Process {
        let process = try launch()
        others.withLock { $0.append(process) }
        return process
    }

    private func launch(environment extra: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = Self.binDirectory.appendingPathComponent("recoupd")
        process.arguments = ["--config", configPath]
        // The test command exports RECOUP_* URLs for the shared local vhost and database; this
        // daemon must use only its own config file, so environment overrides are dropped.
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RECOUP_") && $0.key != "NOTIFY_SOCKET" }
            .merging(extra) { $1 }
        let run = runs.withLock { $0 += 1; return $0 }
        let log = directory.appendingPathComponent("recoupd-\(run).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// The JSON log lines `recoupd` wrote in run `run` (1-based).
    func logLines(run: Int) -> [String] {
        let path = directory.appendingPathComponent("recoupd-\(run).log").path
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    var allLogText: String {
        (1...max(1, runs.withLock { $0 })).flatMap { logLines(run: $0) }.joined(separator: "\n")
    }

    /// Sends `signal` and waits for the process to exit; returns its status and how long it took.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async throws -> (status: Int32, elapsed: Duration) {
        guard let process = process.withLock({ $0 }) else { throw HarnessError("recoupd is not running") }
        let started = ContinuousClock.now
        kill(process.processIdentifier, signal)
        while process.isRunning {
            if ContinuousClock.now - started > timeout {
                kill(process.processIdentifier, SIGKILL)
                throw HarnessError("recoupd did not exit within \(timeout) of signal \(signal)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        self.process.withLock { $0 = nil }
        return (process.terminationStatus, ContinuousClock.now - started)
    }

    /// Runs `recoupctl ARGS --config <this world's file>`; returns exit status, stdout and stderr.
    func recoupctl(_ arguments: [String], config: String? = nil) async throws -> (status: Int32, out: String, err: String) {
        let executable = Self.binDirectory.appendingPathComponent("recoupctl")
        let arguments = arguments + ["--config", config ?? configPath]
        return try await TestEnvironment.offPool {
            try TestEnvironment.capture(executable, arguments,
                                        environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RECOUP_") })
        }
    }

    var isRunning: Bool { process.withLock { $0?.isRunning ?? false } }

    /// The process id of the recoupd `start()` launched, while it runs.
    var processIdentifier: Int32? { process.withLock { $0?.isRunning == true ? $0?.processIdentifier : nil } }

    /// Sends `signal` to the running recoupd without waiting (SIGHUP: reload the policy).
    func signal(_ signal: Int32) throws {
        guard let process = process.withLock({ $0 }) else { throw HarnessError("recoupd is not running") }
        kill(process.processIdentifier, signal)
    }

    /// Publishes CloudEvents (built with `Events`) to `billing.events` with confirms.
    func publish(_ events: [TestEvent]) async throws {
        let messages = events.map { event in
            var properties = AMQPProperties()
            properties.contentType = "application/cloudevents+json"
            properties.messageID = event.id
            properties.persistent = true
            return AMQPOutboundMessage(exchange: RecoupTopology.inboundExchange, routingKey: event.routingKey,
                                       body: event.body, properties: properties)
        }
        var start = 0
        while start < messages.count {
            let end = min(start + 500, messages.count)
            try await publisher.publish(Array(messages[start..<end]))
            start = end
        }
    }

    /// Runs `body` on a database connection as the schema owner.
    func query<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await pool.withConnection(body)
    }

    func count(_ sql: String, _ parameters: [any PostgresBindable] = []) async throws -> Int {
        try await pool.withConnection { try $0.query(sql, parameters).first!.decode(Int.self, at: 0) }
    }

    /// Polls `condition` until it holds or `timeout` passes; fails with the recoupd log tail.
    func waitUntil(_ what: String, timeout: Duration = .seconds(60),
                   _ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let tail = allLogText.split(separator: "\n").suffix(30).joined(separator: "\n")
        throw HarnessError("timed out waiting for \(what); recoupd log tail:\n\(tail)")
    }

    /// Waits until the inbox holds `count` processed event ids.
    func waitForInbox(_ count: Int, timeout: Duration = .seconds(60)) async throws {
        try await waitUntil("\(count) inbox rows", timeout: timeout) { [self] in
            // Before recoupd has migrated the fresh database the table does not exist yet.
            ((try? await self.count("SELECT count(*) FROM recoup.inbox")) ?? 0) >= count
        }
    }

    /// Every message in `queue`, taken off it (acked).
    func drain(queue: String) async throws -> [AMQPDelivery] {
        var messages: [AMQPDelivery] = []
        while let delivery = try await admin.get(queue: queue) {
            messages.append(delivery)
            try await admin.ack(delivery)
        }
        return messages
    }

    /// Runs `body` with a fresh world and always tears it down afterwards.
    static func with(name: String, clock: String = "system", extraConfig: String = "", broker: ScratchBroker? = nil,
                     postgres: ScratchPostgres? = nil, policyDirectory: String? = nil,
                     _ body: (DaemonHarness) async throws -> Void) async throws {
        let world = try await DaemonHarness(name: name, clock: clock, extraConfig: extraConfig, broker: broker,
                                            postgres: postgres, policyDirectory: policyDirectory)
        do {
            try await body(world)
        } catch {
            await world.tearDown()
            throw error
        }
        await world.tearDown()
    }

    /// Stops the daemon if it still runs and removes the vhost and database.
    func tearDown() async {
        if isRunning { _ = try? await stop(signal: SIGKILL) }
        for other in others.withLock({ $0 }) where other.isRunning {
            kill(other.processIdentifier, SIGKILL)
            other.waitUntilExit()
        }
        await publisher.close()
        await admin.close()
        await pool.close()
        if ownsVhost { try? await TestEnvironment.deleteVhost(vhost) }
        let database = self.database, server = postgresServer
        _ = try? await TestEnvironment.offPool {
            if let server { try server.dropDatabase(database) } else { try TestEnvironment.dropDatabase(database) }
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
