import Foundation

/// Sorts a customer reply into a `ReplyClass`, deterministically and explainably: the new text
/// only (`ReplyText`), matched against `ReplyLexicon`'s cues clause by clause, negated cues set
/// aside, and the highest-ranked class with strong evidence winning a mix.
public enum ReplyClassifier {
    /// `today` is the customer's local date when the reply arrived: promise dates count from it.
    public static func classify(_ text: String, channel: ReplyChannel, today: LocalDate) -> ReplyClassification {
        let newText = ReplyText.ownWords(text)
        guard !newText.isEmpty else {
            return ReplyClassification(replyClass: .unknown, confidence: 0.3, why: ["unknown: no new text above the quoted message or footer"])
        }
        let normalized = normalize(newText)
        let clauses = Self.clauses(normalized)

        if let keyword = wholeReplyKeyword(normalized, channel: channel) {
            return ReplyClassification(replyClass: .optOut, confidence: 0.99, optOutChannels: optOutChannels([], replyChannel: channel),
                                       why: ["opt_out: the whole reply is the keyword \"\(keyword)\""])
        }

        var evidence = Evidence()
        for clause in clauses {
            let present = Set(clause.words)
            for entry in compiled {
                // A question about paying ("can I pay this with another card?") promises nothing.
                if entry.replyClass == .promiseToPay && clause.isQuestion { continue }
                if let neutral = neutralizers[entry.replyClass]?.first(where: { $0.firstMatch(in: clause.words) != nil }) {
                    evidence.note("\(entry.replyClass.rawValue): set aside in a clause with \"\(neutral.text)\"")
                    continue
                }
                for cue in entry.strong where cue.mayMatch(present) { evidence.consider(cue, strong: true, in: clause, as: entry.replyClass) }
                for cue in entry.weak where cue.mayMatch(present) {
                    // A lone "hello?" asks nothing Recoup can answer.
                    if entry.replyClass == .question && cue.text == "?" && clause.words.count < 4 { continue }
                    evidence.consider(cue, strong: false, in: clause, as: entry.replyClass)
                }
            }
            // "Stop." as a sentence of its own, as carriers read it.
            let bare = clause.words.filter { $0 != "?" }.joined(separator: " ")
            if isOptOutKeyword(bare, channel: channel) {
                evidence.add(.optOut, weight: 1, "opt_out: \"\(bare)\" as a sentence of its own")
            }
        }
        addShapeCues(newText, clauses: clauses, to: &evidence)
        let promised = PromiseDate.extract(newText, today: today)
        let matches = { (cues: [Cue]) in clauses.contains { clause in cues.contains { $0.firstMatch(in: clause.words) != nil } } }
        let machineReply = matches(automated)
        let outOfOffice = machineReply || matches(autoReply) || evidence.isStrong(.outOfOffice)
        // An out-of-office note's return date with its "for payments contact ..." is no promise.
        if promised != nil, !outOfOffice, clauses.contains(where: { clause in
            !clause.isQuestion && clause.words.contains { word in ReplyLexicon.paymentStems.contains(where: word.hasPrefix) }
        }) {
            evidence.add(.promiseToPay, weight: 1, "promise_to_pay: a date and a word for paying")
        }

        if machineReply {
            // A machine answered: nothing it says is the customer's intent, short of a dispute or a stop.
            evidence.discard(ReplyClass.allCases.filter { $0 > .optOut && $0 != .outOfOffice }, because: "an automatic reply")
            evidence.add(.outOfOffice, weight: 1, "out_of_office: an automatic reply")
        } else if outOfOffice {
            // An out-of-office note's "thank you for your email" is no acknowledgement, its "contact ..." no question.
            evidence.discard([.acknowledgement, .question], because: "an automatic reply")
            evidence.add(.outOfOffice, weight: 1, "out_of_office: an automatic reply")
        }
        return decide(evidence, words: clauses.flatMap(\.words), promised: promised, replyChannel: channel)
    }

    // MARK: deciding

