/// Words that must never reach a customer in a payment-failure notice: they reveal why a bank
/// refused (POLICY.md: never "stolen", "fraud" or "lost"; Stripe's guidance on `fraudulent`).
public enum CustomerWording {
    public static let forbiddenWords: [String] = [
        "stolen", "lost", "fraud", "fraudulent", "pickup", "pick up", "suspect", "suspected", "security",
        "violation", "restricted", "blocked", "deceased", "revoked", "dispute", "chargeback",
    ]

    /// The forbidden words `text` contains (whole words, case-insensitive): a word is a run of
    /// letters, and the words of a phrase ("pick up") stand one other character apart.
    ///
    /// Every customer message is checked, so this reads the text once into its words instead of
    /// searching it once per forbidden word (that was a fifth of a timer firing's CPU).
    public static func forbiddenWords(in text: String) -> [String] {
        var words: [Substring] = []
        /// For each word: exactly one character separates it from the next.
        var oneApart: [Bool] = []
        let lowered = text.lowercased()
        var start: String.Index?
        var gap = 0
        for index in lowered.indices {
            let character = lowered[index]
            let isLetter = character.isASCII ? (character >= "a" && character <= "z") : character.isLetter
            if isLetter {
                if start == nil {
                    if !oneApart.isEmpty { oneApart[oneApart.count - 1] = gap == 1 }
                    start = index
                }
                gap = 0
            } else {
                if let begun = start {
                    words.append(lowered[begun..<index])
                    oneApart.append(false)
                    start = nil
                }
                gap += 1
            }
        }
        if let begun = start { words.append(lowered[begun...]); oneApart.append(false) }
        let present = Set(words)
        return forbiddenWords.filter { term in
            let parts = term.split(separator: " ")
            guard parts.count > 1 else { return present.contains(Substring(term)) }
            return words.indices.contains { first in
                first + parts.count <= words.count && parts.indices.allSatisfy { offset in
                    words[first + offset] == parts[offset] && (offset == parts.count - 1 || oneApart[first + offset])
                }
            }
        }
    }
}
