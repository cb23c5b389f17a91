import RecoupStore

/// Counts what recording events and firing timers set in motion (the metrics of issue
/// "Operations": retries by category, messages by channel and stage, suppressions by reason,
/// escalations by owner).
enum Effects {
    static func count(_ effects: [RecordEffect], _ counters: Counters) {
        for effect in effects {
            switch effect {
            case .declineClassified(let category, let known):
                counters.increment(.declines, ["category": category])
                if !known { counters.increment(.unknownDeclineCodes) }
            case .retryScheduled(let category):
                counters.increment(.retries, ["category": category, "state": "scheduled"])
            case .retryRequested(let category):
                counters.increment(.retries, ["category": category, "state": "requested"])
            case .retryDeferred:
                counters.increment(.retries, ["state": "postponed"])
            case .retrySkipped(let reason):
                counters.increment(.retries, ["state": "skipped", "reason": reason])
            case .retriesCancelled(let count):
                counters.increment(.retries, ["state": "cancelled"], by: count)
            case .messageQueued(let channel, let stage):
                counters.increment(.messages, ["channel": channel, "stage": stage])
            case .noticeSuppressed(let reason):
                counters.increment(.suppressions, ["reason": reason])
            case .noticeDeferred(let rule):
                counters.increment(.deferrals, ["rule": rule])
            case .escalationRaised(let owner):
                counters.increment(.escalations, ["owner": owner])
            case .taskCreated(let kind):
                counters.increment(.tasks, ["kind": kind])
            case .journeyPlanned:
                counters.increment(.journeysPlanned)
            case .stageHeld(let reason):
                counters.increment(.stagesHeld, ["reason": reason])
            case .replyClassified(let replyClass):
                counters.increment(.replies, ["class": replyClass])
            case .consentRevoked(let channels):
                for channel in channels { counters.increment(.consentsRevoked, ["channel": channel]) }
            case .promiseChecked(let kept):
                counters.increment(.promisesChecked, ["outcome": kept ? "kept" : "broken"])
            }
        }
    }
}
