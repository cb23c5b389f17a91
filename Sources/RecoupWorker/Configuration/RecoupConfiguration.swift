import Foundation
import RecoupConfig
import RecoupStore
import Logging

/// Everything `recoupd` and `recoupctl` read at start, from `Config/recoupd.yaml` (or the
/// file named by `--config` / `RECOUP_CONFIG`), with environment overrides for URLs and secrets.
///
/// Configuration keys (name, type, default):
/// - `environment` (development | production, default production)
/// - `clock` (system | controlled, default system; controlled is refused in production)
/// - `amqp.url` (string, required; env `RECOUP_AMQP_URL`), `amqp.heartbeat_seconds` (int, 10),
///   `amqp.prefetch` (int, 100), `amqp.ca_certificate` (path, none)
/// - `postgres.url` (string, required; env `RECOUP_POSTGRES_URL`), `postgres.admin_url` (string,
///   none; env `RECOUP_POSTGRES_ADMIN_URL`; used by migrations), `postgres.app_role` (string,
///   recoup_app), `postgres.pool_size` (int, 4), `postgres.migrate_on_start` (bool, true),
///   `postgres.prepared_statements` (bool, true)
/// - `processing.lanes` (int, 8), `processing.transient_attempts` (int, 5),
///   `processing.transient_delivery_limit` (int, 5), `processing.batch_max` (int, 32),
///   `processing.timer_loops` (int, 2)
/// - `policy.directory` (path, default: the configuration file's folder): where the policy
///   files live (`payments/*.yaml`, `templates/`); relative paths are taken from the file's folder
/// - `admin.enabled` (bool, true), `admin.address` (IPv4, 127.0.0.1), `admin.port` (int, 9470;
///   env `RECOUP_ADMIN_PORT`): the admin HTTP endpoint (health, readiness, metrics, worklist,
///   timelines), on localhost unless told otherwise
/// - `shutdown.grace_seconds` (int, 20)
/// - `logging.level` (trace … critical, info)
///
/// Secrets: `RECOUP_AMQP_PASSWORD` / `RECOUP_POSTGRES_PASSWORD` (or files `amqp-password` /
/// `postgres-password` in `$CREDENTIALS_DIRECTORY`, as systemd's LoadCredential provides)
/// replace the password in the corresponding URL.
public struct RecoupConfiguration: Sendable {
    public enum Environment: String, Sendable, CaseIterable { case development, production }
    public enum ClockMode: String, Sendable, CaseIterable { case system, controlled }
    public enum LogLevel: String, Sendable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
        public var level: Logger.Level { Logger.Level(rawValue: rawValue) ?? .info }
    }

    public struct AMQPSettings: Sendable {
        public var url: String
        public var heartbeatSeconds: Int
        public var prefetch: Int
        public var caCertificatePath: String?
    }

    public struct PostgresSettings: Sendable {
        public var url: String
        public var adminURL: String?
        public var appRole: String
        public var poolSize: Int
        public var migrateOnStart: Bool
        /// Prepare each statement once per session (off behind a pooler in transaction mode).
        public var preparedStatements: Bool = true
    }

    public struct ProcessingSettings: Sendable {
        /// Concurrent lanes per queue; events of one account always share a lane.
        public var lanes: Int
        /// In-process attempts of one delivery on a transient database failure.
        public var transientAttempts: Int
        /// Deliveries of one message (broker redeliveries) that failed transiently before it is
        /// dead-lettered as `transient_exhausted`.
        public var transientDeliveryLimit: Int
        /// The most deliveries one lane records in one transaction (1: one commit per event).
        public var batchMax: Int = 32
        /// Timer scheduler loops, each on a connection of its own, each firing the due timers of
        /// its share of the accounts.
        public var timerLoops: Int = 2
    }

    /// The admin HTTP endpoint.
    public struct AdminSettings: Sendable {
        public var enabled: Bool
        public var address: String
        public var port: Int
    }

    public var file: String
    public var environment: Environment
    public var clock: ClockMode
    public var amqp: AMQPSettings
    public var postgres: PostgresSettings
    public var processing: ProcessingSettings
    /// The folder holding the policy files and templates (`Config/`).
    public var policyDirectory: String
    public var shutdownGraceSeconds: Int
    public var logLevel: LogLevel
    public var admin: AdminSettings = AdminSettings(enabled: true, address: "127.0.0.1", port: 9470)

    /// Where the configuration file is looked for when none is named.
    public static let defaultPaths = ["Config/recoupd.yaml", "/etc/recoup/recoupd.yaml"]

    /// Loads, applies environment overrides, and validates. Errors name the file and line.
    public static func load(
        path explicitPath: String? = nil,
        environment env: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> RecoupConfiguration {
        let path: String
        if let explicit = explicitPath ?? env["RECOUP_CONFIG"] {
            path = explicit
        } else if let found = defaultPaths.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            path = found
        } else {
            throw ConfigError(file: defaultPaths[0], line: nil,
                              message: "no configuration file found (looked at \(defaultPaths.joined(separator: ", "))); name one with --config or RECOUP_CONFIG")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, line: nil, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: nil, message: "the file is not UTF-8 text")
        }
        return try parse(text, file: path, environment: env)
    }

    /// Parses configuration text; `file` only names it in errors.
    public static func parse(_ text: String, file: String, environment env: [String: String] = [:]) throws -> RecoupConfiguration {
        var root = try ConfigNode.parse(file: file, text: text)
        let environment = try root.choice("environment", default: Environment.production)
        let clock = try root.choice("clock", default: ClockMode.system)
        if clock == .controlled && environment != .development {
            throw root.error("clock: controlled is only allowed with environment: development")
        }

        var amqpNode = try root.section("amqp")
        let amqpFileURL = try amqpNode?.string("url")
        let amqpURL = env["RECOUP_AMQP_URL"] ?? amqpFileURL
        let amqp = AMQPSettings(
            url: try applySecret(to: amqpURL, name: "amqp.url", secret: secret("amqp-password", "RECOUP_AMQP_PASSWORD", env), root: root),
            heartbeatSeconds: try amqpNode?.int("heartbeat_seconds", default: 10, in: 0...300) ?? 10,
            prefetch: try amqpNode?.int("prefetch", default: 100, in: 1...65535) ?? 100,
            caCertificatePath: try amqpNode?.string("ca_certificate"))
        try amqpNode?.rejectUnknownKeys()

        var pgNode = try root.section("postgres")
        let pgSecret = secret("postgres-password", "RECOUP_POSTGRES_PASSWORD", env)
        let pgFileURL = try pgNode?.string("url")
        let pgFileAdminURL = try pgNode?.string("admin_url")
        let pgURL = env["RECOUP_POSTGRES_URL"] ?? pgFileURL
        let adminURL = env["RECOUP_POSTGRES_ADMIN_URL"] ?? pgFileAdminURL
        let postgres = PostgresSettings(
            url: try applySecret(to: pgURL, name: "postgres.url", secret: pgSecret, root: root),
            adminURL: adminURL.map { postgresURL($0, password: secret("postgres-admin-password", "RECOUP_POSTGRES_ADMIN_PASSWORD", env)) },
            appRole: try pgNode?.string("app_role", default: "recoup_app") ?? "recoup_app",
            poolSize: try pgNode?.int("pool_size", default: 4, in: 1...200) ?? 4,
            migrateOnStart: try pgNode?.bool("migrate_on_start", default: true) ?? true,
            preparedStatements: try pgNode?.bool("prepared_statements", default: true) ?? true)
        try pgNode?.rejectUnknownKeys()

        var processingNode = try root.section("processing")
        let processing = ProcessingSettings(
            lanes: try processingNode?.int("lanes", default: 8, in: 1...256) ?? 8,
            transientAttempts: try processingNode?.int("transient_attempts", default: 5, in: 1...100) ?? 5,
            transientDeliveryLimit: try processingNode?.int("transient_delivery_limit", default: 5, in: 1...1000) ?? 5,
            batchMax: try processingNode?.int("batch_max", default: 32, in: 1...1000) ?? 32,
            timerLoops: try processingNode?.int("timer_loops", default: 2, in: 1...16) ?? 2)
        try processingNode?.rejectUnknownKeys()

        var policyNode = try root.section("policy")
        let fileFolder = URL(fileURLWithPath: file).deletingLastPathComponent().path
        let policyDirectory: String
        if let configured = try policyNode?.string("directory") {
            policyDirectory = configured.hasPrefix("/")
                ? configured : URL(fileURLWithPath: fileFolder).appendingPathComponent(configured).standardizedFileURL.path
        } else {
            policyDirectory = fileFolder
        }
        try policyNode?.rejectUnknownKeys()

        var adminNode = try root.section("admin")
        var admin = AdminSettings(
            enabled: try adminNode?.bool("enabled", default: true) ?? true,
            address: try adminNode?.string("address", default: "127.0.0.1") ?? "127.0.0.1",
            port: try adminNode?.int("port", default: 9470, in: 1...65535) ?? 9470)
        // Several instances on one host share the file; each unit gives its own port.
        if let text = env["RECOUP_ADMIN_PORT"] {
            guard let port = Int(text), (1...65535).contains(port) else {
                throw ConfigError(file: file, line: nil, message: "RECOUP_ADMIN_PORT: \"\(text.prefix(20))\" is not a port (1...65535)")
            }
            admin.port = port
        }
        if let adminNode, !isIPv4(admin.address) {
            throw adminNode.error("admin.address: \"\(admin.address)\" is not an IPv4 address (127.0.0.1 keeps it on this host)", key: "address")
        }
        try adminNode?.rejectUnknownKeys()

        var shutdownNode = try root.section("shutdown")
        let grace = try shutdownNode?.int("grace_seconds", default: 20, in: 1...3600) ?? 20
        try shutdownNode?.rejectUnknownKeys()

        var loggingNode = try root.section("logging")
        let level = try loggingNode?.choice("level", default: LogLevel.info) ?? .info
        try loggingNode?.rejectUnknownKeys()

        try root.rejectUnknownKeys()
        return RecoupConfiguration(
            file: file, environment: environment, clock: clock, amqp: amqp, postgres: postgres,
            processing: processing, policyDirectory: policyDirectory, shutdownGraceSeconds: grace, logLevel: level,
            admin: admin)
    }

    /// The store's notion of "now" under this configuration's `clock`.
    public var storeClock: StoreClock { clock == .controlled ? .controlled : .system }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isNumber) && Int(part).map { $0 <= 255 } == true
        }
    }

    /// The secret from `$CREDENTIALS_DIRECTORY/<file>` or else the environment variable.
    static func secret(_ file: String, _ variable: String, _ env: [String: String]) -> String? {
        if let directory = env["CREDENTIALS_DIRECTORY"],
           let data = FileManager.default.contents(atPath: "\(directory)/\(file)"),
           let text = String(data: data, encoding: .utf8) {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return env[variable]
    }

    private static func applySecret(to url: String?, name: String, secret: String?, root: ConfigNode) throws(ConfigError) -> String {
        guard let url, !url.isEmpty else {
            throw root.error("\(name) is required (or set \(name == "amqp.url" ? "RECOUP_AMQP_URL" : "RECOUP_POSTGRES_URL"))")
        }
        guard let secret else { return url }
        return name == "amqp.url" ? amqpURL(url, password: secret) : postgresURL(url, password: secret)
    }

    /// Replaces the password of an `amqp://user:pass@host` URL.
    static func amqpURL(_ url: String, password: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.password = password
        return components.string ?? url
    }

    /// Adds (or replaces) the password of a libpq URI; key=value conninfo strings get `password=`.
    static func postgresURL(_ url: String, password: String?) -> String {
        guard let password else { return url }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"), var components = URLComponents(string: url) {
            components.password = password
            return components.string ?? url
        }
        let escaped = password.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        return url + " password='\(escaped)'"
    }
}

