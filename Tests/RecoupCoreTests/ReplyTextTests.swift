import Testing
@testable import RecoupCore

/// Only the customer's new words reach the classifier.
@Suite("Reply text")
struct ReplyTextTests {
    @Test("quotes, quote headers, signatures, footers and disclaimers are cut off", arguments: [
        ("We'll pay Friday.\n\nOn Tue, Dec 1, 2026 at 10:00 Recoup <billing@example.test> wrote:\n> Your invoice is overdue.",
         "We'll pay Friday."),
        ("Wir zahlen am 15.\n\nAm 01.12.2026 um 10:00 schrieb Recoup:\n> Ihre Rechnung ist überfällig.", "Wir zahlen am 15."),
        ("Nous contestons cette facture.\nLe mar. 1 déc. 2026, Recoup a écrit :\n> Rappel", "Nous contestons cette facture."),
        ("Paid yesterday.\n-- \nDana Smith\nAccounts Payable", "Paid yesterday."),
        ("STOP\n\nSent from my iPhone", "STOP"),
        ("Thanks, noted.\n-----Original Message-----\nFrom: billing@example.test\nSubject: overdue", "Thanks, noted."),
        ("Please hold until the PO arrives.\nIf you are not the intended recipient, delete this email.",
         "Please hold until the PO arrives."),
        ("> only a quote\n> nothing new", "> only a quote\n> nothing new"),
        ("Line one\n> quoted in the middle\nLine two", "Line one\nLine two"),
    ])
    func stripped(_ text: String, expected: String) {
        #expect(ReplyText.newText(text) == expected)
    }

    @Test("the customer's words are kept even when they mention a sender or a quote")
    func keepsOwnWords() {
        let text = "The invoice from last month lists 50 seats but we downgraded to 20.\nCan you fix it?"
        #expect(ReplyText.newText(text) == text)
    }
}
