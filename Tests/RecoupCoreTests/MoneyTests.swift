import Testing
@testable import RecoupCore

@Suite("Currency and money")
struct MoneyTests {
    @Test("ISO 4217 codes carry their minor-unit exponent", arguments: [
        ("USD", 2), ("EUR", 2), ("GBP", 2), ("CHF", 2), ("JPY", 0), ("KRW", 0), ("VND", 0), ("CLP", 0), ("ISK", 0),
        ("XAF", 0), ("XOF", 0), ("XPF", 0), ("KWD", 3), ("BHD", 3), ("JOD", 3), ("OMR", 3), ("TND", 3), ("IQD", 3),
        ("LYD", 3), ("CLF", 4), ("UYW", 4), ("XCD", 2), ("XCG", 2), ("VES", 2), ("ZWG", 2), ("SLE", 2), ("MRU", 2),
    ])
    func exponents(code: String, exponent: Int) throws {
        let currency = try #require(Currency(code: code))
        #expect(currency.code == code)
        #expect(currency.minorUnitExponent == exponent)
    }

    @Test("codes that are not active currencies with minor units are refused", arguments: [
        "", "usd", "Usd", "US", "USDX", "XYZ", "XAU", "XAG", "XDR", "XTS", "XXX", "HRK", "DEM", "BTC", " USD",
    ])
    func refused(code: String) {
        #expect(Currency(code: code) == nil)
    }

    @Test("the table is complete enough and every exponent is 0, 2, 3 or 4")
    func table() {
        #expect(Currency.allCodes.count >= 165)
        #expect(Currency.allCodes == Currency.allCodes.sorted())
        for code in Currency.allCodes {
            let currency = Currency(code: code)
            #expect(currency != nil)
            #expect([0, 2, 3, 4].contains(currency?.minorUnitExponent ?? -1), "\(code)")
            #expect(code.utf8.count == 3 && code.utf8.allSatisfy { $0 >= 65 && $0 <= 90 }, "\(code)")
        }
        #expect(Currency.usd.minorUnitsPerMajorUnit == 100)
        #expect(Currency.jpy.minorUnitsPerMajorUnit == 1)
        #expect(Currency(code: "CLF")?.minorUnitsPerMajorUnit == 10_000)
    }

    @Test("money prints in major units with the currency's decimals")
    func decimalString() throws {
        let kwd = try #require(Currency(code: "KWD"))
        #expect(Money(minorUnits: 123_450, currency: .usd).decimalString == "1234.50")
        #expect(Money(minorUnits: 5, currency: .usd).decimalString == "0.05")
        #expect(Money(minorUnits: 0, currency: .eur).decimalString == "0.00")
        #expect(Money(minorUnits: 1_500, currency: .jpy).decimalString == "1500")
        #expect(Money(minorUnits: -5, currency: kwd).decimalString == "-0.005")
        #expect(Money(minorUnits: Int64.min, currency: .usd).decimalString == "-92233720368547758.08")
        #expect(Money(minorUnits: 1_999, currency: .eur).description == "EUR 19.99")
    }

    @Test("arithmetic refuses mixed currencies and overflow")
    func arithmetic() {
        let ten = Money(minorUnits: 1_000, currency: .usd)
        #expect(ten.adding(Money(minorUnits: 250, currency: .usd)) == Money(minorUnits: 1_250, currency: .usd))
        #expect(ten.subtracting(Money(minorUnits: 1_250, currency: .usd))?.isNegative == true)
        #expect(ten.adding(Money(minorUnits: 1, currency: .eur)) == nil)
        #expect(Money(minorUnits: Int64.max, currency: .usd).adding(Money(minorUnits: 1, currency: .usd)) == nil)
        #expect(Money.zero(.jpy).minorUnits == 0)
    }
}