extension RecoupConfiguration {
    /// The effective settings as `recoupctl config check` prints them: passwords masked.
    public var summary: String {
        """
        configuration \(file): OK
          environment: \(environment.rawValue)
          clock: \(clock.rawValue)
          amqp.url: \(Self.maskPassword(amqp.url))
          amqp.heartbeat_seconds: \(amqp.heartbeatSeconds)
          amqp.prefetch: \(amqp.prefetch)
          postgres.url: \(Self.maskPassword(postgres.url))
          postgres.admin_url: \(postgres.adminURL.map(Self.maskPassword) ?? "(none)")
          postgres.app_role: \(postgres.appRole)
          postgres.pool_size: \(postgres.poolSize)
          postgres.migrate_on_start: \(postgres.migrateOnStart)
          postgres.prepared_statements: \(postgres.preparedStatements)
          processing.lanes: \(processing.lanes)
          processing.transient_attempts: \(processing.transientAttempts)
          processing.transient_delivery_limit: \(processing.transientDeliveryLimit)
          processing.batch_max: \(processing.batchMax)
          processing.timer_loops: \(processing.timerLoops)
          policy.directory: \(policyDirectory)
          admin: \(admin.enabled ? "http://\(admin.address):\(admin.port)" : "disabled")
          shutdown.grace_seconds: \(shutdownGraceSeconds)
          logging.level: \(logLevel.rawValue)
        """
    }

    /// `scheme://user:secret@host` → `scheme://user:***@host`; conninfo `password=…` likewise.
    static func maskPassword(_ url: String) -> String {
        if var components = URLComponents(string: url), components.scheme != nil, components.password != nil {
            components.password = "***"
            return components.string ?? "***"
        }
        guard let range = url.range(of: "password=") else { return url }
        let tail = url[range.upperBound...]
        let end = tail.hasPrefix("'") ? tail.dropFirst().firstIndex(of: "'").map { url.index(after: $0) } : tail.firstIndex(of: " ")
        return url[..<range.upperBound] + "***" + (end.map { String(url[$0...]) } ?? "")
    }
}
