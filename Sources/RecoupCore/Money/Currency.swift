/// An ISO 4217 currency and its minor-unit exponent: the number of decimal places its amounts
/// are counted in (USD 2: cents; JPY 0; KWD 3: fils; CLF 4).
///
/// Only codes with a defined minor unit are accepted: the active national currencies, the
/// euro and the regional currencies (XAF, XCD, XOF, XPF, XCG), and the fund codes that have one
/// (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW). Precious metals, SDRs and the testing and
/// "no currency" codes (XAU, XDR, XTS, XXX, ...) have no minor unit and are refused. A few codes
/// withdrawn recently but still seen on open invoices (ANG, CUC, SLL, ZWL) are still accepted.
/// Codes are upper case; `Currency(code: "usd")` is nil.
public struct Currency: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let code: String
    public let minorUnitExponent: Int

    /// The currency for an accepted ISO 4217 code, or nil.
    public init?(code: String) {
        guard let exponent = Currency.exponents[code] else { return nil }
        self.code = code
        self.minorUnitExponent = exponent
    }

    /// 10^exponent: how many minor units make one major unit (100 for USD, 1 for JPY).
    public var minorUnitsPerMajorUnit: Int64 {
        var factor: Int64 = 1
        for _ in 0..<minorUnitExponent { factor *= 10 }
        return factor
    }

    public var description: String { code }

    public static func < (lhs: Currency, rhs: Currency) -> Bool { lhs.code < rhs.code }

    /// Every accepted code, in alphabetical order.
    public static let allCodes: [String] = exponents.keys.sorted()

    public static let usd = Currency(code: "USD")!
    public static let eur = Currency(code: "EUR")!
    public static let gbp = Currency(code: "GBP")!
    public static let jpy = Currency(code: "JPY")!

    static let exponents: [String: Int] = {
        let byExponent: [(Int, String)] = [
            (0, "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"),
            (2, """
                AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN
                BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN
                ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES
                KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
                MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR
                SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD
                TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL
                """),
            (3, "BHD IQD JOD KWD LYD OMR TND"),
            (4, "CLF UYW"),
        ]
        var table: [String: Int] = [:]
        for (exponent, codes) in byExponent {
            for code in codes.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                table[String(code)] = exponent
            }
        }
        return table
    }()
}
