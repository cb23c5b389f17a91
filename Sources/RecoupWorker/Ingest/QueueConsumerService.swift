import AMQP
import Foundation
import Logging
import RecoupCore
import RecoupStore
import ServiceLifecycle

/// Consumes one inbound queue: parses each delivery, routes it to a lane by account (so one
/// account's events are handled in order), records what a lane holds in one transaction, and
/// acks each delivery only after that commit.
///
/// Graceful shutdown: stop taking deliveries (basic.cancel), finish what the lanes hold, send
/// the acks, close. Prefetched deliveries never started are requeued by the broker.
public final class QueueConsumerService: Service {
    let queue: RecoupTopology.InboundQueue
    let consumer: AMQPConsumer
    let deadLetters: AMQPPublisher
    let processor: EventProcessor
    let lanes: Int
    /// The most deliveries one lane records in one transaction.
    let batchLimit: Int
    let counters: Counters
    let now: @Sendable () -> Date
    let logger: Logger

    public init(
        queue: RecoupTopology.InboundQueue,
        consumer: AMQPConsumer,
        deadLetters: AMQPPublisher,
        processor: EventProcessor,
        lanes: Int,
        batchLimit: Int = 1,
        counters: Counters,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.queue = queue
        self.consumer = consumer
        self.deadLetters = deadLetters
        self.processor = processor
        self.lanes = max(1, lanes)
        self.batchLimit = max(1, batchLimit)
        self.counters = counters
        self.now = now
        var logger = logger
        logger[metadataKey: "queue"] = "\(queue.name)"
        self.logger = logger
    }

    /// A delivery with the parser's verdict, queued for one lane.
    struct Work: Sendable {
        let delivery: AMQPDelivery
        let parsed: Result<ParsedEvent, EventRejection>
    }

    public func run() async throws {
        let buffers = (0..<lanes).map { _ in LaneBuffer<Work>() }
        await withTaskGroup(of: Void.self) { watcher in
            watcher.addTask { [consumer, logger] in
                // Structured stand-in for an on-shutdown callback: wait for the signal, then
                // ask the broker to stop sending. The delivery loop below then ends by itself.
                do { try await gracefulShutdown() } catch { return }
                logger.info("graceful shutdown: no longer taking deliveries")
                await consumer.stopConsuming()
            }
            await withTaskGroup(of: Void.self) { laneGroup in
                for buffer in buffers {
                    laneGroup.addTask { [self] in
                        while let batch = await buffer.next(limit: batchLimit) { await self.handle(batch) }
                    }
                }
                for await delivery in consumer.deliveries {
                    let parsed = EventParser.parse(delivery.body)
                    let lane: Int
                    switch parsed {
                    case .success(let event): lane = Self.lane(for: event.accountID, lanes: lanes)
                    case .failure: lane = Int(delivery.deliveryTag % UInt64(lanes))
                    }
                    buffers[lane].append(Work(delivery: delivery, parsed: parsed))
                }
                // No more deliveries: let each lane finish what it holds.
                for buffer in buffers { buffer.finish() }
            }
            watcher.cancelAll()
        }
        await consumer.close()
        logger.info("consumer stopped")
    }

    /// Handles what a lane took at once: rejected deliveries one by one (they go to the dead
    /// letters), the parsed events in one transaction.
    ///
    /// The events are recorded in `LockOrder` (one account's keep their arrival order), so two
    /// lanes of different queues cannot deadlock on the accounts they share.
    func handle(_ batch: [Work]) async {
        let started = ContinuousClock.now
        var events: [(work: Work, event: ParsedEvent)] = []
        for work in batch {
            switch work.parsed {
            case .success(let event): events.append((work, event))
            case .failure:
                let disposition = await processor.process(work.parsed, queue: queue, deliveryCount: DeadLetter.deliveryCount(of: work.delivery))
                await settle(work, disposition, started: started)
            }
        }
        guard !events.isEmpty else { return }
        let ordered = LockOrder.sorted(events) { $0.event.accountID }
        let dispositions = await processor.processBatch(
            ordered.map(\.event), queue: queue, deliveryCounts: ordered.map { DeadLetter.deliveryCount(of: $0.work.delivery) })
        for (item, disposition) in zip(ordered, dispositions) {
            await settle(item.work, disposition, started: started)
        }
    }

