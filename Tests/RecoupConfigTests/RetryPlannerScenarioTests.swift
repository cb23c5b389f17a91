import Foundation
import RecoupConfig
import RecoupCore
import Testing

/// The shipped payment policy, scenario by scenario: what the planner decides and which rules
/// it names.
@Suite("Retry planner with the shipped policy")
struct RetryPlannerScenarioTests {
    static let planner = RetryPlanner(rules: ShippedPolicy.rules)
    static let visa = PaymentMethodRef(id: "pm_visa", type: .card, network: "visa", expMonth: 4, expYear: 2028)
    static let mastercard = PaymentMethodRef(id: "pm_mc", type: .card, network: "mastercard", expMonth: 4, expYear: 2028)
    static let backup = PaymentMethodRef(id: "pm_backup", type: .card, network: "visa", expMonth: 9, expYear: 2029)
    static let ach = PaymentMethodRef(id: "pm_ach", type: .achDebit)
    static let sepa = PaymentMethodRef(id: "pm_sepa", type: .sepaDebit)
    static let day: TimeInterval = 86_400

    static func at(_ text: String) -> Date { ShippedPolicy.date(text) }

    static func declined(_ method: PaymentMethodRef, _ code: String, at: Date, scheme: DeclineScheme? = .stripe,
                         advice: String? = nil, invoice: String = "in_1") -> PaymentAttempt {
        PaymentAttempt(method: method, invoiceID: invoice, at: at, kind: .declined(code: code, scheme: scheme, adviceCode: advice))
    }

    static func plan(_ method: PaymentMethodRef, _ code: String, at: Date, scheme: DeclineScheme? = .stripe, advice: String? = nil,
                     history: [PaymentAttempt] = [], backups: [PaymentMethodRef] = [], invoice: InvoiceStanding = .collectible,
                     now: Date? = nil) -> RetryPlan {
        planner.plan(RetryPlanningInput(invoiceID: "in_1", method: method, code: code, scheme: scheme, adviceCode: advice,
                                        attemptedAt: at, history: history, backups: backups, invoice: invoice, now: now ?? at))
    }

    @Test("insufficient funds on Visa: +3d, +5d, +7d after each failure, then the customer is asked")
    func fundsSchedule() {
        let first = Self.at("2026-12-02T10:00:00Z")
        let one = Self.plan(Self.visa, "insufficient_funds", at: first)
        #expect(one.retry?.at == first + 3 * Self.day)
        #expect(one.notice == nil, "the first funds failure waits for a retry likely to succeed")
        #expect(one.rules.contains("policy.retry.insufficient_funds"))

        var history = [Self.declined(Self.visa, "insufficient_funds", at: first),
                       PaymentAttempt(method: Self.visa, invoiceID: "in_1", at: first + 3 * Self.day, kind: .retryAnswered)]
        let second = first + 3 * Self.day
        let two = Self.plan(Self.visa, "insufficient_funds", at: second, history: history)
        #expect(two.retry?.at == second + 5 * Self.day)
        #expect(two.notice == .now, "from the second failure the customer hears, with the retry date")

        history += [Self.declined(Self.visa, "insufficient_funds", at: second),
                    PaymentAttempt(method: Self.visa, invoiceID: "in_1", at: second + 5 * Self.day, kind: .retryAnswered)]
        let third = second + 5 * Self.day
        let three = Self.plan(Self.visa, "insufficient_funds", at: third, history: history)
        #expect(three.retry?.at == third + 7 * Self.day)

        history += [Self.declined(Self.visa, "insufficient_funds", at: third),
                    PaymentAttempt(method: Self.visa, invoiceID: "in_1", at: third + 7 * Self.day, kind: .retryAnswered)]
        let fourth = third + 7 * Self.day
        let four = Self.plan(Self.visa, "insufficient_funds", at: fourth, history: history)
        #expect(four.action == .askCustomer)
        #expect(four.notice == .now)
        #expect(four.notes.contains { $0.contains("schedule is used up") })
    }

