/// Every metric `recoupd` serves on `/metrics`, with its Prometheus type and the one line of help
/// an operator reads there (the README's metrics table says the same, at more length).
public struct MetricFamily: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    public let name: String
    public let kind: Kind
    public let help: String

    // Ingest.
    public static let events = MetricFamily(name: "recoup_events_total", kind: .counter,
        help: "Inbound deliveries handled, by event type and outcome (applied, duplicate, stale, dead_lettered, retry, ...).")
    public static let deadLetters = MetricFamily(name: "recoup_dead_letters_total", kind: .counter,
        help: "Deliveries sent to a .dlq, by inbound queue and error class.")
    public static let processingSeconds = MetricFamily(name: "recoup_event_processing_seconds", kind: .histogram,
        help: "Time from taking a delivery off its lane to its ack: parse, transaction, commit.")

    // Payments.
    public static let declines = MetricFamily(name: "recoup_declines_total", kind: .counter,
        help: "Payment failures classified, by decline category.")
    public static let unknownDeclineCodes = MetricFamily(name: "recoup_decline_codes_unknown_total", kind: .counter,
        help: "Payment failures whose decline code the taxonomy does not know (planned conservatively).")
    public static let retries = MetricFamily(name: "recoup_retries_total", kind: .counter,
        help: "Payment retries by state (scheduled, requested, postponed, skipped, cancelled) and category.")

    // Cadence and hand-offs.
    public static let messages = MetricFamily(name: "recoup_messages_total", kind: .counter,
        help: "Customer messages queued, by channel and journey stage.")
    public static let suppressions = MetricFamily(name: "recoup_suppressions_total", kind: .counter,
        help: "Customer messages not sent, by reason (consent, quiet hours, pause, ...).")
    public static let deferrals = MetricFamily(name: "recoup_deferrals_total", kind: .counter,
        help: "Customer messages moved to a later time, by the rule that moved them.")
    public static let escalations = MetricFamily(name: "recoup_escalations_total", kind: .counter,
        help: "Escalations raised, by owner.")
    public static let tasks = MetricFamily(name: "recoup_tasks_total", kind: .counter,
        help: "Human tasks created, by kind.")
    public static let journeysPlanned = MetricFamily(name: "recoup_journeys_planned_total", kind: .counter,
        help: "Invoice journeys planned or re-planned.")
    public static let stagesHeld = MetricFamily(name: "recoup_stages_held_total", kind: .counter,
        help: "Journey stages held back, by reason.")
    public static let replies = MetricFamily(name: "recoup_replies_total", kind: .counter,
        help: "Customer replies classified, by class.")
    public static let consentsRevoked = MetricFamily(name: "recoup_consents_revoked_total", kind: .counter,
        help: "Channel consents revoked by an opt-out reply, by channel.")
    public static let promisesChecked = MetricFamily(name: "recoup_promises_checked_total", kind: .counter,
        help: "Promises to pay checked at their date, by outcome (kept, broken).")

    // Time, outbox, policy.
    public static let timersFired = MetricFamily(name: "recoup_timers_fired_total", kind: .counter,
        help: "Timers fired (reminders, retries, pause ends, promise checks).")
    public static let timersFailed = MetricFamily(name: "recoup_timers_failed_total", kind: .counter,
        help: "Timer firings that failed and will be tried again.")
    public static let outboxPublished = MetricFamily(name: "recoup_outbox_published_total", kind: .counter,
        help: "Outbound messages published and confirmed by the broker, by CloudEvents type.")
    public static let policyReloads = MetricFamily(name: "recoup_policy_reloads_total", kind: .counter,
        help: "Policy reloads on SIGHUP, by outcome (applied, refused).")

    // Read from the database and the connections when scraped.
    public static let outboxPending = MetricFamily(name: "recoup_outbox_pending", kind: .gauge,
        help: "Outbox rows committed but not yet confirmed by the broker.")
    public static let outboxLag = MetricFamily(name: "recoup_outbox_lag_seconds", kind: .gauge,
        help: "Age of the oldest unpublished outbox row, by the Recoup clock (0 when none).")
    public static let timersPending = MetricFamily(name: "recoup_timers_pending", kind: .gauge,
        help: "Timers not yet fired or cancelled.")
    public static let timersDue = MetricFamily(name: "recoup_timers_due", kind: .gauge,
        help: "Pending timers whose time has come (by the Recoup clock).")
    public static let timersLate = MetricFamily(name: "recoup_timers_late", kind: .gauge,
        help: "Pending timers due more than 60 seconds ago: the scheduler is behind or down.")
    public static let brokerConnected = MetricFamily(name: "recoup_broker_connected", kind: .gauge,
        help: "1 when the named broker connection is up, else 0.")
    public static let databaseUp = MetricFamily(name: "recoup_database_up", kind: .gauge,
        help: "1 when the database answered this scrape with the schema this build needs, else 0.")

    // The process, under the names Prometheus' client libraries use.
    public static let processResidentMemory = MetricFamily(name: "process_resident_memory_bytes", kind: .gauge,
        help: "Resident memory of recoupd, in bytes.")
    public static let processStartTime = MetricFamily(name: "process_start_time_seconds", kind: .gauge,
        help: "When recoupd started, in seconds since the Unix epoch.")

    /// Every family, in the order `/metrics` lists them.
    public static let all: [MetricFamily] = [
        events, deadLetters, processingSeconds, declines, unknownDeclineCodes, retries, messages, suppressions,
        deferrals, escalations, tasks, journeysPlanned, stagesHeld, replies, consentsRevoked, promisesChecked,
        timersFired, timersFailed, outboxPublished, policyReloads, outboxPending, outboxLag, timersPending,
        timersDue, timersLate, brokerConnected, databaseUp, processResidentMemory, processStartTime,
    ]
}
