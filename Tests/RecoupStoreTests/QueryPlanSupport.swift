import Postgres

extension PostgresConnection {
    /// PostgreSQL's plan for `sql` with `parameters`, one node a line; `analyze` runs it too, so
    /// the plan shows the rows each node really read.
    func explain(_ sql: String, _ parameters: [any PostgresBindable] = [], analyze: Bool = false) throws -> String {
        try query("EXPLAIN (\(analyze ? "ANALYZE, " : "")FORMAT TEXT) " + sql, parameters)
            .map { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
    }
}
