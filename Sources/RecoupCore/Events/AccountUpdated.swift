/// `account.updated`: the account as the source has it at `version` (replaced whole).
public struct AccountUpdated: Sendable, Equatable {
    public struct Contact: Sendable, Equatable {
        public var firstName, email, phone: String?

        public init(firstName: String? = nil, email: String? = nil, phone: String? = nil) {
            self.firstName = firstName
            self.email = email
            self.phone = phone
        }
    }

    public struct Owners: Sendable, Equatable {
        public var accountManager, csm, collector: String?

        public init(accountManager: String? = nil, csm: String? = nil, collector: String? = nil) {
            self.accountManager = accountManager
            self.csm = csm
            self.collector = collector
        }
    }

    /// Channel consents; CONTRACT.md's defaults apply to each one left out.
    public struct Consents: Sendable, Equatable {
        public var email, sms, inApp: Bool

        public init(email: Bool = true, sms: Bool = false, inApp: Bool = true) {
            self.email = email
            self.sms = sms
            self.inApp = inApp
        }
    }

    public var accountID: String
    public var name: String?
    public var contact: Contact?
    /// An IANA identifier Foundation knows; "UTC" when absent.
    public var timezone: String
    /// A BCP 47-shaped tag; "en-US" when absent.
    public var locale: String
    public var currency: Currency?
    public var arrMinor: Int64?
    public var tier: ValueTier?
    public var owners: Owners?
    public var consents: Consents
    public var preferredChannel: String?
    public var tags: [String]?
    public var version: Int64

    public init(accountID: String, name: String? = nil, contact: Contact? = nil, timezone: String = "UTC",
                locale: String = "en-US", currency: Currency? = nil, arrMinor: Int64? = nil, tier: ValueTier? = nil,
                owners: Owners? = nil, consents: Consents = Consents(), preferredChannel: String? = nil,
                tags: [String]? = nil, version: Int64) {
        self.accountID = accountID
        self.name = name
        self.contact = contact
        self.timezone = timezone
        self.locale = locale
        self.currency = currency
        self.arrMinor = arrMinor
        self.tier = tier
        self.owners = owners
        self.consents = consents
        self.preferredChannel = preferredChannel
        self.tags = tags
        self.version = version
    }

    /// Annual recurring revenue, when both amount and currency are given.
    public var arr: Money? {
        guard let arrMinor, let currency else { return nil }
        return Money(minorUnits: arrMinor, currency: currency)
    }
}
