import Foundation

/// A private PostgreSQL server of one test's own, which it may crash and start again to
/// exercise "the database went away mid-transaction" without disturbing the shared local
/// server that other suites use in parallel.
///
/// Started by `Deploy/local-servers postgres-start` with its own data folder (under the
/// temporary directory) and port; like the shared server it has the roles `recoup_owner` and
/// `recoup_app` (password = name) and trusts the superuser `postgres` on 127.0.0.1. Unlike the
/// shared server it commits synchronously, so a crash (`stop(mode: .immediate)`) loses no
/// transaction whose commit was reported. Call `destroy()` when done, also on failure: a server
/// left behind keeps running after the tests end. `stop`, `startAgain` and `destroy` must not be
/// called concurrently on one server.
public final class ScratchPostgres: Sendable {
    /// How `pg_ctl stop` ends the server.
    public enum StopMode: String, Sendable {
        /// Rolls back open transactions, disconnects clients, checkpoints: a clean shutdown.
        case fast
        /// Kills every server process at once (a crash); the next start recovers from the WAL.
        case immediate
    }

    /// Holds the server's data; `destroy()` deletes it.
    public let directory: URL
    /// Port on 127.0.0.1.
    public let port: Int
    private let owner: String

    private init(directory: URL, port: Int, owner: String) {
        self.directory = directory
        self.port = port
        self.owner = owner
    }

    /// Initialises and starts a new server named after `name` on a free port; returns once it
    /// accepts connections and has the Recoup roles (initdb takes a few seconds). A port another
    /// process grabs between the check and the start is retried with a fresh one.
    public static func start(name: String) async throws -> ScratchPostgres {
        let label = ScratchBroker.sanitized(name)
        var attempt = 1
        while true {
            let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(8).lowercased()
            let owner = "scratch-postgres-\(label)-\(suffix)"
            let port = try ScratchBroker.reservePorts(1, for: owner)[0]
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("recoup-scratchpg-\(label)-\(suffix)", isDirectory: true)
            let server = ScratchPostgres(directory: directory, port: port, owner: owner)
            do {
                // Under root the server runs as `postgres`, which must be able to enter the folder.
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o755])
                try await server.startAgain()
                return server
            } catch let error as TestEnvironment.CommandFailed where attempt < 3 && ScratchBroker.isPortClash(error.stderr) {
                await server.destroy()
                attempt += 1
            } catch {
                await server.destroy()
                throw error
            }
        }
    }

    /// libpq URI of `database` on this server as `user` (password = user name).
    public func url(database: String, user: String) -> String {
        "postgresql://\(user):\(user)@127.0.0.1:\(port)/\(database)"
    }

    /// libpq URI of `database` as the superuser.
    public func superuserURL(database: String = "postgres") -> String {
        "postgresql://postgres@127.0.0.1:\(port)/\(database)"
    }

    /// Creates an empty database owned by `recoup_owner` and returns its name.
    public func makeDatabase(prefix: String) throws -> String {
        let name = TestEnvironment.uniqueName(prefix)
        try psql("CREATE DATABASE \(name) OWNER recoup_owner")
        return name
    }

    /// Drops a database made by `makeDatabase`, disconnecting whoever still uses it.
    public func dropDatabase(_ name: String) throws {
        try psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    private func psql(_ command: String) throws {
        try TestEnvironment.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", superuserURL(), "-c", command])
    }

    /// Stops the server; returns once its port refuses connections. Idempotent.
    public func stop(mode: StopMode = .fast) async throws {
        try await script("postgres-stop", mode.rawValue)
        try await waitForPort(open: false)
    }

    /// Starts the server again on the same port and data (after a crash, PostgreSQL replays its
    /// WAL first); returns once it accepts connections. Idempotent.
    public func startAgain() async throws {
        try await script("postgres-start")
        try await waitForPort(open: true)
    }

    /// Stops the server (a crash, so it is quick), deletes its data and gives its port back.
    /// Idempotent, never throws.
    public func destroy() async {
        try? await script("postgres-stop", StopMode.immediate.rawValue)
        try? FileManager.default.removeItem(at: directory)
        PortRegistry.shared.release(owner: owner)
    }

    /// Runs `Deploy/local-servers <arguments>` for this server, off the cooperative pool.
    private func script(_ arguments: String...) async throws {
        let path = TestEnvironment.repositoryRoot.appendingPathComponent("Deploy/local-servers").path
        let environment = [
            "RECOUP_LOCAL_DIR": directory.path,
            "RECOUP_LOCAL_PG_PORT": String(port),
            "RECOUP_LOCAL_PG_SYNCHRONOUS_COMMIT": "on",
        ]
        _ = try await TestEnvironment.offPool { try TestEnvironment.run([path] + arguments, environment: environment) }
    }

    /// Polls the port until it accepts (or refuses) connections; `pg_ctl -w` already waits, so
    /// this normally succeeds at once.
    private func waitForPort(open: Bool) async throws {
        try await ScratchBroker.waitForPort(port, open: open, server: "scratch PostgreSQL \(owner)")
    }
}
