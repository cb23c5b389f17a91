import PropertySupport
import Testing
@testable import RecoupCore

/// Random damage to valid messages: the parser must never trap, and every outcome must be a
/// parsed event or a rejection with a usable reason.
@Suite("Event parser: fuzzing")
struct EventFuzzTests {
    static let seed: UInt64 = 0xF022_5EED
    static let cases = 5_000

    static let tokens: [[UInt8]] = [
        [0x22], [0x5C], [0x7B], [0x7D], [0x5B], [0x5D], [0x2C], [0x3A], Array("null".utf8), [0x2D],
        Array("1e999".utf8), Array(#"\u0000"#.utf8), Array(#""\ud800""#.utf8), [0xFF], [0xC3], [0xED, 0xA0, 0x80],
        Array(#""version":-1,"#.utf8), Array(#""currency":"XYZ","#.utf8), Array(#""type":"x","#.utf8), [0x00], [0x0A],
    ]

    static func mutate(_ original: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = original
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let position = Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0 where position < bytes.count:
                bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            case 1 where position < bytes.count:
                bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 2:
                bytes.removeSubrange(position...)
            case 3:
                let inserted = (0..<Int.random(in: 1...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                bytes.insert(contentsOf: inserted, at: position)
            case 4:
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &random))
                bytes.removeSubrange(position..<end)
            case 5:
                let end = min(bytes.count, position + Int.random(in: 1...32, using: &random))
                bytes.insert(contentsOf: Array(bytes[position..<end]), at: position)
            default:
                bytes.insert(contentsOf: tokens[Int.random(in: 0..<tokens.count, using: &random)], at: position)
            }
        }
        return bytes
    }

    @Test("5,000 mutated samples: never a trap, always an event or a one-line reason")
    func mutations() {
        var random = SeededGenerator(seed: Self.seed)
        let samples = EventSamples.allBodies
        var accepted = 0
        var classes: [DeadLetterClass: Int] = [:]
        for index in 0..<Self.cases {
            let (type, original) = samples[Int.random(in: 0..<samples.count, using: &random)]
            let body = Self.mutate(original, using: &random)
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
