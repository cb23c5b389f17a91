/// The one order in which a transaction that touches several accounts takes them: ascending
/// account id, with the account-less (the audit trail's global chain) last.
///
/// Event batches, timer batches and dead-letter audits all lock account rows and audit chain
/// heads as they go; taking them in the same order means two of them never wait on each other
/// in a cycle. The sort is stable, so one account's items keep the order they came in.
public enum LockOrder {
    public static func sorted<Item>(_ items: [Item], account: (Item) -> String?) -> [Item] {
        items.enumerated().sorted { left, right in
            switch (account(left.element), account(right.element)) {
            case let (l?, r?) where l != r: return l < r
            case (nil, _?): return false
            case (_?, nil): return true
            default: return left.offset < right.offset
            }
        }.map(\.element)
    }
}
