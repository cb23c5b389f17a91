import RecoupStore

/// Counts what recording events and firing timers set in motion (the metrics of issue
/// "Operations": retries by category, messages by channel and stage, suppressions by reason,
/// escalations by owner).
enum Effects {
    static func count(_ effects: [RecordEffect], _ counters: Counters) {
        for effect in effects {
            switch effect {
            case .declineClassified(let category, let known):
                counters.increment("recoup_declines_total", ["category": category])
                if !known { counters.increment("recoup_decline_codes_unknown_total") }
            case .retryScheduled(let category):
                counters.increment("recoup_retries_total", ["category": category, "state": "scheduled"])
            case .retryRequested(let category):
                counters.increment("recoup_retries_total", ["category": category, "state": "requested"])
            case .retryDeferred:
                counters.increment("recoup_retries_total", ["state": "postponed"])
            case .retrySkipped(let reason):
                counters.increment("recoup_retries_total", ["state": "skipped", "reason": reason])
            case .retriesCancelled(let count):
                counters.increment("recoup_retries_total", ["state": "cancelled"], by: count)
            case .messageQueued(let channel, let stage):
                counters.increment("recoup_messages_total", ["channel": channel, "stage": stage])
            case .noticeSuppressed(let reason):
                counters.increment("recoup_suppressions_total", ["reason": reason])
            case .noticeDeferred(let rule):
                counters.increment("recoup_deferrals_total", ["rule": rule])
            case .escalationRaised(let owner):
                counters.increment("recoup_escalations_total", ["owner": owner])
            case .taskCreated(let kind):
                counters.increment("recoup_tasks_total", ["kind": kind])
            case .journeyPlanned:
                counters.increment("recoup_journeys_planned_total")
            case .stageHeld(let reason):
                counters.increment("recoup_stages_held_total", ["reason": reason])
            case .replyClassified(let replyClass):
                counters.increment("recoup_replies_total", ["class": replyClass])
            case .consentRevoked(let channels):
                for channel in channels { counters.increment("recoup_consents_revoked_total", ["channel": channel]) }
            case .promiseChecked(let kept):
                counters.increment("recoup_promises_checked_total", ["outcome": kept ? "kept" : "broken"])
            }
        }
    }
}
