import PropertySupport
import Testing
@testable import RecoupCore

/// SHA-256 against the FIPS 180 example vectors, the standard's own derivation of its
/// constants, and incremental use.
@Suite("SHA-256")
struct SHA256Tests {
    static let vectors: [(message: String, digest: String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ]

    @Test("the FIPS 180 vectors: empty, abc, the 448-bit and 896-bit messages", arguments: 0..<4)
    func vectors(index: Int) {
        let (message, digest) = Self.vectors[index]
        #expect(SHA256.hash(Array(message.utf8)).lowercaseHex == digest)
    }

    @Test("one million 'a'")
    func millionA() {
        let digest = SHA256.hash(repeatElement(UInt8(ascii: "a"), count: 1_000_000))
        #expect(digest.lowercaseHex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("lengths around the padding boundary (55, 56, 63, 64, 65 bytes) hash the same fed whole or byte by byte")
    func incremental() {
        var random = SeededGenerator(seed: 180_4)
        for count in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000] {
            let message = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            var hasher = SHA256()
            for byte in message { hasher.update([byte]) }
            #expect(hasher.finalize() == SHA256.hash(message), "\(count) bytes")
        }
        #expect(SHA256.hash(Array(String(repeating: "a", count: 56).utf8)).lowercaseHex
            == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
    }

    @Test("the constants are the fractional parts of the square and cube roots of the first primes (FIPS 180-4, 4.2.2, 5.3.3)")
    func constants() {
        let primes = (2...311).filter { n in (2..<n).allSatisfy { n % $0 != 0 } }
        #expect(primes.count == 64)
        #expect(SHA256.initialHash == primes.prefix(8).map { Self.fraction(root: 2, of: $0) })
        #expect(SHA256.roundConstants == primes.map { Self.fraction(root: 3, of: $0) })
    }

    /// The first 32 fractional bits of the `root`th root of `prime`: floor(root(prime·2^(32·root))) mod 2^32.
    static func fraction(root: Int, of prime: Int) -> UInt32 {
        let target = UInt128(prime) << (32 * root)
        var low: UInt128 = 0, high: UInt128 = 1 << 40
        while low < high {
            let mid = (low + high + 1) / 2
            var power: UInt128 = 1
            for _ in 0..<root { power *= mid }
            if power <= target { low = mid } else { high = mid - 1 }
        }
        return UInt32(truncatingIfNeeded: low)
    }
}
