import Foundation
import Logging
import Postgres
import RecoupCore
import RecoupStore

/// `recoupctl clock …`: reads and moves the controlled clock kept in the database.
public enum ControlledClockCommands {
    public struct NotControlled: Error, CustomStringConvertible {
        let file: String
        public var description: String {
            "\(file): the clock is `system`; set `clock: controlled` (with `environment: development`) to drive it"
        }
    }

    public static func show(configuration: RecoupConfiguration, logger: Logger) async throws -> Date? {
        try await configuration.withCommandPool(logger: logger) { pool in
            try await pool.withConnection { connection in
                try connection.query("SELECT now FROM recoup.clock").first?.decodeOptional(Date.self, at: 0)
            }
        }
    }

    public static func set(_ text: String, configuration: RecoupConfiguration, logger: Logger) async throws -> Date {
        try requireControlled(configuration)
        let time = try ClockText.timestamp(text)
        return try await configuration.withCommandPool(logger: logger) { pool in
            try await pool.transaction { connection in
                try StoreClock.set(time, connection)
                return time
            }
        }
    }

    public static func advance(_ text: String, configuration: RecoupConfiguration, logger: Logger) async throws -> Date {
        try requireControlled(configuration)
        let seconds = try ClockText.duration(text)
        return try await configuration.withCommandPool(logger: logger) { pool in
            try await pool.transaction { connection in
                try StoreClock.advance(by: seconds, connection)
            }
        }
    }

    static func requireControlled(_ configuration: RecoupConfiguration) throws {
        guard configuration.clock == .controlled else { throw NotControlled(file: configuration.file) }
    }
}
