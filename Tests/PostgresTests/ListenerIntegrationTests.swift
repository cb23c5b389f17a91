import Foundation
import Testing
import Postgres
import TestSupport

@Suite("LISTEN/NOTIFY against a real server")
struct ListenerIntegrationTests {
    @Test("a committed NOTIFY is delivered; one in a rolled-back transaction is not")
    func deliversNotifications() async throws {
        try await withTestPool { pool, database in
            let listener = PostgresListener(configuration: testConfiguration(database: database, applicationName: "pg-listener-test"),
                                            channels: ["recoup_wakeup", "Other Channel"], logger: quietLogger)
            #expect(await eventually { listener.isListening })
            let collector = NotificationCollector(listener.notifications)

            await #expect(throws: ExpectedFailure.self) {
                try await pool.transaction { connection in
                    try connection.notify(channel: "recoup_wakeup", payload: "rolled back")
                    throw ExpectedFailure()
                }
            }
            try await pool.transaction { connection in
                try connection.notify(channel: "recoup_wakeup", payload: "timers: it's due")
            }
            try await pool.withConnection { connection in
                try connection.notify(channel: "Other Channel")
                try connection.notify(channel: "not_listened", payload: "ignored")
            }
            #expect(await eventually { collector.notifications.count >= 2 })
            // Give a stray (wrong) delivery a moment to show up before checking the exact list.
            try await pool.withConnection { try $0.notify(channel: "recoup_wakeup", payload: "marker") }
            #expect(await eventually { collector.notifications.count >= 3 })
            let received = collector.notifications
            #expect(received.map(\.channel) == ["recoup_wakeup", "Other Channel", "recoup_wakeup"])
            #expect(received.map(\.payload) == ["timers: it's due", "", "marker"])
            #expect(received.allSatisfy { !$0.isReconnect && $0.backendPID > 0 })

            await listener.stop()
            #expect(!listener.isListening)
            #expect(await eventually { collector.isFinished }, "the stream finishes after stop()")
        }
    }

    @Test("the listener reconnects after its session is killed and LISTENs again")
    func reconnects() async throws {
        try await withTestPool { pool, database in
            let listener = PostgresListener(configuration: testConfiguration(database: database, applicationName: "pg-listener-reconnect"),
                                            channels: ["recoup_wakeup"], logger: quietLogger)
            #expect(await eventually { listener.isListening })
            let collector = NotificationCollector(listener.notifications)

            let killed = try await withAdminPool { admin in
                try await admin.withConnection { connection in
                    try connection.query("""
                        SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
                        WHERE datname = $1 AND application_name = $2
                        """, [database, "pg-listener-reconnect"]).count
                }
            }
            #expect(killed == 1)
            #expect(await eventually { collector.notifications.contains { $0.isReconnect } })
            #expect(collector.notifications.first { $0.isReconnect }?.channel == "recoup_wakeup")
            #expect(await eventually { listener.isListening })

            try await pool.withConnection { try $0.notify(channel: "recoup_wakeup", payload: "after reconnect") }
            #expect(await eventually { collector.notifications.contains { $0.payload == "after reconnect" } })
            await listener.stop()
            #expect(await eventually { collector.isFinished })
        }
    }
}
