import Foundation
import Testing
@testable import RecoupCore

@Suite("Event parser: valid events")
struct EventParserTests {
    static func date(_ y: Int, _ m: Int, _ d: Int) -> LocalDate { LocalDate(year: y, month: m, day: d)! }
    static func instant(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
    static let eur = Currency(code: "EUR")!, jpy = Currency(code: "JPY")!, kwd = Currency(code: "KWD")!

    static let expected: [String: InboundEvent] = [
        "account.updated": .accountUpdated(AccountUpdated(
            accountID: "acc_1042", name: "Nordlicht Logistik GmbH",
            contact: .init(firstName: "Jana", email: "jana.mueller@nordlicht.example", phone: "+49 30 1234567"),
            timezone: "Europe/Berlin", locale: "de-DE", currency: eur, arrMinor: 4_800_000, tier: .midMarket,
            owners: .init(accountManager: "sam.okafor", csm: "lee.chen", collector: "kim.ito"),
            consents: .init(email: true, sms: true, inApp: true), preferredChannel: "email", tags: ["eu", "logistics"],
            version: 7)),
        "invoice.created": .invoiceCreated(InvoiceSnapshot(
            invoiceID: "inv_2026_0042", accountID: "acc_1042", number: "INV-2026-0042", currency: eur,
            amountDueMinor: 1_250_000, amountPaidMinor: 0, issuedAt: instant(1_793_520_000), dueDate: date(2026, 12, 1),
            status: .open, paymentURL: "https://pay.billing.example/i/inv_2026_0042", version: 1)),
        "invoice.updated": .invoiceUpdated(InvoiceSnapshot(
            invoiceID: "inv_2026_0042", accountID: "acc_1042", number: "INV-2026-0042", currency: jpy,
            amountDueMinor: 150_000, amountPaidMinor: 50_000, issuedAt: nil, dueDate: date(2028, 2, 29),
            status: .open, paymentURL: nil, version: 2)),
        "invoice.paid": .invoicePaid(InvoicePaid(
            invoiceID: "inv_2026_0042", accountID: "acc_1042", paidAt: instant(1_795_176_000.5), version: 3)),
        "invoice.voided": .invoiceVoided(InvoiceVoided(invoiceID: "inv_2026_0042", accountID: "acc_1042", version: 4)),
        "payment.succeeded": .paymentSucceeded(PaymentSucceeded(
            paymentID: "pay_77", invoiceID: "inv_2026_0042", accountID: "acc_1042", amountMinor: 625_000, currency: eur,
            succeededAt: instant(1_795_248_000))),
        "payment.failed": .paymentFailed(PaymentFailed(
            paymentID: "pay_78", invoiceID: "inv_2026_0042", accountID: "acc_1042", amountMinor: 625_000, currency: kwd,
            attemptedAt: instant(1_795_246_200), attempt: 2,
            method: .init(id: "pm_card_1", type: .card, network: "mastercard", expMonth: 12, expYear: 2027),
            decline: .init(code: "51", scheme: .iso8583, networkAdviceCode: "03", message: "Insufficient funds"),
            backupMethods: [.init(id: "pm_sepa_2", type: "sepa_debit", network: nil)])),
        "dispute.opened": .disputeOpened(DisputeOpened(
            disputeID: "dp_9", invoiceID: "inv_2026_0042", accountID: "acc_1042", reason: "duplicate charge")),
        "dispute.resolved": .disputeResolved(DisputeResolved(
            disputeID: "dp_9", invoiceID: "inv_2026_0042", accountID: "acc_1042", reason: "duplicate charge",
            outcome: .merchantWon)),
        "crm.signal": .crmSignal(CRMSignal(
            accountID: "acc_1042", kind: .renewalUpcoming, priority: .high, reference: "OPP-3381",
            detail: "Renewal call booked for 2026-12-03")),
        "collections.promise_recorded": .promiseRecorded(PromiseRecorded(
            invoiceID: "inv_2026_0042", accountID: "acc_1042", promisedDate: date(2026, 12, 4), amountMinor: 625_000,
            recordedBy: "kim.ito")),
        "collections.plan_agreed": .planAgreed(PlanAgreed(
            invoiceID: "inv_2026_0042", accountID: "acc_1042",
            installments: [.init(dueDate: date(2026, 12, 15), amountMinor: 625_000),
                           .init(dueDate: date(2027, 1, 15), amountMinor: 625_000)],
            recordedBy: "kim.ito")),
        "reply.received": .replyReceived(ReplyReceived(
            replyID: "rpl_31", accountID: "acc_1042", invoiceID: "inv_2026_0042", channel: .email, inReplyTo: "msg_5521",
            text: "Hi, we'll pay on Friday.\nJana", receivedAt: instant(1_795_340_700))),
    ]

    @Test("there is a sample and an expected value for every inbound type of the contract")
    func coverage() {
        #expect(EventParser.inboundTypes.count == 13)
        #expect(Set(EventSamples.dataText.keys) == Set(EventParser.inboundTypes))
        #expect(Set(Self.expected.keys) == Set(EventParser.inboundTypes))
        #expect(Set(EventSamples.requiredFields.keys) == Set(EventParser.inboundTypes))
    }

    @Test("each sample parses to its typed value, envelope and routing keys", arguments: InboundEvent.types)
    func sample(type: String) throws {
        let parsed = try EventParser.parse(EventSamples.body(type)).get()
        #expect(parsed.event == Self.expected[type])
        #expect(parsed.event.type == type)
        #expect(parsed.envelope == CloudEventEnvelope(
            id: "evt_01JD8Q", source: "https://billing.example/webhooks", type: type, specversion: "1.0",
            time: Self.instant(1_795_342_500), datacontenttype: "application/json", subject: "acc_1042"))
        #expect(parsed.accountID == "acc_1042")
        #expect(parsed.accountID == parsed.event.accountID)
        #expect(parsed.invoiceID == (["account.updated", "crm.signal"].contains(type) ? nil : "inv_2026_0042"))
    }

    @Test("defaults: timezone UTC, locale en-US, consents email/in-app on and SMS off, nothing paid")
    func defaults() throws {
        let account = try EventParser.parse(Array(#"""
            {"specversion":"1.0","id":"e1","source":"billing","type":"account.updated","data":{"account_id":"a1","version":0}}
            """#.utf8)).get()
        #expect(account.event == .accountUpdated(AccountUpdated(accountID: "a1", version: 0)))
        guard case .accountUpdated(let value) = account.event else { return }
        #expect(value.timezone == "UTC" && value.locale == "en-US")
        #expect(value.consents == .init(email: true, sms: false, inApp: true))
        #expect(value.name == nil && value.contact == nil && value.tags == nil && value.tier == nil && value.arr == nil)
        #expect(account.envelope.time == nil && account.envelope.subject == nil && account.envelope.datacontenttype == nil)

        let consents = try EventParser.parse(EventSamples.body("account.updated", data: { data in
            data["consents"] = ["email": false, "in_app": .null]
        })).get()
        guard case .accountUpdated(let partly) = consents.event else { Issue.record("wrong case"); return }
        #expect(partly.consents == .init(email: false, sms: false, inApp: true))

        let invoice = try EventParser.parse(EventSamples.body("invoice.created")).get()
        guard case .invoiceCreated(let snapshot) = invoice.event else { Issue.record("wrong case"); return }
        #expect(snapshot.amountPaidMinor == 0)
        #expect(snapshot.openBalance == Money(minorUnits: 1_250_000, currency: Self.eur))
    }

    @Test("optional fields given as null are absent; unknown fields and attributes are ignored")
    func nullsAndExtras() throws {
        let parsed = try EventParser.parse(EventSamples.body("dispute.resolved", data: { data in
            data["outcome"] = .null
            data["reason"] = .null
            data["extra"] = ["nested": [1, 2, 3]]
        })).get()
        #expect(parsed.event == .disputeResolved(DisputeResolved(disputeID: "dp_9", invoiceID: "inv_2026_0042", accountID: "acc_1042")))
        let envelope = try EventParser.parse(EventSamples.body("invoice.voided", envelope: { envelope in
            envelope["comexampleextension"] = ["any": "thing"]
            envelope["data_base64"] = "ignored"
        })).get()
        #expect(envelope.envelope.type == "invoice.voided")
    }

    @Test("the body's type decides, and a body of exactly 256 KiB is accepted")
    func sizeBoundary() throws {
        var body = EventSamples.body("crm.signal")
        body.removeLast() // the closing brace
        body += Array(repeating: UInt8(ascii: " "), count: EventParser.maxBodyBytes - body.count - 1) + [UInt8(ascii: "}")]
        #expect(body.count == EventParser.maxBodyBytes)
        #expect(throws: Never.self) { try EventParser.parse(body).get() }
        #expect((try? EventParser.parse(body + [0x20]).get()) == nil)
    }

    @Test("parsing is deterministic and fast enough for thousands of events a second")
    func throughput() throws {
        let bodies = EventSamples.allBodies.map(\.body)
        let first = bodies.map { EventParser.parse($0) }
        let start = ContinuousClock.now
        var parsedCount = 0
        for round in 0..<400 {
            for (index, body) in bodies.enumerated() {
                let result = EventParser.parse(body)
                if round == 0 { #expect(result == first[index]) }
                if case .success = result { parsedCount += 1 }
            }
        }
        let elapsed = ContinuousClock.now - start
        #expect(parsedCount == 400 * bodies.count)
        // 5,200 events; a debug build on a shared machine still manages this many times over.
        #expect(elapsed < .seconds(10), "\(elapsed) for \(parsedCount) events")
    }
}
