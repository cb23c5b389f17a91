import PropertySupport
import RecoupStore
import Testing

/// Every multi-account transaction takes accounts in one order, and nobody's own items are
/// reordered by it.
@Suite("lock order")
struct LockOrderTests {
    @Test("accounts ascend, the account-less come last, each account keeps its order (seeded runs)",
          arguments: [1, 2, 3, 99, 2_026] as [UInt64])
    func order(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let accounts: [String?] = ["acc_b", "acc_a", "acc_c", "acc_10", "acc_9", nil]
        let items = (0..<500).map { index in (account: accounts.randomElement(using: &generator)!, index: index) }
        let sorted = LockOrder.sorted(items) { $0.account }

        #expect(sorted.count == items.count)
        #expect(Set(sorted.map(\.index)) == Set(items.map(\.index)))
        let named = sorted.compactMap(\.account)
        #expect(named == named.sorted())
        #expect(sorted.drop { $0.account != nil }.allSatisfy { $0.account == nil }, "the account-less are last")
        for account in accounts {
            let mine = sorted.filter { $0.account == account }.map(\.index)
            #expect(mine == mine.sorted(), "\(account ?? "nil") kept its order")
        }
    }

    @Test("a table of small cases")
    func table() {
        let cases: [([String?], [String?])] = [
            ([], []),
            (["b", "a"], ["a", "b"]),
            ([nil, "a"], ["a", nil]),
            (["a", nil, "a"], ["a", "a", nil]),
        ]
        for (input, expected) in cases {
            #expect(LockOrder.sorted(input) { $0 } == expected, "\(input)")
        }
    }
}