    /// Acts on the processor's decision for one delivery: ack, dead-letter, requeue or leave it.
    func settle(_ work: Work, _ disposition: EventProcessor.Disposition, started: ContinuousClock.Instant) async {
        let delivery = work.delivery
        let event = try? work.parsed.get()
        let type = event?.envelope.type ?? "unparsed"
        switch disposition {
        case .processed(let recorded):
            let outcome = recorded.outcome
            consumer.ack(delivery)
            counters.observe(.processingSeconds, ["queue": queue.name], seconds: (ContinuousClock.now - started).seconds)
            counters.increment(.events, ["type": type, "outcome": outcome.label])
            Effects.count(recorded.effects, counters)
            if recorded.effects.contains(where: { if case .declineClassified(_, false) = $0 { true } else { false } }),
               case .paymentFailed(let failure)? = event?.event {
                // Decline codes are processor vocabulary, not personal data; bounded for the log.
                logger.notice("unknown decline code: planned conservatively", metadata: [
                    "code": "\(failure.decline.code.prefix(40))", "scheme": "\(failure.decline.scheme?.rawValue ?? "-")",
                    "event_id": "\(event?.envelope.id ?? "-")",
                ])
            }
            logger.debug("event processed", metadata: ["event_id": "\(event?.envelope.id ?? "-")", "type": "\(type)", "outcome": "\(outcome.label)"])
        case .deadLetter(let errorClass, let reason):
            await deadLetter(delivery, errorClass: errorClass, reason: reason, type: type)
            counters.observe(.processingSeconds, ["queue": queue.name], seconds: (ContinuousClock.now - started).seconds)
        case .retryLater(let reason):
            counters.increment(.events, ["type": type, "outcome": "retry"])
            logger.warning("processing failed; requeueing", metadata: [
                "delivery_count": "\(DeadLetter.deliveryCount(of: delivery))", "reason": "\(reason)", "type": "\(type)",
            ])
            try? await Task.sleep(for: .milliseconds(200))
            consumer.nack(delivery, requeue: true)
        case .abandon:
            logger.info("delivery left unacknowledged for redelivery", metadata: ["type": "\(type)"])
        }
    }

    func deadLetter(_ delivery: AMQPDelivery, errorClass: DeadLetterClass, reason: String, type: String) async {
        let message = DeadLetter.message(for: delivery, from: queue, errorClass: errorClass, reason: reason, at: now())
        var backoff = Duration.milliseconds(100)
        while true {
            do {
                try await deadLetters.publish([message])
                consumer.ack(delivery)
                counters.increment(.deadLetters, ["queue": queue.name, "class": errorClass.rawValue])
                counters.increment(.events, ["type": type, "outcome": "dead_lettered"])
                // The reason names fields and JSON types, never values: safe to log.
                logger.warning("event dead-lettered", metadata: [
                    "class": "\(errorClass.rawValue)", "reason": "\(DeadLetter.oneLine(reason))",
                    "routing_key": "\(delivery.routingKey)", "message_id": "\(delivery.properties.messageID ?? "-")",
                ])
                return
            } catch {
                logger.error("dead-letter publish failed; will retry", metadata: ["error": "\(error)"])
                do { try await Task.sleep(for: backoff) } catch {
                    // Shutting down: leave it unacknowledged; the broker redelivers it later.
                    return
                }
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }

    /// Stable lane for an account (FNV-1a, the same in every process and run).
    static func lane(for accountID: String, lanes: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in accountID.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(lanes))
    }
}
