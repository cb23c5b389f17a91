import Foundation
import Postgres
import RecoupCore

/// What Recoup does about an open invoice's journey, inside the transaction that records the
/// event or fires the timer: plan it (one timer per stage), stop it when the invoice is settled or
/// disputed, and carry out a stage when it falls due, under the guards of POLICY.md.
public struct JourneyReactions: Sendable {
    public let journey: JourneyPolicy
    public let segmentation: SegmentationPolicy
    public let pauses: PausePolicy
    public let contact: ContactPolicy
    public let templates: TemplateLibrary

    /// Timer kind of a journey stage (and of a partial-payment acknowledgement).
    static let timerKind = "journey.stage"
    static let partialPaymentStage = "partial_payment"

    public init(journey: JourneyPolicy, segmentation: SegmentationPolicy, pauses: PausePolicy, contact: ContactPolicy,
                templates: TemplateLibrary) {
        self.journey = journey
        self.segmentation = segmentation
        self.pauses = pauses
        self.contact = contact
        self.templates = templates
    }

    // MARK: planning

    /// Plans (or re-plans) the invoice's journey when it is open and its due date is known: when
    /// it was never planned, when the due date it runs against changed (an update, a payment
    /// plan), or with `force` (a dispute resolved). Pending stage timers are replaced; stages
    /// already carried out are not repeated while the due date stays the same.
    func plan(invoiceID: String, accountID: String, causedBy: String, force: Bool, now: Date,
              _ connection: PostgresConnection) throws -> [RecordEffect] {
        let account = try AccountFacts.lock(accountID, now: now, connection)
        let invoice = try InvoiceFacts.lock(invoiceID, accountID: accountID, now: now, connection)
        guard invoice.status == InvoiceRecord.Status.open.rawValue, let invoiceDue = invoice.dueDate,
              case .collectible = invoice.standing else { return [] }
        // The payment plan and the journey as planned so far, in one round trip.
        let read = try connection.queries([
            CadenceFacts.installmentsStatement(invoiceID: invoiceID),
            ("""
            SELECT to_char(due_date, 'YYYY-MM-DD'), array_to_string(done_stages, ',') FROM recoup.invoice_journeys WHERE invoice_id = $1 FOR UPDATE
            """, [invoiceID]),
        ])
        let dueDate = Pauses.effectiveDueDate(invoiceDue: invoiceDue, installments: CadenceFacts.decodeInstallments(read[0]),
                                              paidMinor: invoice.paidMinor)
        let stored = read[1].first
        let storedDue = try stored?.decode(String.self, at: 0)
        if !force, storedDue == dueDate.description { return [] }
        // A new due date starts a new walk; the same one keeps what was already sent.
        let done = storedDue == dueDate.description ? Set((try stored?.decode(String.self, at: 1) ?? "").split(separator: ",").map(String.init)) : []

        let today = LocalDate(now, in: account.timeZone)
        let input = try CadenceFacts.segmentationInput(accountID: accountID, excludingInvoice: invoiceID, now: now,
                                                        timeZone: account.timeZone, connection)
        let segment = Segmentation.segment(input, policy: segmentation, today: today, dueDate: dueDate)
        let plan = JourneyPlanner.plan(dueDate: dueDate, segment: segment, today: today, policy: journey)
        let replaced = try TimerStore.cancel(kind: Self.timerKind, invoiceID: invoiceID, now: now, connection)

        var planned: [JSONValue] = []
        var skipped = plan.skipped.map { JSONValue.object(["stage": .string($0.stage.rawValue), "rule": .string($0.rule),
                                                           "reason": .string($0.reason)]) }
        var timers: [TimerSpec] = []
        for (index, stage) in plan.stages.enumerated() {
            let part = Self.part(stage: stage.stage.rawValue, actions: stage.actions)
            if done.contains(part) {
                skipped.append(.object(["stage": .string(stage.stage.rawValue), "rule": .string("journey.once_per_stage"),
                                        "reason": .string("already carried out for this due date")]))
                continue
            }
            let dueAt = max(now, stage.date.at(hour: journey.sendHour, in: account.timeZone))
            let payload = StagePayload(stage: stage.stage.rawValue, tone: stage.tone, actions: stage.actions, rules: stage.rules,
                                       causedBy: causedBy)
            timers.append(TimerSpec(kind: Self.timerKind, dedupeKey: "\(Self.timerKind):\(invoiceID):\(causedBy):\(index)",
                                    dueAt: dueAt, accountID: accountID, invoiceID: invoiceID, payload: payload.json))
            planned.append(.object([
                "stage": .string(stage.stage.rawValue), "date": .string(stage.date.description), "due_at": .string(Timestamps.format(dueAt)),
                "tone": .string(stage.tone.rawValue), "channels": .array(stage.actions.messages.map { .string($0.rawValue) }),
                "task": stage.actions.task.map(JSONValue.string) ?? .null,
                "escalation": stage.actions.escalation.map(JSONValue.string) ?? .null,
                "rules": .array(stage.rules.map(JSONValue.string)), "notes": .array(stage.notes.map(JSONValue.string)),
            ]))
        }
        try TimerStore.queueAll(timers, now: now, connection)
        try connection.enqueue("""
            INSERT INTO recoup.invoice_journeys (invoice_id, account_id, due_date, segment, planned_at, caused_by, done_stages)
            VALUES ($1, $2, $3::date, $4, $5, $6, $7::text[])
            ON CONFLICT (invoice_id) DO UPDATE SET due_date = EXCLUDED.due_date, segment = EXCLUDED.segment,
                planned_at = EXCLUDED.planned_at, caused_by = EXCLUDED.caused_by, done_stages = EXCLUDED.done_stages
            """, [invoiceID, accountID, dueDate.description, segment.description, now, causedBy, PostgresArrayLiteral.text(done.sorted())])
        try AuditLog.append(kind: "journey.planned", at: now, accountID: accountID, invoiceID: invoiceID, eventID: causedBy,
                            rule: "journey.plan", detail: .object([
                                "segment": .string(segment.description), "tier": .string(segment.tier.rawValue),
                                "cohort": .string(segment.cohort.rawValue),
                                "flags": .array(segment.flags.sorted().map { .string($0.rawValue) }),
                                "due_date": .string(dueDate.description), "invoice_due_date": .string(invoiceDue.description),
                                "today": .string(today.description), "stages": .array(planned), "skipped": .array(skipped),
                                "replaced_timers": .int(Int64(replaced.count)),
                            ]), connection)
        return [.journeyPlanned(stages: planned.count)]
    }

