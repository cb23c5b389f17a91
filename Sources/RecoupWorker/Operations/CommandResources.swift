import Logging
import Postgres
import RecoupConfig

/// Runs `body` with `resource`, then closes it whether `body` returned or threw: the shape of
/// every one-shot command's pool, broker admin or publisher.
func using<Resource: Sendable, Result: Sendable>(
    _ resource: Resource, close: (Resource) async -> Void, _ body: (Resource) async throws -> Result
) async throws -> Result {
    do {
        let result = try await body(resource)
        await close(resource)
        return result
    } catch {
        await close(resource)
        throw error
    }
}

extension RecoupConfiguration {
    /// Runs a one-shot command's `body` with a one-connection pool on `postgres.url` (the
    /// application role), closed on every way out.
    func withCommandPool<Result: Sendable>(
        applicationName: String = "recoupctl", logger: Logger, _ body: (PostgresPool) async throws -> Result
    ) async throws -> Result {
        let pool = PostgresPool(
            configuration: postgresConfiguration(applicationName: applicationName, poolSize: 1), logger: logger)
        return try await using(pool, close: { await $0.close() }, body)
    }

    /// Runs `body` with a one-connection pool on `postgres.admin_url` (the schema owner), closed
    /// on every way out; without an admin URL it fails at once, saying it is needed `for` what.
    func withAdminPool<Result: Sendable>(
        applicationName: String, for purpose: String, logger: Logger, _ body: (PostgresPool) async throws -> Result
    ) async throws -> Result {
        guard let adminURL = postgres.adminURL else {
            throw ConfigError(file: file, line: nil, message: "postgres.admin_url (or RECOUP_POSTGRES_ADMIN_URL) is needed to \(purpose)")
        }
        let pool = PostgresPool(configuration: PostgresConfiguration(url: adminURL, poolSize: 1, applicationName: applicationName),
                                logger: logger)
        return try await using(pool, close: { await $0.close() }, body)
    }
}
