/// Random damage to a byte string, for fuzz tests: bit flips, random bytes, truncation,
/// insertions, deletions, repeats, and JSON-ish tokens (quotes, brackets, escapes, huge numbers,
/// invalid UTF-8) spliced in. Deterministic for a given generator state.
public enum ByteMutator {
    /// Fragments that tend to break a JSON parser or a CloudEvents reader in interesting places.
    public static let tokens: [[UInt8]] = [
        [0x22], [0x5C], [0x7B], [0x7D], [0x5B], [0x5D], [0x2C], [0x3A], Array("null".utf8), [0x2D],
        Array("1e999".utf8), Array(#"\u0000"#.utf8), Array(#""\ud800""#.utf8), [0xFF], [0xC3], [0xED, 0xA0, 0x80],
        Array(#""version":-1,"#.utf8), Array(#""currency":"XYZ","#.utf8), Array(#""type":"x","#.utf8), [0x00], [0x0A],
    ]

    /// `original` with one to three random mutations applied.
    public static func mutate(_ original: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
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
                bytes.insert(contentsOf: randomBytes(count: Int.random(in: 1...8, using: &random), using: &random), at: position)
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

    /// `count` uniformly random bytes.
    public static func randomBytes(count: Int, using random: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }
}
