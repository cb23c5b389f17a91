import Foundation
import Postgres
import RecoupCore

/// What a decision needs to know about an account, read (and locked) in the deciding transaction.
struct AccountFacts {
    var accountID: String
    var firstName: String?
    var email: String?
    var phone: String?
    var emailConsent: Bool
    var smsConsent: Bool
    var inAppConsent: Bool
    /// The people who own the account (`account_manager`, `csm`, `collector`), by id.
    var owners: [String: String]
    var locale: String
    var timeZone: TimeZone
    var currency: String?
    var arrMinor: Int64?
    var tierOverride: String?

    /// Locks the account row (creating the placeholder if needed) and reads it. Every writer of
    /// outbox rows locks the account first, which keeps one account's messages in order.
    static func lock(_ accountID: String, now: Date, _ connection: PostgresConnection) throws -> AccountFacts {
        try RowLock.lockCreating({ try load(accountID, lock: true, connection) },
                                 create: { try AccountRepository.ensure(accountID, now: now, connection) })
    }

    /// Reads the account without locking it (operator views); a placeholder if it was never seen.
    static func read(_ accountID: String, _ connection: PostgresConnection) throws -> AccountFacts {
        try load(accountID, lock: false, connection)
            ?? AccountFacts(accountID: accountID, emailConsent: false, smsConsent: false, inAppConsent: false, owners: [:],
                            locale: "en-US", timeZone: TimeZone(identifier: "UTC")!)
    }

    /// The stored account; nil if it was never seen.
    private static func load(_ accountID: String, lock: Bool, _ connection: PostgresConnection) throws -> AccountFacts? {
        try connection.query("SELECT \(columns) FROM recoup.accounts WHERE account_id = $1 \(lock ? "FOR UPDATE" : "")", [accountID])
            .first.map(decode)
    }

    /// Locks the stored accounts among `accountIDs` in one statement, in `LockOrder` (byte order,
    /// as `COLLATE "C"` sorts), and reads them; accounts never seen are absent.
    static func lockExisting(_ accountIDs: [String], _ connection: PostgresConnection) throws -> [String: AccountFacts] {
        guard !accountIDs.isEmpty else { return [:] }
        let rows = try connection.query("""
            SELECT \(columns) FROM recoup.accounts WHERE account_id = ANY($1::text[]) ORDER BY account_id COLLATE "C" FOR UPDATE
            """, [PostgresArrayLiteral.text(accountIDs)])
        return Dictionary(try rows.map { let facts = try decode($0); return (facts.accountID, facts) }, uniquingKeysWith: { first, _ in first })
    }

    private static let columns = """
        account_id, first_name, email, consent_email, locale, timezone, currency, arr_minor, tier_override,
        phone, consent_sms, consent_in_app, owners::text
        """

    private static func decode(_ row: PostgresRow) throws -> AccountFacts {
        let zoneName = try row.decode(String.self, at: 5)
        return AccountFacts(
            accountID: try row.decode(String.self, at: 0), firstName: try row.decodeOptional(String.self, at: 1),
            email: try row.decodeOptional(String.self, at: 2), phone: try row.decodeOptional(String.self, at: 9),
            emailConsent: try row.decode(Bool.self, at: 3), smsConsent: try row.decode(Bool.self, at: 10),
            inAppConsent: try row.decode(Bool.self, at: 11), owners: Self.owners(try row.decode(String.self, at: 12)),
            locale: try row.decode(String.self, at: 4),
            timeZone: TimeZone(identifier: zoneName) ?? TimeZone(identifier: "UTC")!,
            currency: try row.decodeOptional(String.self, at: 6), arrMinor: try row.decodeOptional(Int64.self, at: 7),
            tierOverride: try row.decodeOptional(String.self, at: 8))
    }

    private static func owners(_ text: String) -> [String: String] {
        guard case .object(let object)? = try? JSONParser.parse(Array(text.utf8)) else { return [:] }
        var owners: [String: String] = [:]
        for (key, value) in object { if let id = value.stringValue { owners[key] = id } }
        return owners
    }

    var consents: Consents { Consents(email: emailConsent, sms: smsConsent, inApp: inAppConsent) }

    var recipient: MessageRecipient {
        MessageRecipient(accountID: accountID, firstName: firstName, email: email, phone: phone, locale: locale, timeZone: timeZone)
    }

    var valueTier: ValueTier {
        ValueTier.of(arrMinor: arrMinor, currency: currency.flatMap(Currency.init(code:)),
                     override: tierOverride.flatMap(ValueTier.init(rawValue:)))
    }
}

/// What a decision needs to know about an invoice: its status, balance, disputes and holds.
struct InvoiceFacts {
    var invoiceID: String
    var accountID: String
    var number: String?
    var currency: Currency?
    var status: String?
    var amountDueMinor: Int64?
    var paidMinor: Int64
    var dueDate: LocalDate?
    var paymentURL: String?
    var openDisputes: Int
    var openHolds: Int

