import Testing
@testable import RecoupCore

/// The classifier's rules one at a time: priority between mixed intents, negation, keywords,
/// auto-replies, quoted text, languages, confidence and the explanation.
@Suite("Reply classifier")
struct ReplyClassifierTests {
    static let today = LocalDate("2026-12-02")!   // a Wednesday

    static func classify(_ text: String, _ channel: ReplyChannel = .email) -> ReplyClassification {
        ReplyClassifier.classify(text, channel: channel, today: today)
    }

    @Test("each class from a plain reply", arguments: [
        ("We dispute this invoice.", ReplyClass.dispute),
        ("Please unsubscribe me from these emails", .optOut),
        ("This is the fourth email this week. Ridiculous.", .frustration),
        ("We already paid this on the 3rd.", .alreadyPaid),
        ("We'll pay on Friday.", .promiseToPay),
        ("Could we pay this in three installments?", .paymentPlanRequest),
        ("Can you resend the invoice with our PO number?", .question),
        ("Thanks, got it.", .acknowledgement),
        ("I am out of the office until Monday with limited access to email.", .outOfOffice),
        ("🙂", .unknown),
    ])
    func plainClasses(text: String, expected: ReplyClass) {
        #expect(Self.classify(text).replyClass == expected)
    }

    @Test("the higher-ranked intent wins a mix", arguments: [
        ("We'll pay the 20 seats on Friday, not the 50 you billed.", ReplyClass.dispute),
        ("Stop texting me, I will pay Friday", .optOut),
        ("This is ridiculous, we'll pay when we pay.", .frustration),
        ("Thanks, we already paid this yesterday", .alreadyPaid),
        ("Thanks! We will pay by the 15th. Any questions, let me know.", .promiseToPay),
    ])
    func priority(text: String, expected: ReplyClass) {
        #expect(Self.classify(text).replyClass == expected)
    }

    @Test("implicit disputes never use the word", arguments: [
        "The invoice lists 50 seats but we downgraded to 20 in September.",
        "We cancelled our subscription in October.",
        "we were charged twice for November",
        "Wir haben im Oktober gekündigt.",
        "Nous avons été facturés deux fois.",
        "Nos han cobrado dos veces este mes.",
    ])
    func implicitDisputes(text: String) {
        #expect(Self.classify(text).replyClass == .dispute)
    }

    @Test("a negated cue is set aside, and says so", arguments: [
        ("We don't dispute the invoice, we just need a PO number.", ReplyClass.question),
        ("Not disputing anything, just paying late: Friday.", .promiseToPay),
        ("Wir bestreiten die Rechnung nicht, wir zahlen am Freitag.", .promiseToPay),
        ("Nous ne contestons pas la facture, nous paierons vendredi.", .promiseToPay),
    ])
    func negation(text: String, expected: ReplyClass) {
        let result = Self.classify(text)
        #expect(result.replyClass == expected)
        #expect(result.why.contains { $0.hasPrefix("dispute:") && $0.hasSuffix("(negated)") })
    }

    @Test("a cue with its own negation stands", arguments: [
        "I'm not saying it's wrong, but it doesn't match our contract",
        "We do not owe this amount.",
    ])
    func selfNegatingCues(text: String) {
        #expect(Self.classify(text).replyClass == .dispute)
    }

    @Test("SMS keywords opt out of SMS whatever their case and punctuation", arguments: ["STOP", "Stop.", " stop ", "STOP!!", "Stop all", "UNSUBSCRIBE", "cancel", "Stopp", "ARRET", "Baja"])
    func smsKeywords(text: String) {
        let result = Self.classify(text, .sms)
        #expect(result.replyClass == .optOut)
        #expect(result.optOutChannels == [.sms])
        #expect(result.confidence >= 0.95)
    }

    @Test("an opt-out stops the channel named, else the one written on")
    func optOutChannels() {
        #expect(Self.classify("please stop texting me", .email).optOutChannels == [.sms])
        #expect(Self.classify("remove me from your list", .inApp).optOutChannels == [.inApp])
        #expect(Self.classify("CANCEL", .email).replyClass != .optOut, "CANCEL opts out only as an SMS keyword")
    }

