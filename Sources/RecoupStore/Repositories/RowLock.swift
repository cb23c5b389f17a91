import Postgres

/// Locking a row that may not exist yet (a placeholder account or invoice an event needs).
enum RowLock {
    /// Runs `locking` (a `SELECT … FOR UPDATE`); only when it finds no row, runs `create` (an
    /// `INSERT … ON CONFLICT DO NOTHING`) and `locking` again, which then sees the row whoever
    /// inserted it. One round trip when the row exists, which is nearly always.
    @discardableResult
    static func lockCreating<Row>(_ locking: () throws -> Row?, create: () throws -> Void) throws -> Row {
        if let row = try locking() { return row }
        try create()
        guard let row = try locking() else {
            throw RowLockError()
        }
        return row
    }
}

/// The row `create` made (or found made) could not be read back: a bug or a concurrent delete.
struct RowLockError: Error, CustomStringConvertible {
    var description: String { "a row created in this transaction could not be locked" }
}
