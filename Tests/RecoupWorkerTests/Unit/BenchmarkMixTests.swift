import RecoupCore
@testable import RecoupWorker
import Testing

/// The benchmark's burst must be valid input in the proportions it claims, or its figures
/// measure dead-lettering instead of collections.
@Suite("benchmark event mix")
struct BenchmarkMixTests {
    static let mix = BenchmarkMix(invoices: 1_000, accounts: 400, runID: "t")

    @Test("every event passes the contract's parser, and ids are unique")
    func valid() throws {
        for event in Self.mix.events {
            let parsed = try EventParser.parse(event.body).get()
            #expect(parsed.envelope.id == event.id)
            #expect(parsed.envelope.type == event.type)
        }
        #expect(Set(Self.mix.events.map(\.id)).count == Self.mix.events.count)
    }

    @Test("the proportions: every account described, one invoice each, 85% paid, 10% failing, 5% left, a reply per 50 accounts")
    func proportions() {
        var byType: [String: Int] = [:]
        for event in Self.mix.events { byType[event.type, default: 0] += 1 }
        #expect(byType == ["account.updated": 400, "invoice.created": 1_000, "payment.succeeded": 850,
                           "payment.failed": 100, "reply.received": 8])
        let declines = Self.mix.events.filter { $0.type == "payment.failed" }.compactMap { event -> String? in
            guard case .success(let parsed) = EventParser.parse(event.body), case .paymentFailed(let failure) = parsed.event else { return nil }
            return failure.decline.code
        }
        #expect(declines.filter { $0 == "insufficient_funds" }.count == 40, "the commonest decline, 4 in 10")
        #expect(Set(declines) == Set(BenchmarkMix.declineCodes))
    }

    @Test("accounts come before their invoices, invoices before their payments")
    func order() {
        let position = Dictionary(uniqueKeysWithValues: Self.mix.events.enumerated().map { ($1.id, $0) })
        #expect(position["bench_t_evt_acc_399"]! < position["bench_t_evt_inv_0"]!)
        #expect(position["bench_t_evt_inv_999"]! < position["bench_t_evt_pay_0"]!)
        #expect(BenchmarkMix(invoices: 1_000, accounts: 400, runID: "t").events.map(\.body) == Self.mix.events.map(\.body),
                "the same sizes give the same burst")
    }
}
