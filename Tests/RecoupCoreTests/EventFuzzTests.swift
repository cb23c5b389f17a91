import PropertySupport
import Testing
@testable import RecoupCore

/// Random damage to valid messages: the parser must never trap, and every outcome must be a
/// parsed event or a rejection with a usable reason.
@Suite("Event parser: fuzzing")
struct EventFuzzTests {
    static let seed: UInt64 = 0xF022_5EED
    static let cases = 5_000

    @Test("5,000 mutated samples: never a trap, always an event or a one-line reason")
    func mutations() {
        var random = SeededGenerator(seed: Self.seed)
        let samples = EventSamples.allBodies
        var accepted = 0
        var classes: [DeadLetterClass: Int] = [:]
        for index in 0..<Self.cases {
            let (type, original) = samples[Int.random(in: 0..<samples.count, using: &random)]
            let body = ByteMutator.mutate(original, using: &random)
            let context: Comment = "seed \(Self.seed) case \(index) (\(type))"
            let result = EventParser.parse(body)
            #expect(EventParser.parse(body) == result, context)
            switch result {
            case .success(let event):
                accepted += 1
                #expect(!event.accountID.isEmpty, context)
                #expect(InboundEvent.types.contains(event.envelope.type), context)
            case .failure(let rejection):
                classes[rejection.errorClass, default: 0] += 1
                #expect(!rejection.reason.isEmpty, context)
                #expect(!rejection.reason.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, context)
                #expect(rejection.reason.count <= EventRejection.maxReasonLength, context)
                let lowered = rejection.reason.lowercased()
                for fragment in EventPrivacyTests.fragments {
                    #expect(!lowered.contains(fragment), "\(context): \(rejection.reason)")
                }
            }
        }
        // The mutations reach past the JSON layer: some survive, and several classes are produced.
        #expect(accepted > 0)
        #expect(classes[.malformed, default: 0] > 0)
        #expect(classes[.schema, default: 0] > 0)
        #expect(classes[.semantic, default: 0] > 0)
        #expect(classes[.unknownType, default: 0] > 0)
        #expect(accepted + classes.values.reduce(0, +) == Self.cases)
    }
}
