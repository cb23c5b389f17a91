import Foundation

/// Precision, recall and F1 per reply class from (expected, predicted) pairs: how the corpus
/// test and `recoupctl classify-reply --score` measure the classifier on labelled replies.
public struct ReplyScore: Sendable {
    public let pairs: [(expected: ReplyClass, predicted: ReplyClass)]

    public init(_ pairs: [(ReplyClass, ReplyClass)]) { self.pairs = pairs.map { (expected: $0.0, predicted: $0.1) } }

    public func support(_ c: ReplyClass) -> Int { pairs.filter { $0.expected == c }.count }
    func truePositives(_ c: ReplyClass) -> Int { pairs.filter { $0.expected == c && $0.predicted == c }.count }

    public func precision(_ c: ReplyClass) -> Double {
        let predicted = pairs.filter { $0.predicted == c }.count
        return predicted == 0 ? (support(c) == 0 ? 1 : 0) : Double(truePositives(c)) / Double(predicted)
    }

    public func recall(_ c: ReplyClass) -> Double { support(c) == 0 ? 1 : Double(truePositives(c)) / Double(support(c)) }

    public func f1(_ c: ReplyClass) -> Double {
        let p = precision(c), r = recall(c)
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    /// The mean F1 over the classes the labels contain.
    public var macroF1: Double {
        let present = ReplyClass.allCases.filter { support($0) > 0 }
        return present.isEmpty ? 0 : present.map(f1).reduce(0, +) / Double(present.count)
    }

    public var accuracy: Double {
        pairs.isEmpty ? 0 : Double(pairs.filter { $0.expected == $0.predicted }.count) / Double(pairs.count)
    }

    /// The per-class table people read.
    public func report(title: String) -> String {
        func number(_ value: Double) -> String { String(format: "%.3f", value) }
        func pad(_ text: String, _ width: Int) -> String { text.leftPadded(width, with: " ") }
        var lines = [title, "class                  support  precision  recall     F1"]
        for c in ReplyClass.allCases {
            lines.append(c.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0) + pad(String(support(c)), 8)
                         + pad(number(precision(c)), 11) + pad(number(recall(c)), 8) + pad(number(f1(c)), 7))
        }
        lines.append("macro-F1 \(number(macroF1)), accuracy \(number(accuracy))")
        return lines.joined(separator: "\n")
    }
}
