import Postgres

extension PostgresConnection {
    /// PostgreSQL's plan for `sql` with `parameters`, one node a line; `analyze` runs it too, so
    /// the plan shows the rows each node really read.
    func explain(_ sql: String, _ parameters: [any PostgresBindable] = [], analyze: Bool = false) throws -> String {
        try query("EXPLAIN (\(analyze ? "ANALYZE, " : "")FORMAT TEXT) " + sql, parameters)
            .map { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
    }
}

extension MigrationTests {
    /// The plans of `statements`, each with its parameters, on a new migrated database that
    /// `seed` filled (and analyzed): where the plan tests look for their index.
    static func plans(seed: String, analyze: Bool = false,
                      _ statements: [(sql: String, parameters: [any PostgresBindable])]) async throws -> [String] {
        var plans: [String] = []
        try await withMigratedDatabase { owner, _ in
            plans = try await owner.withConnection { connection in
                try connection.executeScript(seed)
                return try statements.map { try connection.explain($0.sql, $0.parameters, analyze: analyze) }
            }
        }
        return plans
    }
}
