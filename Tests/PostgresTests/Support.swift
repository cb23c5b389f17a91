import Foundation
import Logging
import Postgres
import TestSupport

/// A throw-away database on the local server with a pool on it, closed and dropped after.
func withTestPool<T>(
    poolSize: Int = 4,
    statementTimeout: Duration? = nil,
    preparedStatements: Bool = true,
    _ body: (PostgresPool, String) async throws -> T
) async throws -> T {
    let database = try await makeTestDatabase()
    var configuration = testConfiguration(database: database, poolSize: poolSize, statementTimeout: statementTimeout)
    configuration.preparedStatements = preparedStatements
    let pool = PostgresPool(configuration: configuration, logger: quietLogger)
    do {
        let value = try await body(pool, database)
        await pool.close()
        try await dropTestDatabase(database)
        return value
    } catch {
        await pool.close()
        try? await dropTestDatabase(database)
        throw error
    }
}

// psql runs for a while (seconds on a loaded machine), so these wait for it on a thread of
// their own: blocking the few cooperative threads would stall every test running in parallel,
// and with it every timing the tests observe.

/// Creates a throw-away database (see `TestEnvironment.makeDatabase`).
func makeTestDatabase() async throws -> String {
    try await TestEnvironment.offPool { try TestEnvironment.makeDatabase(prefix: "pgt") }
}

/// Drops a database made by `makeTestDatabase`.
func dropTestDatabase(_ name: String) async throws {
    try await TestEnvironment.offPool { try TestEnvironment.dropDatabase(name) }
}

/// Runs psql (or another command) to completion off the cooperative pool.
@discardableResult
func runCommand(_ arguments: [String]) async throws -> String {
    try await TestEnvironment.offPool { try TestEnvironment.run(arguments) }
}

func testConfiguration(database: String, poolSize: Int = 4, statementTimeout: Duration? = nil,
                       applicationName: String = "recoup-pg-tests") -> PostgresConfiguration {
    PostgresConfiguration(url: TestEnvironment.postgresURL(database: database, user: "recoup_owner"),
                          poolSize: poolSize, applicationName: applicationName,
                          statementTimeout: statementTimeout)
}

/// A superuser pool on the maintenance database, for killing sessions.
func withAdminPool<T>(_ body: (PostgresPool) async throws -> T) async throws -> T {
    let pool = PostgresPool(configuration: PostgresConfiguration(url: TestEnvironment.postgresSuperuserURL(), poolSize: 1,
                                                                 applicationName: "recoup-pg-tests-admin"),
                            logger: quietLogger)
    do {
        let value = try await body(pool)
        await pool.close()
        return value
    } catch {
        await pool.close()
        throw error
    }
}

let quietLogger = Logger(label: "postgres-tests") { _ in SwiftLogNoOpLogHandler() }

/// A thread-safe counter of bodies currently running, remembering the maximum.
final class ConcurrencyGauge: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private var maximum = 0
    private var total = 0
    private var threadNames: Set<String> = []

    private var inTasks = 0

    var bodiesInTasks: Int {
        lock.lock()
        defer { lock.unlock() }
        return inTasks
    }

    func enter(thread: String = "", inTask: Bool = false) {
        lock.lock()
        threadNames.insert(thread)
        if inTask { inTasks += 1 }
        current += 1
        total += 1
        maximum = max(maximum, current)
        lock.unlock()
    }

    func leave() {
        lock.lock()
        current -= 1
        lock.unlock()
    }

    var threads: Set<String> {
        lock.lock()
        defer { lock.unlock() }
        return threadNames
    }

    var snapshot: (maximum: Int, total: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (maximum, total)
    }
}

/// A thread-safe integer, e.g. to count attempts of a transaction body.
final class AtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    @discardableResult
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }

    var current: Int {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}

/// Blocks pool threads until `parties` have arrived (or the timeout passes).
final class ThreadBarrier: @unchecked Sendable {
    private let condition = NSCondition()
    private let parties: Int
    private var arrived = 0

    init(parties: Int) { self.parties = parties }

    /// Returns false on timeout.
    @discardableResult
    func arriveAndWait(timeout: TimeInterval = 10) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        if arrived >= parties {
            condition.broadcast()
            return true
        }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while arrived < parties {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }
}

struct ExpectedFailure: Error, Equatable {}

/// A one-way gate that blocks pool threads until the test opens it.
final class ThreadGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until `open()`; false if `timeout` passed first. The timeout only keeps a failed
    /// test from wedging a pool thread for good: callers check the result.
    @discardableResult
    func wait(timeout: TimeInterval = 600) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while !isOpen {
            if !condition.wait(until: deadline) { return isOpen }
        }
        return true
    }
}
