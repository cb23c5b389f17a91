import Foundation
import Mustache

/// One customer-message template (`Config/templates/<channel>/<stage>/<tone>.<locale>.mustache`):
/// an email has a subject and a body, other channels a body only. `{{token}}` values are
/// HTML-escaped; templates name tokens, never raw codes or processor messages.
public struct MessageTemplate: Sendable {
    public var name: String
    public var subject: MustacheTemplate?
    public var body: MustacheTemplate

    public init(name: String, subject: MustacheTemplate?, body: MustacheTemplate) {
        self.name = name
        self.subject = subject
        self.body = body
    }

    /// Renders with the given tokens (strings, lists of string maps, booleans for sections);
    /// missing tokens render empty, so templates are checked when they load.
    public func render(_ tokens: [String: Any]) -> (subject: String?, body: String) {
        (subject?.render(tokens).trimmingCharacters(in: .whitespacesAndNewlines),
         body.render(tokens).trimmingCharacters(in: .whitespacesAndNewlines) + "\n")
    }
}

/// Every template, by channel, stage, tone and locale.
public struct TemplateLibrary: Sendable {
    public struct Key: Sendable, Hashable {
        public var channel, stage, tone, locale: String
        public init(channel: String, stage: String, tone: String, locale: String) {
            self.channel = channel
            self.stage = stage
            self.tone = tone
            self.locale = locale
        }
    }

    public private(set) var templates: [Key: MessageTemplate]
    /// Used when the account's locale (and its language) has no template.
    public static let fallbackLocale = "en-US"

    public init(templates: [Key: MessageTemplate] = [:]) {
        self.templates = templates
    }

    public mutating func add(_ template: MessageTemplate, for key: Key) {
        templates[key] = template
    }

    /// The template for `locale`, else one of the same language, else en-US; with the locale used.
    public func template(channel: String, stage: String, tone: String, locale: String) -> (MessageTemplate, locale: String)? {
        if let exact = templates[Key(channel: channel, stage: stage, tone: tone, locale: locale)] { return (exact, locale) }
        let language = locale.split(separator: "-").first.map(String.init) ?? locale
        if let sameLanguage = templates.filter({ key, _ in
            key.channel == channel && key.stage == stage && key.tone == tone && key.locale.hasPrefix(language + "-")
        }).min(by: { $0.key.locale < $1.key.locale }) {
            return (sameLanguage.value, sameLanguage.key.locale)
        }
        return templates[Key(channel: channel, stage: stage, tone: tone, locale: Self.fallbackLocale)].map { ($0, Self.fallbackLocale) }
    }
}

/// Money and dates the way a customer in `locale` reads them.
public enum LocalFormat {
    /// `$1,234.50` (en-US), `1.234,50 €` (de-DE).
    public static func money(_ money: Money, locale: String) -> String {
        var amount = Decimal(money.minorUnits)
        for _ in 0..<money.currency.minorUnitExponent { amount /= 10 }
        return amount.formatted(.currency(code: money.currency.code).locale(Locale(identifier: locale)))
    }

    /// `December 5, 2026` (en-US), `5. Dezember 2026` (de-DE), in the account's time zone.
    public static func date(_ date: Date, locale: String, timeZone: TimeZone) -> String {
        date.formatted(Date.FormatStyle(date: .long, time: .omitted, locale: Locale(identifier: locale), timeZone: timeZone))
    }

    /// A calendar date (`due_date`), formatted without shifting it through a time zone.
    public static func date(_ date: LocalDate, locale: String) -> String {
        let utc = TimeZone(identifier: "UTC")!
        let instant = Date(timeIntervalSince1970: TimeInterval(date.daysSinceEpoch) * 86_400 + 43_200)
        return self.date(instant, locale: locale, timeZone: utc)
    }
}