    @Test("a funds retry that lands just before a payday moves to it")
    func payday() {
        let failed = Self.at("2026-12-11T09:30:00Z")
        let plan = Self.plan(Self.visa, "insufficient_funds", at: failed)
        #expect(plan.retry?.at == Self.at("2026-12-15T09:30:00Z"))
        #expect(plan.rules.contains("policy.retry.paydays"))
    }

    @Test("a stolen card is never retried: the backup is tried now, the customer asked after the grace period")
    func stolenWithBackup() {
        let failed = Self.at("2026-12-02T10:00:00Z")
        let plan = Self.plan(Self.visa, "stolen_card", at: failed, backups: [Self.backup])
        #expect(plan.action == .retry(at: failed, method: Self.backup, isBackup: true))
        #expect(plan.notice == .at(failed + 2 * 3_600))
        #expect(plan.classification.reasonKey == "generic")
        let reason = ShippedPolicy.rules.taxonomy.customerReason(plan.classification)
        #expect(CustomerWording.forbiddenWords(in: reason) == [])

        let alone = Self.plan(Self.visa, "43", at: failed, scheme: .iso8583)
        #expect(alone.action == .askCustomer)
        #expect(alone.rules.contains("visa.category_1.never"))
    }

    @Test("a backup that already declined this invoice, or is blocked, is skipped")
    func backupSkipped() {
        let failed = Self.at("2026-12-02T10:00:00Z")
        let history = [Self.declined(Self.backup, "expired_card", at: failed - Self.day)]
        let plan = Self.plan(Self.visa, "lost_card", at: failed, history: history, backups: [Self.backup])
        #expect(plan.action == .askCustomer)
        #expect(plan.notes.contains { $0.contains("backup 1 skipped") })
    }

    @Test("Mastercard advice 03 and 21 stop retries; 26 makes a retry wait two days")
    func mastercardAdvice() {
        let failed = Self.at("2026-12-02T10:00:00Z")
        let stop = Self.plan(Self.mastercard, "insufficient_funds", at: failed, advice: "03")
        #expect(stop.retry == nil)
        #expect(stop.rules.contains("mastercard.mac.never"))
        #expect(Self.plan(Self.mastercard, "do_not_honor", at: failed, advice: "21").retry == nil)

        let wait = Self.plan(Self.mastercard, "do_not_honor", at: failed, advice: "26")
        #expect(wait.retry?.at == failed + 2 * Self.day, "the advised 2 days outweigh the 1-day schedule")
        #expect(wait.rules.contains("mastercard.mac.waits"))
    }

    @Test("Mastercard advice 01 blocks the card until its details change")
    func methodChange() {
        let failed = Self.at("2026-12-02T10:00:00Z")
        let blocked = Self.plan(Self.mastercard, "do_not_honor", at: failed, advice: "01")
        #expect(blocked.retry == nil)
        var updated = Self.mastercard
        updated.expYear = 2031
        let history = [Self.declined(Self.mastercard, "do_not_honor", at: failed - Self.day, advice: "01")]
        let later = Self.plan(updated, "insufficient_funds", at: failed, history: history)
        #expect(later.retry?.method == updated, "new details: the card may be tried again")
        let sameDetails = Self.plan(Self.mastercard, "insufficient_funds", at: failed, history: history)
        #expect(sameDetails.retry == nil)
        #expect(sameDetails.rules.contains("mastercard.mac01.method_change"))
    }

    @Test("Mastercard's 10 attempts per 24 hours push a retry until the oldest leaves the window")
    func mastercardDailyCap() {
        let now = Self.at("2026-12-02T12:00:00Z")
        let history = (0..<9).map { Self.declined(Self.mastercard, "try_again_later", at: now - Double(9 - $0) * 1_800, invoice: "other_\($0)") }
        let plan = Self.plan(Self.mastercard, "try_again_later", at: now, history: history)
        let oldest = now - 9 * 1_800
        #expect(plan.retry?.at == oldest + Self.day)
        #expect(plan.rules.contains("mastercard.excessive_24h"))
    }