    /// `words`: every word of the new text, as the clauses hold them.
    static func decide(_ evidence: Evidence, words: [String], promised extracted: LocalDate?, replyChannel: ReplyChannel) -> ReplyClassification {
        let strong = ReplyClass.allCases.filter(evidence.isStrong)
        let weak = ReplyClass.allCases.filter { evidence.strength(of: $0) > 0 }
        guard let winner = strong.first ?? weak.first else {
            // Bias toward disputes: words about the bill that say nothing Recoup recognises may
            // contest it; a person reads them with the invoice held.
            if words.count >= 4, let stem = ReplyLexicon.chargeStems.first(where: { stem in words.contains { $0.hasPrefix(stem) } }) {
                return ReplyClassification(replyClass: .dispute, confidence: 0.5, why: evidence.why + [
                    "dispute: about the bill (\"\(stem)…\") with no cue of any class, so possibly contesting it",
                ])
            }
            return ReplyClassification(replyClass: .unknown, confidence: 0.3, why: evidence.why + ["unknown: no cue of any class"])
        }
        var why = evidence.why(for: winner)
        for other in weak where other != winner {
            why += evidence.why(for: other).map { $0 + (other > winner ? " (outranked)" : " (weaker)") }
        }
        why += evidence.setAside
        let score = evidence.strength(of: winner)
        var confidence = evidence.isStrong(winner) ? min(0.95, 0.75 + 0.05 * (score - 1) / 0.5) : 0.5
        var promised: LocalDate?
        if winner == .promiseToPay {
            promised = extracted
            if promised == nil {
                confidence = min(confidence, 0.55)
                why.append("promise_to_pay: no date named")
            } else {
                why.append("promise_to_pay: date \(promised!)")
            }
        }
        // Bias toward disputes: a weak sign of one under another class is for a person to read.
        if winner != .dispute, evidence.strength(of: .dispute) > 0 {
            confidence = min(confidence, 0.55)
            why.append("dispute: a weak sign of one, so a person reads it")
        }
        let channels = winner == .optOut ? optOutChannels(evidence.channelWords(for: .optOut), replyChannel: replyChannel) : []
        return ReplyClassification(replyClass: winner, confidence: (confidence * 100).rounded() / 100, promisedDate: promised,
                                   optOutChannels: channels, why: why)
    }

    /// The channels an opt-out stops: those the customer named next to it, else the one they wrote on.
    static func optOutChannels(_ named: [ReplyChannel], replyChannel: ReplyChannel) -> [ReplyChannel] {
        if !named.isEmpty { return named }
        return replyChannel == .phoneNote ? [] : [replyChannel]
    }

    /// The reply as a whole is an opt-out keyword ("STOP", "Stop.", "unsubscribe"), as carriers read SMS.
    static func wholeReplyKeyword(_ normalized: String, channel: ReplyChannel) -> String? {
        let bare = normalized.split(whereSeparator: { !$0.isLetter }).joined(separator: " ")
        return isOptOutKeyword(bare, channel: channel) ? bare : nil
    }

    /// Carriers' opt-out keywords on SMS; the unmistakable ones ("stop", "unsubscribe") anywhere.
    static func isOptOutKeyword(_ bare: String, channel: ReplyChannel) -> Bool {
        (channel == .sms ? ReplyLexicon.smsKeywords : ReplyLexicon.anyChannelKeywords).contains(bare)
    }

    /// Cues read from the reply's shape rather than its words.
    static func addShapeCues(_ text: String, clauses: [Clause], to evidence: inout Evidence) {
        let letters = text.filter(\.isLetter)
        if letters.count >= 12, Double(letters.filter(\.isUppercase).count) / Double(letters.count) >= 0.7 {
            evidence.add(.frustration, weight: 0.5, "frustration: written in capitals")
        }
        if text.contains("!!") { evidence.add(.frustration, weight: 0.5, "frustration: \"!!\"") }
        // "the invoice lists 50 seats but we have 20": two different counts of what is billed.
        let units: Set<String> = ["seats", "seat", "licenses", "license", "licences", "licence", "users", "user", "lizenzen",
                                  "nutzer", "platze", "utilisateurs", "postes", "licencias", "usuarios", "puestos"]
        let words = clauses.flatMap(\.words)
        let numbers = Set(words.filter { $0.allSatisfy(\.isNumber) })
        if numbers.count >= 2, words.contains(where: units.contains) {
            evidence.add(.dispute, weight: 1, "dispute: two different counts of seats or users")
        }
    }

