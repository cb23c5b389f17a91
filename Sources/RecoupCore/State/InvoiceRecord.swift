import Foundation

/// What Recoup knows about one invoice, merged from events that may arrive in any order.
///
/// Two parts converge independently, each keeping the newest `version` it has seen:
/// the snapshot (number, amounts, dates: from `invoice.created` / `invoice.updated`) and the
/// lifecycle status (from the snapshot's `status`, `invoice.paid`, `invoice.voided`). So
/// `invoice.paid` (v3) before `invoice.created` (v1) ends as "paid, with v1's fields" — the
/// state an in-order delivery would have produced. The payment time comes only from
/// `invoice.paid` (a snapshot has none), so it is kept from the newest `invoice.paid` and
/// shown while the status is paid.
public struct InvoiceRecord: Sendable, Equatable {
    public struct Snapshot: Sendable, Equatable {
        public var number: String
        public var currency: String
        public var amountDueMinor: Int64
        public var amountPaidMinor: Int64
        public var issuedAt: Date?
        public var dueDate: String
        public var paymentURL: String?

        public init(number: String, currency: String, amountDueMinor: Int64, amountPaidMinor: Int64,
                    issuedAt: Date?, dueDate: String, paymentURL: String?) {
            self.number = number
            self.currency = currency
            self.amountDueMinor = amountDueMinor
            self.amountPaidMinor = amountPaidMinor
            self.issuedAt = issuedAt
            self.dueDate = dueDate
            self.paymentURL = paymentURL
        }
    }

    public enum Status: String, Sendable, CaseIterable {
        case open, paid, void, uncollectible
    }

    public var invoiceID: String
    public var accountID: String
    public var snapshot: Snapshot?
    public var snapshotVersion: Int64?
    public var status: Status?
    public var statusVersion: Int64?
    /// `paid_at` of the newest `invoice.paid` seen, and that event's version.
    public var lastPaidAt: Date?
    public var lastPaidVersion: Int64?

    /// When the invoice was paid, while it is paid.
    public var paidAt: Date? { status == .paid ? lastPaidAt : nil }

    public init(invoiceID: String, accountID: String) {
        self.invoiceID = invoiceID
        self.accountID = accountID
    }

    /// A change an event asks for.
    public enum Change: Sendable, Equatable {
        case snapshot(Snapshot, status: Status, version: Int64)
        case paid(at: Date, version: Int64)
        case voided(version: Int64)

        public var version: Int64 {
            switch self {
            case .snapshot(_, _, let version), .paid(_, let version), .voided(let version): version
            }
        }
    }

    /// Which parts of the record a change moved; empty means the event was stale.
    public struct Applied: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let snapshot = Applied(rawValue: 1)
        public static let status = Applied(rawValue: 2)
        public static let paymentTime = Applied(rawValue: 4)

        /// Everything `change` can move when it is the newest the record has seen.
        public static func all(for change: Change) -> Applied {
            switch change {
            case .snapshot: [.snapshot, .status]
            case .paid: [.status, .paymentTime]
            case .voided: [.status]
            }
        }
    }

    /// Applies `change` where it is newer than what the record holds. Equal versions are
    /// treated as already seen (the first one stays), which makes the merge order-independent
    /// whenever the source gives every change its own version.
    @discardableResult
    public mutating func apply(_ change: Change) -> Applied {
        var applied: Applied = []
        let version = change.version
        if case .snapshot(let snapshot, _, _) = change, Self.isNewer(version, than: snapshotVersion) {
            self.snapshot = snapshot
            snapshotVersion = version
            applied.insert(.snapshot)
        }
        if case .paid(let at, _) = change, Self.isNewer(version, than: lastPaidVersion) {
            lastPaidAt = at
            lastPaidVersion = version
            applied.insert(.paymentTime)
        }
        if Self.isNewer(version, than: statusVersion) {
            switch change {
            case .snapshot(_, let status, _): self.status = status
            case .paid: status = .paid
            case .voided: status = .void
            }
            statusVersion = version
            applied.insert(.status)
        }
        return applied
    }

    static func isNewer(_ version: Int64, than stored: Int64?) -> Bool {
        guard let stored else { return true }
        return version > stored
    }
}
