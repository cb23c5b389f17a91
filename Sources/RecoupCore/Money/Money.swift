/// An amount of money: an integer count of the currency's minor units. Never a float.
public struct Money: Sendable, Hashable, CustomStringConvertible {
    public var minorUnits: Int64
    public var currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public static func zero(_ currency: Currency) -> Money { Money(minorUnits: 0, currency: currency) }

    public var isNegative: Bool { minorUnits < 0 }

    /// The sum, or nil when the currencies differ or the result would overflow.
    public func adding(_ other: Money) -> Money? {
        guard other.currency == currency else { return nil }
        let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        return overflow ? nil : Money(minorUnits: sum, currency: currency)
    }

    /// The difference, or nil when the currencies differ or the result would overflow.
    public func subtracting(_ other: Money) -> Money? {
        guard other.currency == currency else { return nil }
        let (difference, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        return overflow ? nil : Money(minorUnits: difference, currency: currency)
    }

    /// The amount in major units with exactly the currency's decimals, no grouping:
    /// `1234.50` (USD), `1500` (JPY), `-0.005` (KWD). Locale-aware formatting is the templates' job.
    public var decimalString: String {
        let exponent = currency.minorUnitExponent
        var digits = String(minorUnits.magnitude)
        if exponent > 0 {
            if digits.count <= exponent { digits = String(repeating: "0", count: exponent - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -exponent))
        }
        return minorUnits < 0 ? "-" + digits : digits
    }

    /// `USD 1234.50`.
    public var description: String { "\(currency.code) \(decimalString)" }
}