    // MARK: evidence

    struct Evidence {
        private var scores: [ReplyClass: Double] = [:]
        private var cues: [ReplyClass: [String]] = [:]
        private var named: [ReplyClass: [ReplyChannel]] = [:]
        private var decisive: [ReplyClass: Int] = [:]
        private(set) var setAside: [String] = []

        mutating func consider(_ cue: Cue, strong: Bool, in clause: Clause, as replyClass: ReplyClass) {
            guard let range = cue.firstMatch(in: clause.words) else { return }
            let label = "\(replyClass.rawValue): \"\(cue.text)\""
            if cue.negatable, clause.negated(range) {
                setAside.append(label + " (negated)")
                return
            }
            // "how do I pay this?" asks; it promises nothing.
            let weight = (replyClass == .promiseToPay && clause.isQuestion) || !strong ? 0.5 : 1.0
            add(replyClass, weight: weight, label + (weight < 1 && strong ? " (asked, not promised)" : ""))
            if replyClass == .optOut {
                named[replyClass, default: []] += clause.words.compactMap { ReplyLexicon.channelWords[$0] }
            }
        }

        mutating func add(_ replyClass: ReplyClass, weight: Double, _ label: String) {
            guard !(cues[replyClass] ?? []).contains(label) else { return }
            scores[replyClass, default: 0] += weight
            if weight >= 1 { decisive[replyClass, default: 0] += 1 }
            cues[replyClass, default: []].append(label)
        }

        mutating func note(_ text: String) {
            if !setAside.contains(text) { setAside.append(text) }
        }

        mutating func discard(_ classes: [ReplyClass], because reason: String) {
            for replyClass in classes {
                setAside += (cues[replyClass] ?? []).map { $0 + " (\(reason))" }
                scores[replyClass] = nil
                decisive[replyClass] = nil
                cues[replyClass] = nil
            }
        }

        func strength(of replyClass: ReplyClass) -> Double { scores[replyClass] ?? 0 }
        /// One full cue decides a class; for a dispute two weak ones do too (bias toward disputes).
        func isStrong(_ replyClass: ReplyClass) -> Bool {
            (decisive[replyClass] ?? 0) > 0 || (replyClass == .dispute && strength(of: .dispute) >= 1)
        }
        func why(for replyClass: ReplyClass) -> [String] { cues[replyClass] ?? [] }
        var why: [String] { ReplyClass.allCases.flatMap { why(for: $0) } + setAside }
        func channelWords(for replyClass: ReplyClass) -> [ReplyChannel] {
            var seen: [ReplyChannel] = []
            for channel in named[replyClass] ?? [] where !seen.contains(channel) { seen.append(channel) }
            return seen
        }
    }

    // MARK: text

    /// One clause of the reply: where a negation's reach ends.
    struct Clause {
        var words: [String]
        var isQuestion: Bool

        /// A negation up to three words before the cue ("we do not dispute"; "no" only right
        /// before it), or German/French "nicht"/"pas" right after ("wir bestreiten das nicht").
        func negated(_ range: Range<Int>) -> Bool {
            for distance in 1...3 where range.lowerBound - distance >= 0 {
                let word = words[range.lowerBound - distance]
                if ReplyLexicon.negators.contains(word), !(["no", "without"].contains(word) && distance > 1) { return true }
            }
            return words[range.upperBound..<min(words.count, range.upperBound + 3)].contains { $0 == "nicht" || $0 == "pas" }
        }
    }

    /// Lower case, accents and curly quotes folded, "ß" as "ss".
    static func normalize(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            .lowercased()
            .replacingOccurrences(of: "ß", with: "ss")
            .replacingOccurrences(of: "\u{2019}", with: "'")
            .replacingOccurrences(of: "\u{2018}", with: "'")
    }

