import Foundation

/// The part of a customer reply the customer just wrote: quoted earlier messages, signatures and
/// legal disclaimers are cut off first, so the classifier never reacts to our own reminder text
/// quoted back at us ("... overdue ..."), or to a footer ("... not the intended recipient ...").
public enum ReplyText {
    /// The customer's own words only; empty when the reply is all quote or footer.
    public static func ownWords(_ text: String) -> String {
        var kept: [Substring] = []
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix(">") { continue }
            if endsNewText(trimmed) { break }
            kept.append(line)
        }
        return kept.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The new text, trimmed; the original when nothing is left (a reply that is all quote).
    public static func newText(_ text: String) -> String {
        let own = ownWords(text)
        return own.isEmpty ? text.trimmingCharacters(in: .whitespacesAndNewlines) : own
    }

    /// Whether a line starts what follows the customer's own words: a quote header, a forwarded
    /// or original-message marker, a signature separator, a mobile footer, a disclaimer.
    static func endsNewText(_ line: String) -> Bool {
        let lower = line.lowercased()
        if lower == "--" || lower == "-- " || lower == "__" || lower.hasPrefix("-----") || lower.hasPrefix("_____") { return true }
        // "On Tue, Dec 1, 2026 at 10:00 Recoup <billing@...> wrote:" and its translations.
        let quoteHeaders: [(prefix: String, suffix: String)] = [("on ", "wrote:"), ("am ", "schrieb:"), ("am ", "geschrieben:"), ("le ", "a écrit :"),
                            ("le ", "a écrit:"), ("el ", "escribió:")]
        for header in quoteHeaders where lower.hasPrefix(header.prefix) && lower.hasSuffix(header.suffix) { return true }
        // German puts the sender last: "Am 01.12.2026 um 10:00 schrieb Recoup <billing@...>:".
        if lower.hasPrefix("am "), lower.contains(" schrieb "), lower.hasSuffix(":") { return true }
        let markers = ["from:", "von:", "de:", "sent from my", "gesendet von meinem", "envoyé de mon", "enviado desde mi",
                       "original message", "ursprüngliche nachricht", "message d'origine", "mensaje original",
                       "this email and any attachments", "this e-mail and any attachments", "this message is confidential",
                       "if you are not the intended recipient", "diese e-mail enthält vertrauliche"]
        return markers.contains { lower.hasPrefix($0) || (lower.hasPrefix("-") && lower.contains($0)) }
    }
}