    /// The invoice no longer needs reminders (paid, voided) or must not get them (disputed):
    /// its pending stages are cancelled, audited with the reason.
    func stop(invoiceID: String, accountID: String, reason: String, rule: String, causedBy: String, now: Date,
              _ connection: PostgresConnection) throws -> [RecordEffect] {
        let cancelled = try TimerStore.cancel(kind: Self.timerKind, invoiceID: invoiceID, now: now, connection)
        guard !cancelled.isEmpty else { return [] }
        try AuditLog.append(kind: "journey.stopped", at: now, accountID: accountID, invoiceID: invoiceID, eventID: causedBy, rule: rule,
                            detail: .object(["reason": .string(reason), "cancelled_stages": .int(Int64(cancelled.count))]), connection)
        return [.stageHeld(reason: "stopped")]
    }

    /// A payment left part of the invoice open: acknowledge it with the remaining balance (as a
    /// stage of its own, so the same guards apply); the journey carries on with the remainder.
    func acknowledgePartialPayment(invoiceID: String, accountID: String, paymentEventID: String, now: Date,
                                   _ connection: PostgresConnection) throws -> [RecordEffect] {
        let invoice = try InvoiceFacts.lock(invoiceID, accountID: accountID, now: now, connection)
        guard invoice.status == InvoiceRecord.Status.open.rawValue, case .collectible = invoice.standing,
              invoice.paidMinor > 0, let balance = invoice.openBalance, balance.minorUnits > 0 else { return [] }
        let payload = StagePayload(stage: Self.partialPaymentStage, tone: .courtesy, actions: StageActions(messages: [.email]),
                                   rules: ["journey.partial_payment"], causedBy: paymentEventID)
        try TimerStore.schedule(kind: Self.timerKind, dedupeKey: "\(Self.timerKind):ack:\(paymentEventID)", dueAt: now,
                                accountID: accountID, invoiceID: invoiceID, payload: payload.json, now: now, connection)
        return []
    }

    // MARK: firing

