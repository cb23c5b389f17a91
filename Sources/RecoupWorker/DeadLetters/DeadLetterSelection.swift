import Foundation

/// Which dead letters a `recoupctl dlq` command works on: which `.dlq` queues, and which
/// messages in them (by id, error class, event type, age). Every condition given must hold.
public struct DeadLetterSelection: Sendable {
    public var queues: [String]
    public var messageIDs: Set<String> = []
    public var errorClass: String?
    /// An event type, or a prefix ending in `*` (`invoice.*`).
    public var eventType: String?
    public var olderThan: TimeInterval?
    /// At most this many messages (nil: all).
    public var limit: Int?

    public init(queues: [String] = Self.allQueues) {
        self.queues = queues
    }

    /// Every dead-letter queue of the topology.
    public static var allQueues: [String] { RecoupTopology.inboundQueues.map(\.deadLetterQueue) }

    /// True when something narrows the selection (a destructive command without it needs `--all`).
    public var isFiltered: Bool { !messageIDs.isEmpty || errorClass != nil || eventType != nil || olderThan != nil }

    public struct UnknownQueue: Error, CustomStringConvertible {
        let name: String
        public var description: String {
            "no dead-letter queue \(name.debugDescription); expected one of \(DeadLetterSelection.allQueues.joined(separator: ", ")) (or invoices, payment-failures, replies)"
        }
    }

    /// The `.dlq` a name means: `recoup.invoices.dlq`, `recoup.invoices` or just `invoices`.
    public static func queue(named name: String) throws(UnknownQueue) -> String {
        for queue in RecoupTopology.inboundQueues {
            let short = String(queue.name.dropFirst("recoup.".count))
            if [queue.deadLetterQueue, queue.name, short].contains(name) { return queue.deadLetterQueue }
        }
        throw UnknownQueue(name: name)
    }

    public func matches(_ record: DeadLetterRecord, at now: Date) -> Bool {
        if !messageIDs.isEmpty, !(record.messageID.map(messageIDs.contains) ?? false) { return false }
        if let errorClass, record.errorClass != errorClass { return false }
        if let eventType {
            if eventType.hasSuffix("*") {
                if !record.eventType.hasPrefix(eventType.dropLast()) { return false }
            } else if record.eventType != eventType {
                return false
            }
        }
        if let olderThan {
            // A message of unknown age is not known to be older: leave it out.
            guard let age = record.age(at: now), age >= olderThan else { return false }
        }
        return true
    }
}
