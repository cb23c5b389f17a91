/// Words that must never reach a customer in a payment-failure notice: they reveal why a bank
/// refused (POLICY.md: never "stolen", "fraud" or "lost"; Stripe's guidance on `fraudulent`).
public enum CustomerWording {
    public static let forbiddenWords: [String] = [
        "stolen", "lost", "fraud", "fraudulent", "pickup", "pick up", "suspect", "suspected", "security",
        "violation", "restricted", "blocked", "deceased", "revoked", "dispute", "chargeback",
    ]

    /// The forbidden words `text` contains (whole words, case-insensitive).
    public static func forbiddenWords(in text: String) -> [String] {
        let lowered = " " + text.lowercased().map { $0.isLetter ? $0 : " " }.reduce(into: "") { $0.append($1) } + " "
        return forbiddenWords.filter { lowered.contains(" \($0) ") }
    }
}
