import RecoupCore

/// The events of a month-start renewal burst, for the end-to-end benchmark: every account
/// described, one renewal invoice each, most paid on time, some failing with the usual decline
/// codes, a few left to walk the journey, and a few replies. Deterministic: the same sizes
/// always give the same events, in the order they are to be published.
public struct BenchmarkMix: Sendable {
    /// One event ready to publish (routing key = type, AMQP message id = id, as CONTRACT says).
    public struct Event: Sendable {
        public let id: String
        public let type: String
        public let body: [UInt8]
    }

    /// What happens to each renewal invoice, by its index modulo 100.
    public enum Fate: String, Sendable, CaseIterable {
        /// 85 in 100: paid in full before the due date.
        case paidOnTime
        /// 10 in 100: the card payment fails (decline codes in roughly their real proportions).
        case paymentFails
        /// 5 in 100: nothing more is heard; the journey's reminders are the timers' work.
        case walksTheJourney

        static func of(_ index: Int) -> Fate {
            switch index % 100 {
            case 0..<85: .paidOnTime
            case 85..<95: .paymentFails
            default: .walksTheJourney
            }
        }
    }

    /// The decline codes of failing payments, in rotation: insufficient funds most often, then
    /// generic and do-not-honor declines, expired cards, and now and then a lost or stolen card.
    static let declineCodes = ["insufficient_funds", "insufficient_funds", "insufficient_funds", "insufficient_funds",
                               "generic_decline", "generic_decline", "do_not_honor", "do_not_honor", "expired_card", "lost_card"]

    /// A reply from one account in fifty, in rotation: a promise, a question, a dispute.
    static let replies = ["We'll pay this on Friday, sorry for the delay.",
                          "Could you send me the invoice as a PDF? I can't find it.",
                          "This invoice lists 50 seats but we downgraded to 20 last month."]

    public let events: [Event]

    /// A CloudEvent from the benchmark's source.
    static func event(_ type: String, id: String, time: String, data: [String: JSONValue]) -> Event {
        let envelope: JSONValue = .object([
            "specversion": "1.0", "id": .string(id), "source": "recoup-bench", "type": .string(type),
            "time": .string(time), "datacontenttype": "application/json", "data": .object(data),
        ])
        return Event(id: id, type: type, body: envelope.serializedBytes)
    }

    /// `invoices` renewal invoices over `accounts` accounts (at least one), all issued
    /// `2026-12-01`, due `2026-12-15`; `runID` keeps ids apart between runs on one database.
    public init(invoices: Int, accounts: Int, runID: String) {
        let accounts = max(1, min(accounts, invoices))
        var events: [Event] = []
        events.reserveCapacity(accounts + invoices * 2 + accounts / 50)
        func add(_ type: String, _ id: String, _ data: [String: JSONValue]) {
            events.append(Self.event(type, id: id, time: "2026-12-01T06:00:00Z", data: data))
        }
        let prefix = "bench_\(runID)"
        for account in 0..<accounts {
            // ARR spread over the three tiers: mostly long tail, some mid-market, a few strategic.
            let arrMinor: Int64 = account % 20 == 0 ? 40_000_000 : account % 5 == 0 ? 5_000_000 : 600_000
            add("account.updated", "\(prefix)_evt_acc_\(account)", [
                "account_id": .string("\(prefix)_acc_\(account)"), "name": .string("Customer \(account)"),
                "contact": .object(["first_name": "Sam", "email": .string("ap+\(account)@customer.example")]),
                "timezone": account % 2 == 0 ? "Europe/Berlin" : "America/New_York",
                "locale": account % 2 == 0 ? "de-DE" : "en-US", "currency": "EUR", "arr_minor": .int(arrMinor),
                "consents": .object(["email": true, "sms": false, "in_app": true]), "version": 1,
            ])
        }
        for index in 0..<invoices {
            let account = "\(prefix)_acc_\(index % accounts)", invoice = "\(prefix)_in_\(index)"
            let amount = Int64(5_000 + (index * 7_919) % 495_000)
            add("invoice.created", "\(prefix)_evt_inv_\(index)", [
                "invoice_id": .string(invoice), "account_id": .string(account), "number": .string("R-\(index)"),
                "currency": "EUR", "amount_due_minor": .int(amount), "amount_paid_minor": 0,
                "issued_at": "2026-12-01T06:00:00Z", "due_date": "2026-12-15", "status": "open",
                "payment_url": .string("https://pay.example/\(invoice)"), "version": 1,
            ])
        }
        for index in 0..<invoices {
            let account = "\(prefix)_acc_\(index % accounts)", invoice = "\(prefix)_in_\(index)"
            let amount = Int64(5_000 + (index * 7_919) % 495_000)
            switch Fate.of(index) {
            case .paidOnTime:
                add("payment.succeeded", "\(prefix)_evt_pay_\(index)", [
                    "payment_id": .string("\(prefix)_py_\(index)"), "invoice_id": .string(invoice), "account_id": .string(account),
                    "amount_minor": .int(amount), "currency": "EUR", "succeeded_at": "2026-12-01T06:05:00Z",
                ])
            case .paymentFails:
                add("payment.failed", "\(prefix)_evt_fail_\(index)", [
                    "payment_id": .string("\(prefix)_py_\(index)"), "invoice_id": .string(invoice), "account_id": .string(account),
                    "amount_minor": .int(amount), "currency": "EUR", "attempted_at": "2026-12-01T06:05:00Z", "attempt": 1,
                    "method": .object(["id": .string("\(prefix)_pm_\(index)"), "type": "card",
                                       "network": index % 3 == 0 ? "mastercard" : "visa", "exp_month": 12, "exp_year": 2027]),
                    "decline": .object(["code": .string(Self.declineCodes[(index / 100) % Self.declineCodes.count]),
                                        "scheme": "stripe"]),
                ])
            case .walksTheJourney:
                break
            }
        }
        for account in stride(from: 0, to: accounts, by: 50) {
            add("reply.received", "\(prefix)_evt_reply_\(account)", [
                "reply_id": .string("\(prefix)_rp_\(account)"), "account_id": .string("\(prefix)_acc_\(account)"),
                "invoice_id": .string("\(prefix)_in_\(account)"), "channel": "email",
                "text": .string(Self.replies[(account / 50) % Self.replies.count]), "received_at": "2026-12-01T08:00:00Z",
            ])
        }
        self.events = events
    }
}