    @Test("rules apply from their effective date: Mastercard allowed 20 a day before October 2022")
    func effectiveDates() {
        for (nowText, expectPushed) in [("2022-09-15T12:00:00Z", false), ("2022-10-15T12:00:00Z", true)] {
            let now = Self.at(nowText)
            let history = (0..<11).map { Self.declined(Self.mastercard, "try_again_later", at: now - Double(11 - $0) * 600, invoice: "in_x\($0)") }
            let plan = Self.plan(Self.mastercard, "try_again_later", at: now, history: history)
            let planned = plan.retry?.at ?? .distantFuture
            #expect((planned > now + 2 * 3_600) == expectPushed, "\(nowText): \(plan.notes)")
        }
    }

    @Test("Visa: Recoup keeps its own 15 per 30 days although Visa allows 20 since April 2026")
    func visaCap() {
        let now = Self.at("2026-12-02T12:00:00Z")
        let history = (0..<14).map { Self.declined(Self.visa, "do_not_honor", at: now - Double(14 - $0) * Self.day, invoice: "in_v\($0)") }
        let plan = Self.plan(Self.visa, "do_not_honor", at: now, history: history)
        let oldest = now - 14 * Self.day
        #expect(plan.retry?.at == oldest + 30 * Self.day)
        #expect(plan.rules.contains("policy.visa.reattempts_30d"))
    }

    @Test("NACHA R01: at most two re-presentments, then the customer is asked")
    func nachaRepresentments() {
        let first = Self.at("2026-11-01T15:00:00Z")
        let once = Self.plan(Self.ach, "R01", at: first, scheme: .nacha)
        #expect(once.retry?.at == first + 3 * Self.day)
        #expect(once.rules.contains("nacha.r01_r09.reinitiation"))
        let history = [
            Self.declined(Self.ach, "R01", at: first, scheme: .nacha),
            PaymentAttempt(method: Self.ach, invoiceID: "in_1", at: first + 3 * Self.day, kind: .retryAnswered),
            Self.declined(Self.ach, "R09", at: first + 3 * Self.day, scheme: .nacha),
            PaymentAttempt(method: Self.ach, invoiceID: "in_1", at: first + 8 * Self.day, kind: .retryAnswered),
        ]
        let third = Self.plan(Self.ach, "R01", at: first + 8 * Self.day, scheme: .nacha, history: history)
        #expect(third.retry == nil)
        #expect(third.rules.contains("nacha.r01_r09.reinitiation"))
        #expect(third.action == .askCustomer)
    }

    @Test("unauthorized ACH returns stop and escalate; SEPA refusals and refund claims pause too", arguments: [
        ("R05", DeclineScheme.nacha, false), ("R07", .nacha, false), ("R10", .nacha, false), ("R29", .nacha, false),
        ("MS02", .sepa, true), ("MD06", .sepa, true),
    ])
    func escalations(_ code: String, scheme: DeclineScheme, pause: Bool) {
        let method = scheme == .nacha ? Self.ach : Self.sepa
        let plan = Self.plan(method, code, at: Self.at("2026-12-02T10:00:00Z"), scheme: scheme, backups: [Self.backup])
        #expect(plan.action == .stopAndEscalate(pauseInvoice: pause))
        #expect(plan.notice == nil, "a person talks to the customer, not a template")
    }

    @Test("SEPA AC04 needs a new mandate: never retried on that mandate")
    func sepaMandate() {
        let plan = Self.plan(Self.sepa, "AC04", at: Self.at("2026-12-02T10:00:00Z"), scheme: .sepa)
        #expect(plan.retry == nil)
        #expect(plan.action == .askCustomer)
    }

    @Test("a paid, voided or disputed invoice gets no retry")
    func notCollectible() {
        let plan = Self.plan(Self.visa, "insufficient_funds", at: Self.at("2026-12-02T10:00:00Z"), invoice: .notCollectible(reason: "paid"))
        #expect(plan.action == .none(reason: "paid"))
        #expect(plan.notice == nil)
    }

    @Test("an event planned late never schedules a retry in the past")
    func lateEvent() {
        let failed = Self.at("2026-12-01T10:00:00Z")
        let now = failed + 5 * Self.day
        let plan = Self.plan(Self.visa, "insufficient_funds", at: failed, now: now)
        #expect(plan.retry?.at == now)
    }
}
