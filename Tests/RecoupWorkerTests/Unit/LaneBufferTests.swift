import PropertySupport
@testable import RecoupWorker
import Testing

/// A lane's buffer hands out everything queued, in order, never more than the limit, exactly
/// once, and ends only after the last element is taken.
@Suite("lane buffer")
struct LaneBufferTests {
    @Test("batches follow arrival order and the limit", arguments: [1, 3, 10, 64])
    func batches(limit: Int) async {
        let buffer = LaneBuffer<Int>()
        for value in 0..<25 { buffer.append(value) }
        buffer.finish()
        var batches: [[Int]] = []
        while let batch = await buffer.next(limit: limit) { batches.append(batch) }
        #expect(batches.flatMap { $0 } == Array(0..<25))
        #expect(batches.allSatisfy { !$0.isEmpty && $0.count <= limit })
        #expect(batches.count == (25 + limit - 1) / limit)
        #expect(await buffer.next(limit: limit) == nil)
    }

    @Test("a waiting lane wakes for the next element, and for the finish")
    func waits() async {
        let buffer = LaneBuffer<String>()
        async let first = buffer.next(limit: 8)
        try? await Task.sleep(for: .milliseconds(20))
        buffer.append("a")
        #expect(await first == ["a"])
        async let end = buffer.next(limit: 8)
        try? await Task.sleep(for: .milliseconds(20))
        buffer.finish()
        #expect(await end == nil)
    }

    @Test("a producer and a lane running at once: every element exactly once, in order (seeded runs)",
          arguments: [7, 42, 1_000])
    func concurrent(seed: UInt64) async {
        var generator = SeededGenerator(seed: seed)
        let count = 5_000
        let limit = Int.random(in: 1...50, using: &generator)
        let pauses = (0..<count).map { _ in Int.random(in: 0..<200, using: &generator) == 0 }
        let buffer = LaneBuffer<Int>()
        let received = await withTaskGroup(of: [Int].self) { group in
            group.addTask {
                var received: [Int] = []
                while let batch = await buffer.next(limit: limit) {
                    #expect(batch.count <= limit)
                    received += batch
                }
                return received
            }
            group.addTask {
                for value in 0..<count {
                    buffer.append(value)
                    if pauses[value] { await Task.yield() }
                }
                buffer.finish()
                return []
            }
            var all: [Int] = []
            for await part in group { all += part }
            return all
        }
        #expect(received == Array(0..<count))
    }
}