    /// Splits at sentence marks, commas and line ends, and before "but"-like words.
    static func clauses(_ normalized: String) -> [Clause] {
        var result: [Clause] = []
        var current: [String] = []
        func close(question: Bool) {
            if !current.isEmpty { result.append(Clause(words: current + (question ? ["?"] : []), isQuestion: question)) }
            current = []
        }
        var word = ""
        func endWord() {
            guard !word.isEmpty else { return }
            for piece in splitElision(word.trimmingCharacters(in: CharacterSet(charactersIn: "'-"))) where !piece.isEmpty {
                if ReplyLexicon.clauseBreaks.contains(piece) { close(question: false) }
                current.append(piece)
            }
            word = ""
        }
        let characters = Array(normalized)
        for (index, character) in characters.enumerated() {
            let digitDot = character == "." && word.last?.isNumber == true && index + 1 < characters.count && characters[index + 1].isNumber
            if character.isLetter || character.isNumber || ((character == "'" || character == "-") && !word.isEmpty) || digitDot {
                word.append(character)
            } else {
                endWord()
                switch character {
                case "?": close(question: true)
                case ".", "!", ";", ",", ":", "\n", "\r", "(", ")": close(question: false)
                default: break
                }
            }
        }
        endWord()
        close(question: false)
        return result
    }

    /// French elisions as two words: "n'est" → "n'", "est"; "d'accord" → "d'", "accord".
    static func splitElision(_ word: String) -> [String] {
        let characters = Array(word)
        guard characters.count > 2, characters[1] == "'", "ndljmtsc".contains(characters[0]) else { return [word] }
        return [String(characters[0...1]), String(characters[2...])]
    }

    // MARK: cues

    struct Cue {
        enum Element { case word(String), prefix(String), gap }
        let text: String
        let elements: [Element]
        /// A cue that says "not" itself ("don't owe") is not turned around by a negation.
        let negatable: Bool
        private static let gapWord = "qqgapqq"

        init(_ text: String) {
            self.text = text
            let normalized = ReplyClassifier.normalize(text.replacingOccurrences(of: "…", with: " \(Self.gapWord) "))
            let words = ReplyClassifier.clauses(normalized).flatMap(\.words)
            var elements: [Element] = []
            for word in words {
                if word == Self.gapWord { elements.append(.gap) }
                else if normalized.contains(word + "*") { elements.append(.prefix(word)) }
                else { elements.append(.word(word)) }
            }
            if text.hasSuffix("?"), elements.isEmpty { elements = [.word("?")] }
            self.elements = elements
            required = elements.compactMap { if case .word(let word) = $0 { word } else { nil } }
            negatable = !words.contains(where: ReplyLexicon.negators.contains)
        }

        /// Whole words the cue needs: a clause lacking one cannot match (a cheap test first).
        let required: [String]

        func mayMatch(_ present: Set<String>) -> Bool { required.allSatisfy(present.contains) }

        /// The first run of `words` the cue matches.
        func firstMatch(in words: [String]) -> Range<Int>? {
            guard !elements.isEmpty else { return nil }
            for start in words.indices {
                if let end = match(elementIndex: 0, at: start, in: words) { return start..<end }
            }
            return nil
        }

        private func match(elementIndex: Int, at position: Int, in words: [String]) -> Int? {
            if elementIndex == elements.count { return position }
            switch elements[elementIndex] {
            case .gap:
                for skip in 0...3 where position + skip <= words.count {
                    if let end = match(elementIndex: elementIndex + 1, at: position + skip, in: words) { return end }
                }
                return nil
            case .word(let expected):
                guard position < words.count, words[position] == expected else { return nil }
                return match(elementIndex: elementIndex + 1, at: position + 1, in: words)
            case .prefix(let stem):
                guard position < words.count, words[position].hasPrefix(stem) else { return nil }
                return match(elementIndex: elementIndex + 1, at: position + 1, in: words)
            }
        }
    }

    struct CompiledEntry {
        let replyClass: ReplyClass
        let strong: [Cue]
        let weak: [Cue]
    }

    static let compiled: [CompiledEntry] = ReplyLexicon.entries.map {
        CompiledEntry(replyClass: $0.replyClass, strong: $0.strong.map(Cue.init), weak: $0.weak.map(Cue.init))
    }
    static let autoReply: [Cue] = ReplyLexicon.autoReplyMarkers.map(Cue.init)
    static let automated: [Cue] = ReplyLexicon.automatedMarkers.map(Cue.init)
    static let neutralizers: [ReplyClass: [Cue]] = ReplyLexicon.neutralizers.mapValues { $0.map(Cue.init) }
}
