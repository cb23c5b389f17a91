import Foundation
import Testing
@testable import Postgres

@Suite("Error classification and configuration")
struct ErrorAndConfigurationTests {
    @Test("SQLSTATEs classify as transient or not", arguments: [
        ("40001", true), ("40P01", true),
        ("08000", true), ("08003", true), ("08006", true), ("57P01", true), ("57P02", true), ("57P03", true),
        ("23505", false), ("23503", false), ("42601", false), ("42P01", false), ("22012", false),
        ("57014", false), ("25P02", false), ("53300", false),
    ])
    func transientClassification(sqlState: String, transient: Bool) {
        let error = PostgresError(kind: .server, sqlState: sqlState, message: "m")
        #expect(error.isTransient == transient)
    }

    @Test("convenience predicates match their SQLSTATE")
    func predicates() {
        #expect(PostgresError(kind: .server, sqlState: "40001", message: "").isSerializationFailure)
        #expect(PostgresError(kind: .server, sqlState: "40P01", message: "").isDeadlock)
        #expect(PostgresError(kind: .server, sqlState: "23505", message: "").isUniqueViolation)
        #expect(!PostgresError(kind: .server, sqlState: "23503", message: "").isUniqueViolation)
        #expect(PostgresError(kind: .server, sqlState: "08006", message: "").isConnectionFailure)
        // A refused connection has no SQLSTATE but is transient; usage, decoding and closed are not.
        #expect(PostgresError(kind: .connection, message: "refused").isTransient)
        #expect(!PostgresError(kind: .closed, message: "").isTransient)
        #expect(!PostgresError(kind: .usage, message: "").isTransient)
        #expect(!PostgresError(kind: .decoding, message: "").isTransient)
    }

    @Test("error description shows kind, SQLSTATE and message but not DETAIL")
    func errorDescription() {
        let error = PostgresError(kind: .server, sqlState: "23505", message: "duplicate key value violates unique constraint \"t_pkey\"",
                                  detail: "Key (email)=(jane@example.com) already exists.", constraint: "t_pkey")
        #expect(error.description.contains("23505"))
        #expect(error.description.contains("server"))
        #expect(error.description.contains("t_pkey"))
        #expect(!error.description.contains("jane@example.com"))
    }

    @Test("configuration description hides the password", arguments: [
        "postgresql://app:s3cr3t-pw@db.example.com:5432/recoup?sslmode=require",
        "postgres://app:s3cr3t-pw@db.example.com/recoup",
        "host=db.example.com port=5432 dbname=recoup user=app password=s3cr3t-pw",
        "postgresql://app@db.example.com/recoup?password=s3cr3t-pw",
    ])
    func descriptionHidesPassword(url: String) {
        let configuration = PostgresConfiguration(url: url, poolSize: 2, applicationName: "recoupd")
        for text in [configuration.description, String(reflecting: configuration), "\(configuration)", dumped(configuration)] {
            #expect(!text.contains("s3cr3t"), "\(text)")
            #expect(text.contains("db.example.com"))
        }
        #expect(configuration.description.contains("password=***"))
        #expect(configuration.description.contains("user=app"))
    }

    @Test("an unparseable connection string is not echoed")
    func unparseable() {
        let configuration = PostgresConfiguration(url: "postgresql://app:s3cr3t@[bad")
        #expect(!configuration.description.contains("s3cr3t"))
    }

    @Test("defaults and derived connection parameters")
    func defaults() {
        var configuration = PostgresConfiguration(url: "postgresql://u@h/db")
        #expect(configuration.poolSize == 4)
        #expect(configuration.connectTimeoutSeconds == 5)
        #expect(configuration.statementTimeoutMilliseconds == nil)
        configuration.statementTimeout = .milliseconds(1500)
        #expect(configuration.statementTimeoutMilliseconds == 1500)
        let keys = configuration.connectionParameters.map(\.0)
        // Settings after "dbname" override the URL's; keepalive defaults before it can be overridden.
        #expect(keys.firstIndex(of: "keepalives")! < keys.firstIndex(of: "dbname")!)
        #expect(keys.firstIndex(of: "application_name")! > keys.firstIndex(of: "dbname")!)
    }

    @Test("backoff grows, is capped and jittered")
    func backoff() {
        for attempt in 1...10 {
            let delay = Backoff.delay(attempt: attempt, base: .milliseconds(20), cap: .seconds(1))
            let ceiling = min(Duration.milliseconds(20) * (1 << (attempt - 1)), .seconds(1))
            #expect(delay <= ceiling)
            #expect(delay >= ceiling / 2)
        }
    }

    private func dumped(_ value: some Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }
}
