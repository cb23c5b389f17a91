import AMQP
import RecoupCore
import Synchronization

/// Watches what recoupd publishes during an end-to-end run, from a queue of the benchmark's own
/// bound with `#` to the outbound, escalation and command exchanges: how many of the run's
/// messages came out, when, and which inbound event each says it was `caused_by`.
final class OutboundObserver: Sendable {
    /// One outbound message that named its cause.
    struct Cause: Sendable {
        let eventID: String
        let receivedAt: ContinuousClock.Instant
    }

    /// What was seen so far.
    struct Tally: Sendable {
        /// Messages for the run's accounts.
        var count = 0
        /// Messages for other accounts (an earlier run's timers, say); left out of the figures.
        var others = 0
        var byRoutingKey: [String: Int] = [:]
        var lastReceipt: ContinuousClock.Instant?
        var causes: [Cause] = []
    }

    let queue: String
    /// Account ids of the run start with this; CONTRACT puts `account_id` in every outbound type.
    let accountPrefix: String
    private let tally = Mutex(Tally())

    init(queue: String, accountPrefix: String) {
        self.queue = queue
        self.accountPrefix = accountPrefix
    }

    /// The queue and its bindings. Not durable, and the broker deletes it a minute after its
    /// consumer is gone (`x-expires`): the AMQP client declares no exclusive or auto-delete queues.
    var topology: AMQPTopology {
        let exchanges = [RecoupTopology.outboundExchange, RecoupTopology.escalationsExchange, RecoupTopology.commandsExchange]
        return AMQPTopology(
            exchanges: exchanges.map { AMQPTopology.Exchange(name: $0, type: "topic", durable: true) },
            queues: [AMQPTopology.Queue(name: queue, durable: false, arguments: [
                "x-queue-type": .string("classic"), "x-expires": .int(60_000),
            ])],
            bindings: exchanges.map { AMQPTopology.Binding(queue: queue, exchange: $0, routingKey: "#") })
    }

    /// Notes and acks every delivery until the consumer stops (or the task is cancelled).
    func consume(_ consumer: AMQPConsumer) async {
        for await delivery in consumer.deliveries {
            note(delivery.body, routingKey: delivery.routingKey, at: .now)
            consumer.ack(delivery)
        }
    }

    /// Counts one message received at `time`. Bodies are read for ids only, never kept or logged.
    func note(_ body: [UInt8], routingKey: String, at time: ContinuousClock.Instant) {
        let data = (try? JSONParser.parse(body))?["data"]
        let ours = data?["account_id"]?.stringValue?.hasPrefix(accountPrefix) ?? false
        let cause = data?["caused_by"]?.stringValue
        tally.withLock { tally in
            guard ours else { tally.others += 1; return }
            tally.count += 1
            tally.byRoutingKey[routingKey, default: 0] += 1
            tally.lastReceipt = time
            if let cause { tally.causes.append(Cause(eventID: cause, receivedAt: time)) }
        }
    }

    var snapshot: Tally { tally.withLock { $0 } }

    /// The run's messages seen so far (cheaper than a snapshot, for polling).
    var seenCount: Int { tally.withLock { $0.count } }
}