    @Test("\"stop\" in another sense is no opt-out")
    func stopInAnotherSense() {
        #expect(Self.classify("can't stop by the office, will pay friday", .sms).replyClass == .promiseToPay)
        #expect(Self.classify("don't stop sending these, send them to ap@ too", .email).replyClass != .optOut)
    }

    @Test("an automatic reply is out of office even when it thanks and lists contacts")
    func autoReplies() {
        let text = "Automatic reply: Thank you for your email. I am out of the office until 7 December. For urgent questions please contact our finance team."
        #expect(Self.classify(text).replyClass == .outOfOffice)
        #expect(Self.classify("Ich bin bis zum 4. Dezember nicht im Büro.").replyClass == .outOfOffice)
        #expect(Self.classify("Je suis absente jusqu'au 7 décembre. Réponse automatique.").replyClass == .outOfOffice)
        #expect(Self.classify("Estoy fuera de la oficina hasta el lunes.").replyClass == .outOfOffice)
    }

    @Test("only the customer's new words count, not our quoted reminder")
    func quotedText() {
        let text = """
        Thanks, noted.

        On Mon, Nov 30, 2026 at 10:02 AM Billing <billing@example.com> wrote:
        > Your invoice is overdue. If you dispute it, reply to this email.
        > Please pay by Friday.
        """
        let result = Self.classify(text)
        #expect(result.replyClass == .acknowledgement)
        #expect(!result.why.contains { $0.hasPrefix("dispute") })
    }

    @Test("promises carry their date; without one a person confirms")
    func promiseDates() {
        let dated = Self.classify("We will pay on the 14th.")
        #expect(dated.promisedDate == LocalDate("2026-12-14"))
        #expect(dated.confidence >= 0.75)
        #expect(dated.why.contains("promise_to_pay: date 2026-12-14"))
        let undated = Self.classify("We'll pay soon.")
        #expect(undated.replyClass == .promiseToPay)
        #expect(undated.promisedDate == nil)
        #expect(undated.confidence < 0.6)
    }

    @Test("a question about paying promises nothing")
    func askingIsNotPromising() {
        #expect(Self.classify("How do I pay this?").replyClass == .question)
    }

    @Test("the explanation names lexicon cues, never the customer's words")
    func explanationIsPrivate() {
        let result = Self.classify("Jane Doe here, jane@example.com, call me at +1 555 0100: the invoice lists 50 seats but we downgraded to 20")
        #expect(result.replyClass == .dispute)
        let why = result.why.joined(separator: " ")
        #expect(!why.contains("jane") && !why.contains("555"))
        #expect(why.contains("\"downgrad*\""))
    }

    @Test("a reply with no cue is unknown, with low confidence")
    func unknown() {
        let result = Self.classify("asdf qwer")
        #expect(result.replyClass == .unknown)
        #expect(result.confidence < 0.6)
    }
}

extension ReplyClassifierTests {
    @Test("a weak sign of a dispute under another class lowers the confidence below the human threshold")
    func weakDisputeGoesToAPerson() {
        let result = Self.classify("Thanks, noted. The discount is in there somewhere I suppose.")
        #expect(result.replyClass == .acknowledgement)
        #expect(result.confidence < 0.6)
        #expect(result.why.contains("dispute: a weak sign of one, so a person reads it"))
        #expect(Self.classify("Thanks, noted.").confidence >= 0.75)
    }
}

extension ReplyClassifierTests {
    @Test("words about the bill that match no cue are a possible dispute for a person, not nothing")
    func aboutTheBillIsAPossibleDispute() {
        let result = Self.classify("The invoice mentions the Lisbon workshop as well.")
        #expect(result.replyClass == .dispute)
        #expect(result.confidence < 0.6)
        #expect(result.why.last?.hasPrefix("dispute: about the bill") == true)
        #expect(Self.classify("See you at the Lisbon workshop.").replyClass == .unknown, "no bill, no dispute")
        #expect(Self.classify("invoice").replyClass == .unknown, "too short to say anything")
    }
}
