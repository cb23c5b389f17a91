import Foundation
import Logging
import Testing
import TestSupport
@testable import AMQP

/// The test support's vhosts: made and deleted in batches, each one whole and usable.
@Suite("Test vhosts on the local broker")
struct TestVhostTests {
    static func vhosts() async throws -> Set<String> {
        Set(try await TestEnvironment.rabbitmqctl(["list_vhosts", "--no-table-headers"]).split(separator: "\n").map(String.init))
    }

    @Test("twelve made at once all exist, each usable by recoup; deleted at once they are gone; a bad delete fails alone")
    func batched() async throws {
        let made = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<12 { group.addTask { try await TestEnvironment.makeVhost(prefix: "batch") } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(made.count == 12)
        #expect(made.isSubset(of: try await Self.vhosts()))
        for vhost in made.sorted().prefix(2) {
            let admin = AMQPAdmin(configuration: AMQPConfiguration(url: try AMQPURL.parse(TestEnvironment.amqpURL(vhost: vhost)),
                                                                   connectionName: "batch"), logger: Logger(label: "test.vhosts"))
            try await admin.declare(AMQPTopology(queues: [.init(name: "q", durable: false, arguments: [:])]))
            #expect(try await admin.messageCount(queue: "q") == 0)
            await admin.close()
        }

        let missing = TestEnvironment.uniqueName("never_made")
        let outcomes = await withTaskGroup(of: (String, Bool).self) { group in
            for vhost in made.sorted() + [missing] {
                group.addTask { (vhost, (try? await TestEnvironment.deleteVhost(vhost)) != nil) }
            }
            return await group.reduce(into: [String: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes[missing] == false, "deleting a vhost that does not exist fails")
        #expect(made.allSatisfy { outcomes[$0] == true }, "and only that one: \(outcomes)")
        #expect(made.isDisjoint(with: try await Self.vhosts()))
        await #expect(throws: (any Error).self) { try await TestEnvironment.makeVhost(prefix: "no spaces'") }
    }
}
