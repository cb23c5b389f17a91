import Foundation

/// Splits each latency sample where recoupd began recording its event: publish to then (the
/// broker, the lane, waiting for a connection) and then to the outbound receipt (the
/// transaction, its commit, the relay). Tells a queueing delay from slow work.
struct LatencySplit: Sendable, Equatable {
    let beforeRecording: LatencySummary
    let afterRecording: LatencySummary
    /// Samples whose recording start fell outside their own publish-to-receipt window and were
    /// left out; all of them when recoupd's clock is not wall time (the controlled clock).
    let outsideWindow: Int

    /// One sample: when its event was published and its outbound message received (the run's
    /// clock), and when recoupd began recording the event (the database's wall time, nil when
    /// not found).
    struct Sample: Sendable {
        let sent: ContinuousClock.Instant
        let received: ContinuousClock.Instant
        let recordingStarted: Date?
    }

    /// `origin` and `originDate` are the same moment on the two clocks.
    init(_ samples: [Sample], origin: ContinuousClock.Instant, originDate: Date) {
        var before: [Duration] = [], after: [Duration] = [], outside = 0
        for sample in samples {
            guard let started = sample.recordingStarted else { outside += 1; continue }
            let start = origin + .seconds(started.timeIntervalSince(originDate))
            guard start >= sample.sent, start <= sample.received else { outside += 1; continue }
            before.append(start - sample.sent)
            after.append(sample.received - start)
        }
        beforeRecording = LatencySummary(before)
        afterRecording = LatencySummary(after)
        outsideWindow = outside
    }
}
