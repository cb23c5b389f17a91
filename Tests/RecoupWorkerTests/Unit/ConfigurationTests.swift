import Foundation
import Testing
import RecoupConfig
@testable import RecoupWorker

@Suite("Configuration")
struct ConfigurationTests {
    static let minimal = """
        amqp:
          url: amqp://u:p@localhost:5672/v
        postgres:
          url: postgresql://app:secret@localhost:5432/recoup
        """

    @Test("defaults apply when keys are absent")
    func defaults() throws {
        let configuration = try RecoupConfiguration.parse(Self.minimal, file: "min.yaml")
        #expect(configuration.environment == .production)
        #expect(configuration.clock == .system)
        #expect(configuration.amqp.prefetch == 100)
        #expect(configuration.amqp.heartbeatSeconds == 10)
        #expect(configuration.postgres.poolSize == 4)
        #expect(configuration.postgres.appRole == "recoup_app")
        #expect(configuration.processing.lanes == 8)
        #expect(configuration.processing.batchMax == 32)
        #expect(configuration.postgres.preparedStatements)
        #expect(configuration.postgresConfiguration(applicationName: "t").preparedStatements)
        #expect(configuration.shutdownGraceSeconds == 20)
    }

    @Test("batching and prepared statements can be switched off, and reach the pool's configuration")
    func batchingAndPreparedOff() throws {
        let configuration = try RecoupConfiguration.parse(
            "amqp:\n  url: amqp://x\npostgres:\n  url: postgresql://x\n  prepared_statements: false\nprocessing:\n  batch_max: 1\n",
            file: "off.yaml")
        #expect(configuration.processing.batchMax == 1)
        #expect(!configuration.postgresConfiguration(applicationName: "t").preparedStatements)
        #expect(configuration.postgresConfiguration(applicationName: "t", poolSize: 1).poolSize == 1)
    }

    @Test("the shipped Config/recoupd.yaml is valid")
    func shippedFile() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Config/recoupd.yaml").path
        let configuration = try RecoupConfiguration.load(path: path, environment: [:])
        #expect(configuration.environment == .development)
    }

    @Test("errors name the file, the line and the key", arguments: [
        ("amqp:\n  url: amqp://x\n  prefetch: lots\npostgres:\n  url: postgresql://x\n", 3, "amqp.prefetch"),
        ("amqp:\n  url: amqp://x\npostgres:\n  url: postgresql://x\n  pool_size: 0\n", 5, "postgres.pool_size"),
        ("amqp:\n  url: amqp://x\npostgres:\n  url: postgresql://x\nprocesing:\n  lanes: 2\n", 5, "procesing"),
        ("amqp:\n  url: amqp://x\npostgres:\n  url: postgresql://x\nprocessing:\n  batch_max: 0\n", 6, "processing.batch_max"),
        ("environment: staging\namqp:\n  url: amqp://x\npostgres:\n  url: postgresql://x\n", 1, "environment"),
        ("clock: controlled\namqp:\n  url: amqp://x\npostgres:\n  url: postgresql://x\n", nil, "clock: controlled"),
        ("amqp:\n  url: amqp://x\npostgres:\n\turl: postgresql://x\n", 4, "YAML"),
        ("amqp:\n  url: amqp://x\n", nil, "postgres.url"),
    ] as [(String, Int?, String)])
    func errors(text: String, line: Int?, mentions: String) {
        do {
            _ = try RecoupConfiguration.parse(text, file: "bad.yaml")
            Issue.record("expected an error mentioning \(mentions)")
        } catch let error as ConfigError {
            #expect(error.file == "bad.yaml")
            if let line { #expect(error.line == line, "\(error)") }
            #expect(error.description.contains(mentions), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("environment overrides URLs, and secrets replace passwords")
    func overrides() throws {
        let configuration = try RecoupConfiguration.parse(Self.minimal, file: "min.yaml", environment: [
            "RECOUP_AMQP_URL": "amqp://svc:old@broker:5672/prod",
            "RECOUP_AMQP_PASSWORD": "s3cr3t",
            "RECOUP_POSTGRES_PASSWORD": "pg pass",
        ])
        #expect(configuration.amqp.url == "amqp://svc:s3cr3t@broker:5672/prod")
        #expect(configuration.postgres.url.contains("app:pg%20pass@"))
        #expect(!configuration.summary.contains("s3cr3t"))
        #expect(!configuration.summary.contains("pg%20pass"))
        #expect(configuration.summary.contains("***"))
    }

    @Test("a credentials directory wins over the environment")
    func credentialsDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "from-file\n".write(to: directory.appendingPathComponent("amqp-password"), atomically: true, encoding: .utf8)
        let configuration = try RecoupConfiguration.parse(Self.minimal, file: "min.yaml", environment: [
            "CREDENTIALS_DIRECTORY": directory.path, "RECOUP_AMQP_PASSWORD": "from-env",
        ])
        #expect(configuration.amqp.url == "amqp://u:from-file@localhost:5672/v")
    }

    @Test("conninfo passwords are masked too")
    func maskConninfo() {
        #expect(RecoupConfiguration.maskPassword("host=db user=app password='x y' dbname=r") == "host=db user=app password=*** dbname=r")
        #expect(RecoupConfiguration.maskPassword("postgresql://app:pw@db/r") == "postgresql://app:***@db/r")
    }
}