    /// Locks the invoice row (creating the placeholder if needed) and reads it with its open
    /// disputes and holds.
    static func lock(_ invoiceID: String, accountID: String, now: Date, _ connection: PostgresConnection) throws -> InvoiceFacts {
        try RowLock.lockCreating({ try load(invoiceID, lock: true, connection) },
                                 create: { try InvoiceRepository.ensure(invoiceID: invoiceID, accountID: accountID, now: now, connection) })
    }

    /// Reads the invoice without locking it (operator views); nil if it was never seen.
    static func read(_ invoiceID: String, _ connection: PostgresConnection) throws -> InvoiceFacts? {
        try load(invoiceID, lock: false, connection)
    }

    private static func load(_ invoiceID: String, lock: Bool, _ connection: PostgresConnection) throws -> InvoiceFacts? {
        try connection.query("SELECT \(columns) FROM recoup.invoices i WHERE invoice_id = $1 \(lock ? "FOR UPDATE" : "")", [invoiceID])
            .first.map(decode)
    }

    /// Locks the stored invoices among `invoiceIDs` in one statement, in byte order of their ids,
    /// and reads them; invoices never seen are absent. Take their accounts' locks first.
    static func lockExisting(_ invoiceIDs: [String], _ connection: PostgresConnection) throws -> [String: InvoiceFacts] {
        guard !invoiceIDs.isEmpty else { return [:] }
        let rows = try connection.query("""
            SELECT \(columns) FROM recoup.invoices i WHERE invoice_id = ANY($1::text[]) ORDER BY invoice_id COLLATE "C" FOR UPDATE
            """, [PostgresArrayLiteral.text(invoiceIDs)])
        return Dictionary(try rows.map { let facts = try decode($0); return (facts.invoiceID, facts) }, uniquingKeysWith: { first, _ in first })
    }

    private static let columns = """
        invoice_id, account_id, number, currency, status, amount_due_minor,
        greatest(amount_paid_minor, payments_received_minor), to_char(due_date, 'YYYY-MM-DD'), payment_url,
        (SELECT count(*) FROM recoup.disputes d WHERE d.invoice_id = i.invoice_id AND d.status = 'open'),
        (SELECT count(*) FROM recoup.invoice_holds h WHERE h.invoice_id = i.invoice_id AND h.released_at IS NULL)
        """

    private static func decode(_ row: PostgresRow) throws -> InvoiceFacts {
        InvoiceFacts(
            invoiceID: try row.decode(String.self, at: 0), accountID: try row.decode(String.self, at: 1),
            number: try row.decodeOptional(String.self, at: 2),
            currency: try row.decodeOptional(String.self, at: 3).flatMap(Currency.init(code:)),
            status: try row.decodeOptional(String.self, at: 4), amountDueMinor: try row.decodeOptional(Int64.self, at: 5),
            paidMinor: try row.decode(Int64.self, at: 6),
            dueDate: try row.decodeOptional(String.self, at: 7).flatMap(LocalDate.init),
            paymentURL: try row.decodeOptional(String.self, at: 8),
            openDisputes: try row.decode(Int.self, at: 9), openHolds: try row.decode(Int.self, at: 10))
    }

    /// The invoice as a customer message names it.
    var messageInvoice: MessageInvoice {
        MessageInvoice(invoiceID: invoiceID, number: number, openBalance: openBalance, dueDate: dueDate, paymentURL: paymentURL)
    }

    /// What is still owed, when the invoice's amount is known.
    var openBalance: Money? {
        guard let amountDueMinor, let currency else { return nil }
        return Money(minorUnits: max(0, amountDueMinor - paidMinor), currency: currency)
    }

    /// Whether retries and payment notices may still go out. An invoice Recoup has not seen
    /// described yet (only its failure) is not known to be paid, so it is collectible.
    var standing: InvoiceStanding {
        switch status {
        case "paid": return .notCollectible(reason: "paid")
        case "void": return .notCollectible(reason: "voided")
        case "uncollectible": return .notCollectible(reason: "uncollectible")
        default: break
        }
        if openDisputes > 0 { return .notCollectible(reason: "disputed") }
        if openHolds > 0 { return .notCollectible(reason: "on hold") }
        if let balance = openBalance, balance.minorUnits == 0 { return .notCollectible(reason: "fully paid") }
        return .collectible
    }

    /// Days past the due date in the account's time zone (0 before it; nil when unknown).
    func daysOverdue(now: Date, timeZone: TimeZone) -> Int? {
        guard let dueDate else { return nil }
        return max(0, LocalDate(now, in: timeZone).daysSinceEpoch - dueDate.daysSinceEpoch)
    }
}