    /// A stage is due: gather the same stage of the account's other invoices due now, decide
    /// (`StageFiring`) and carry the decision out. The timers it covers besides `timer` are
    /// closed here; the runner closes `timer`. Facts are read through `facts`: prefetched for
    /// the runner's whole batch, or one by one (`nil`: a fresh reader for this timer alone).
    func fire(_ timer: DueTimer, now: Date, facts: StageFacts? = nil, _ connection: PostgresConnection) throws -> [RecordEffect] {
        guard let accountID = timer.accountID, let stageName = timer.payload["stage"]?.stringValue else {
            throw TimerPayloadError(timerID: timer.timerID, kind: timer.kind)
        }
        let facts = facts ?? StageFacts(now: now, contact: contact)
        let account = try facts.account(accountID, connection)
        // Already closed by an earlier timer of the same batch that covered it.
        guard try facts.isPending(timer.timerID, connection) else { return [] }
        let group = try facts.group(accountID: accountID, stage: stageName, connection)
        let today = LocalDate(now, in: account.timeZone)
        var invoices: [String: InvoiceFacts] = [:]
        var due: [DueStage] = []
        var seenParts: Set<String> = []
        for member in group {
            let invoice = try facts.invoice(member.invoiceID, accountID: accountID, connection)
            invoices[member.invoiceID] = invoice
            let actions = member.payload.actions
            let part = Self.part(stage: stageName, actions: actions)
            let done = try facts.isDone(invoiceID: member.invoiceID, part: part, connection)
            var stage = DueStage(
                key: member.key, invoiceID: member.invoiceID, stage: stageName,
                tone: member.payload.tone, actions: actions, rules: member.payload.rules,
                standing: invoice.standing, pause: try facts.pause(invoiceID: member.invoiceID, timeZone: account.timeZone, connection),
                overtaken: try facts.laterStageDue(invoiceID: member.invoiceID, than: stageName, connection))
            // The same part of a stage twice for one invoice (a repeat, a second timer): once only.
            let seenKey = "\(member.invoiceID)|\(part)"
            if done || (seenParts.contains(seenKey) && stageName != Self.partialPaymentStage) {
                stage.overtaken = true
            }
            seenParts.insert(seenKey)
            due.append(stage)
        }
        let sent = try facts.sent(accountID: accountID, connection)
        let decision = StageFiring.plan(due, now: now, today: today, sent: sent, consents: account.consents,
                                        timeZone: account.timeZone, contact: contact, pauses: pauses)
        let members = Dictionary(group.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let stages = Dictionary(due.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var effects: [RecordEffect] = []

        func audit(_ kind: String, _ stage: DueStage, rule: String?, _ detail: [String: JSONValue]) throws {
            var detail = detail
            detail["stage"] = .string(stage.stage)
            detail["rules"] = .array(stage.rules.map(JSONValue.string))
            try AuditLog.append(kind: kind, at: now, accountID: accountID, invoiceID: stage.invoiceID,
                                eventID: members[stage.key]?.payload.causedBy, rule: rule, detail: .object(detail),
                                connection)
        }

        for stop in decision.stopped {
            try audit("journey.stage.stopped", stages[stop.key]!, rule: stop.rule, ["reason": .string(stop.reason)])
            effects.append(.stageHeld(reason: stop.rule))
        }
        for key in decision.superseded {
            try audit("journey.stage.superseded", stages[key]!, rule: "journey.seen_late",
                      ["reason": .string("a later stage of the invoice is due, or this one was already carried out")])
            effects.append(.stageHeld(reason: "superseded"))
        }
        for wait in decision.waiting {
            let stage = stages[wait.key]!, member = members[wait.key]!
            let resume = wait.until.at(hour: journey.sendHour, in: account.timeZone)
            // Hand-offs that went now are not repeated when the messages resume.
            var actions = stage.actions
            if wait.rule == "pause.hand_off" { actions = StageActions(messages: actions.messages) }
            try reschedule(member, accountID: accountID, actions: actions, at: resume, suffix: "wait", now: now, connection)
            try audit("journey.stage.paused", stage, rule: wait.rule,
                      ["reason": .string(wait.reason), "resume_at": .string(Timestamps.format(resume))])
            effects.append(.stageHeld(reason: wait.rule))
        }
        for handOff in decision.handOffs {
            let stage = stages[handOff.key]!
            let invoice = invoices[stage.invoiceID]!
            let cause = handOff.key
            if let owner = handOff.escalation {
                // The stage's row names the owner, unless the strategic rule added the account team.
                let rule = owner == "account_team" && stage.rules.contains(JourneyPlanner.accountTeamFirstRule)
                    ? JourneyPlanner.accountTeamFirstRule : stage.rules.first ?? "journey.\(stage.stage)"

                effects += try HandOffs.escalate(owner: owner, rule: rule, recommendedAction: Self.recommendedAction(owner: owner),
                                                 account: account, invoice: invoice, causedBy: cause, now: now,
                                                 extraDetail: ["stage": .string(stage.stage)], connection)
                facts.handedOff(invoiceID: stage.invoiceID)
            }
            if let kind = handOff.task {
                effects += try HandOffs.createTask(kind: kind, rule: stage.rules.first ?? "journey.\(stage.stage)", account: account, invoice: invoice, causedBy: cause,
                                                   contact: contact, now: now, connection)
                facts.handedOff(invoiceID: stage.invoiceID)
            }
            if stage.actions.messages.isEmpty { try markDone(stage, facts: facts, connection) }
        }
        if let deferral = decision.deferred {
            for key in deferral.keys {
                let stage = stages[key]!
                try reschedule(members[key]!, accountID: accountID, actions: StageActions(messages: stage.actions.messages), at: deferral.until,
                               suffix: "defer", now: now, connection)
                try audit("journey.stage.deferred", stage, rule: deferral.rules.first,
                          ["until": .string(Timestamps.format(deferral.until)), "deferred_by": .array(deferral.rules.map(JSONValue.string))])
            }
            effects.append(.noticeDeferred(rule: deferral.rules.first ?? "contact"))
        }
        for key in decision.unsendable {
            let stage = stages[key]!
            try audit("journey.stage.suppressed", stage, rule: decision.unsendableRules.first,
                      ["reason": .string("no channel the account consented to"),
                       "rules_applied": .array(decision.unsendableRules.map(JSONValue.string))])
            try markDone(stage, facts: facts, connection)
            effects.append(.noticeSuppressed(reason: "no_consent"))
        }
        if let touch = decision.touch {
            effects += try send(touch, stages: touch.keys.map { stages[$0]! }, invoices: invoices, account: account,
                                audit: audit, facts: facts, now: now, connection)
        }
        let covered = group.map(\.timerID).filter { $0 != timer.timerID }
        try TimerStore.queueMarkFired(covered, at: now, connection)
        facts.close(covered + [timer.timerID])
        return effects
    }

    /// Renders and queues the touch's messages, one per channel, each covering every invoice of the touch.
    private func send(_ touch: FiringPlan.Touch, stages: [DueStage], invoices: [String: InvoiceFacts], account: AccountFacts,
                      audit: (String, DueStage, String?, [String: JSONValue]) throws -> Void, facts: StageFacts, now: Date,
                      _ connection: PostgresConnection) throws -> [RecordEffect] {
        guard let first = stages.first else { return [] }
        let touchID = StableID.make("touch", stages.map(\.key).sorted())
        let subjects = stages.compactMap { invoices[$0.invoiceID]?.messageInvoice }
        var effects: [RecordEffect] = []
        var queued: [JSONValue] = []
        var suppressed: [JSONValue] = []
        for channel in touch.channels {
            let messageID = StableID.make("msg", touchID, channel.rawValue)
            switch MessageComposer.compose(channel: channel.rawValue, stage: first.stage, tone: first.tone.rawValue,
                                           recipient: account.recipient, invoices: subjects, templates: templates,
                                           messageID: messageID, causedBy: first.key) {
            case .failure(let suppression):
                suppressed.append(.object(["channel": .string(channel.rawValue), "reason": .string(suppression.label)]))
                effects.append(.noticeSuppressed(reason: suppression.label))
            case .success(let message):
                try Outbox.enqueue(.messageRequested(message, at: now), at: now, connection)
                try ContactLog.record(accountID: account.accountID, channel: message.channel, touchID: touchID, messageID: messageID,
                                      at: now, connection)
                if let channel = Channel(rawValue: message.channel) {
                    facts.sent(SentMessage(channel: channel, at: now, touchID: touchID), accountID: account.accountID)
                }
                queued.append(.object(["channel": .string(message.channel), "message_id": .string(messageID),
                                       "template": .string(message.template), "locale": .string(message.locale)]))
                effects.append(.messageQueued(channel: message.channel, stage: message.stage))
            }
        }
        for stage in stages {
            try audit(queued.isEmpty ? "journey.stage.suppressed" : "journey.stage.sent", stage, stage.rules.last, [
                "touch_id": .string(touchID), "tone": .string(stage.tone.rawValue), "messages": .array(queued),
                "suppressed": .array(suppressed), "invoice_count": .int(Int64(stages.count)),
                "dropped_channels": .array(touch.dropped.map { .string($0.rawValue) }),
                "dropped_by": .array(touch.droppedRules.map(JSONValue.string)),
            ])
            try markDone(stage, facts: facts, connection)
        }
        return effects
    }

    // MARK: helpers

    /// A new timer for the same stage at `time`, doing `actions`.
    private func reschedule(_ member: StageTimer, accountID: String, actions: StageActions, at time: Date, suffix: String, now: Date,
                            _ connection: PostgresConnection) throws {
        var payload = member.payload
        payload.actions = actions
        payload.causedBy = payload.causedBy ?? member.key
        try TimerStore.schedule(kind: Self.timerKind, dedupeKey: "\(member.key):\(suffix):\(Int(time.timeIntervalSince1970))",
                                dueAt: time, accountID: accountID, invoiceID: member.invoiceID, payload: payload.json, now: now, connection)
    }

    private func markDone(_ stage: DueStage, facts: StageFacts, _ connection: PostgresConnection) throws {
        guard stage.stage != Self.partialPaymentStage else { return }
        let part = Self.part(stage: stage.stage, actions: stage.actions)
        try connection.enqueue("""
            UPDATE recoup.invoice_journeys SET done_stages = array_append(done_stages, $2)
             WHERE invoice_id = $1 AND NOT ($2 = ANY(done_stages))
            """, [stage.invoiceID, part])
        facts.markedDone(invoiceID: stage.invoiceID, part: part)
    }

    /// What marks a stage carried out: the stage, or its hand-off alone when the strategic rule
    /// split the messages off to a later day.
    static func part(stage: String, actions: StageActions) -> String {
        actions.messages.isEmpty ? "\(stage):hand_off" : stage
    }

    static func recommendedAction(owner: String) -> String {
        switch owner {
        case "account_team": "The invoice is overdue: reach out through the relationship before any automated reminder lands."
        case "collector", "collections_lead": "Work the invoice personally: call, agree a date or a plan, and record it."
        case "service_impact": "Decide whether service should be limited; confirm with the account owner first."
        case "write_off_review": "Review the invoice for write-off: automated reminders have run their course."
        default: "Review the invoice."
        }
    }
}

/// What a `journey.stage` timer carries: the stage to carry out, in which tone, doing what, the
/// rules that planned it and the event that caused it.
struct StagePayload {
    var stage: String
    var tone: Tone
    var actions: StageActions
    var rules: [String]
    /// Nil only in a payload written without one (an older or broken build).
    var causedBy: String?

    init(stage: String, tone: Tone, actions: StageActions, rules: [String], causedBy: String?) {
        self.stage = stage
        self.tone = tone
        self.actions = actions
        self.rules = rules
        self.causedBy = causedBy
    }

    init(_ json: JSONValue) {
        stage = json["stage"]?.stringValue ?? ""
        tone = json["tone"]?.stringValue.flatMap(Tone.init(rawValue:)) ?? .courtesy
        actions = StageActions(messages: json["messages"]?.arrayValue?.compactMap { $0.stringValue.flatMap(Channel.init(rawValue:)) } ?? [],
                               task: json["task"]?.stringValue, escalation: json["escalation"]?.stringValue)
        rules = json["rules"]?.arrayValue?.compactMap(\.stringValue) ?? []
        causedBy = json["caused_by"]?.stringValue
    }

    var json: JSONValue {
        .object([
            "stage": .string(stage), "tone": .string(tone.rawValue),
            "messages": .array(actions.messages.map { .string($0.rawValue) }),
            "task": actions.task.map(JSONValue.string) ?? .null, "escalation": actions.escalation.map(JSONValue.string) ?? .null,
            "rules": .array(rules.map(JSONValue.string)), "caused_by": causedBy.map(JSONValue.string) ?? .null,
        ])
    }
}
