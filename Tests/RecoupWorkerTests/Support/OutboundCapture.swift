import AMQP
import Foundation
import RecoupCore
import RecoupStore
import RecoupWorker

/// Queues a test binds to Recoup's outbound exchanges, so it can read what Recoup published:
/// commands, customer messages and tasks, escalations.
enum OutboundCapture {
    static let commands = "test.capture.commands"
    static let messages = "test.capture.outbound"
    static let escalations = "test.capture.escalations"

    static let topology = AMQPTopology(
        exchanges: [],
        queues: [commands, messages, escalations].map { AMQPTopology.Queue(name: $0, durable: true, arguments: ["x-queue-type": .string("quorum")]) },
        bindings: [
            AMQPTopology.Binding(queue: commands, exchange: RecoupTopology.commandsExchange, routingKey: "#"),
            AMQPTopology.Binding(queue: messages, exchange: RecoupTopology.outboundExchange, routingKey: "#"),
            AMQPTopology.Binding(queue: escalations, exchange: RecoupTopology.escalationsExchange, routingKey: "#"),
        ])
}

/// One message Recoup published, parsed.
struct Published: Sendable {
    let delivery: AMQPDelivery
    let event: JSONValue

    var data: JSONValue { event["data"] ?? .null }
    var type: String { event["type"]?.stringValue ?? "" }
    func string(_ key: String) -> String? { data[key]?.stringValue }
}

extension DaemonHarness {
    /// Binds the capture queues (call before recoupd publishes anything).
    func captureOutbound() async throws {
        try await admin.declare(RecoupTopology.topology)
        try await admin.declare(OutboundCapture.topology)
    }

    /// Everything waiting in a capture queue, taken off it.
    func published(_ queue: String) async throws -> [Published] {
        try await drain(queue: queue).map { delivery in
            Published(delivery: delivery, event: (try? JSONParser.parse(delivery.body)) ?? .null)
        }
    }

    /// Waits until `queue` holds at least `count` messages, then takes them all.
    func awaitPublished(_ queue: String, count: Int, timeout: Duration = .seconds(30)) async throws -> [Published] {
        try await waitUntil("\(count) messages in \(queue)", timeout: timeout) { [self] in
            try await admin.messageCount(queue: queue) >= count
        }
        return try await published(queue)
    }

    /// `recoupctl clock ...`, failing the test on a non-zero exit.
    func clock(_ arguments: String...) async throws {
        let result = try await recoupctl(["clock"] + arguments)
        guard result.status == 0 else { throw HarnessError("recoupctl clock \(arguments): \(result.err)") }
    }

    /// Starts recoupd and waits until it has migrated the fresh database.
    func startMigrated() async throws {
        try start()
        try await waitUntil("the schema") { [self] in
            ((try? await count("SELECT coalesce(max(version), 0) FROM recoup.schema_migrations")) ?? 0) >= Migration.latestVersion
        }
    }
}

extension TestEvent {
    static func account(_ account: String, email: String = "ap@example.test", firstName: String = "Dana",
                        timezone: String = "UTC", locale: String = "en-US", arrMinor: Int = 3_000_000, version: Int = 1,
                        sms: Bool = false) -> TestEvent {
        make("account.updated", data: [
            "account_id": account, "name": "Example Co", "contact": ["first_name": firstName, "email": email, "phone": "+15555550100"],
            "timezone": timezone, "locale": locale, "currency": "USD", "arr_minor": arrMinor,
            "consents": ["email": true, "sms": sms, "in_app": true], "version": version,
        ])
    }

    static func invoice(_ invoice: String, account: String, amount: Int = 120_000, dueDate: String = "2027-01-31") -> TestEvent {
        make("invoice.created", data: [
            "invoice_id": invoice, "account_id": account, "number": "INV-\(invoice)", "currency": "USD",
            "amount_due_minor": amount, "amount_paid_minor": 0, "issued_at": "2026-11-01T09:00:00Z",
            "due_date": dueDate, "status": "open", "payment_url": "https://pay.example/\(invoice)", "version": 1,
        ])
    }

    static func paymentFailed(_ payment: String, invoice: String, account: String, at: String, attempt: Int = 1,
                              method: [String: Any], code: String, scheme: String? = "stripe", advice: String? = nil,
                              backups: [[String: Any]] = [], amount: Int = 120_000) -> TestEvent {
        var decline: [String: Any] = ["code": code]
        if let scheme { decline["scheme"] = scheme }
        if let advice { decline["network_advice_code"] = advice }
        return make("payment.failed", id: "evt_\(payment)", data: [
            "payment_id": payment, "invoice_id": invoice, "account_id": account, "amount_minor": amount, "currency": "USD",
            "attempted_at": at, "attempt": attempt, "method": method, "decline": decline, "backup_methods": backups,
        ])
    }

    static var visa: [String: Any] { ["id": "pm_visa", "type": "card", "network": "visa", "exp_month": 4, "exp_year": 2028] }
}
