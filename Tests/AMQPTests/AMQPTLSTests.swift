import Foundation
import Logging
import Testing
import TestSupport
@testable import AMQP

/// amqps:// against the local broker's TLS listener, whose certificate a throw-away CA signed.
@Suite("AMQP over TLS")
struct AMQPTLSTests {
    static let logger = Logger(label: "test.amqps")

    @Test("publishes and reads back over TLS when the CA is trusted")
    func trusted() async throws {
        let vhost = try await TestEnvironment.makeVhost(prefix: "tls")
        var configuration = AMQPConfiguration(url: try AMQPURL.parse(TestEnvironment.amqpsURL(vhost: vhost)), connectionName: "tls-test")
        configuration.caCertificatePath = TestEnvironment.amqpsCAPath
        #expect(configuration.url.tls)
        let topology = AMQPTopology(
            exchanges: [.init(name: "x", type: "topic", durable: true)],
            queues: [.init(name: "q", durable: true)],
            bindings: [.init(queue: "q", exchange: "x", routingKey: "#")])
        let publisher = AMQPPublisher(configuration: configuration, topology: topology, logger: Self.logger)
        let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
        do {
            try await publisher.publish([AMQPOutboundMessage(exchange: "x", routingKey: "k", body: Array("secret".utf8))])
            let message = try #require(try await admin.get(queue: "q"))
            #expect(message.body == Array("secret".utf8))
            try await admin.ack(message)
        } catch {
            Issue.record("TLS round trip failed: \(error)")
        }
        await admin.close()
        await publisher.close()
        try await TestEnvironment.deleteVhost(vhost)
    }

    @Test("refuses a broker whose certificate no trusted CA signed")
    func untrusted() async throws {
        var configuration = AMQPConfiguration(url: try AMQPURL.parse(TestEnvironment.amqpsURL()), connectionName: "tls-untrusted")
        // The system bundle does not know the throw-away CA.
        configuration.caCertificatePath = "/etc/ssl/certs/ca-certificates.crt"
        configuration.connectTimeout = .seconds(5)
        let admin = AMQPAdmin(configuration: configuration, logger: Self.logger)
        await #expect(throws: AMQPError.self) { try await admin.messageCount(queue: "recoup.invoices") }
        await admin.close()
    }
}
