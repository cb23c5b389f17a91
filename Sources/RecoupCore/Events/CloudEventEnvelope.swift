import Foundation

/// The CloudEvents 1.0 context attributes Recoup reads from a structured-mode JSON message.
/// Attribute names are CloudEvents' own. Extension attributes are ignored.
public struct CloudEventEnvelope: Sendable, Equatable {
    /// Unique per event; the idempotency key.
    public var id: String
    public var source: String
    public var type: String
    /// Always "1.0" for an accepted message.
    public var specversion: String
    public var time: Date?
    public var datacontenttype: String?
    public var subject: String?

    public init(id: String, source: String, type: String, specversion: String = "1.0", time: Date? = nil,
                datacontenttype: String? = nil, subject: String? = nil) {
        self.id = id
        self.source = source
        self.type = type
        self.specversion = specversion
        self.time = time
        self.datacontenttype = datacontenttype
        self.subject = subject
    }
}

/// A validated inbound message: its envelope, its typed payload, and the routing keys for
/// per-account lanes and locks.
public struct ParsedEvent: Sendable, Equatable {
    public var envelope: CloudEventEnvelope
    public var event: InboundEvent
    /// Every inbound event names its account.
    public var accountID: String
    /// The invoice, for the events that name one.
    public var invoiceID: String?

    public init(envelope: CloudEventEnvelope, event: InboundEvent) {
        self.envelope = envelope
        self.event = event
        self.accountID = event.accountID
        self.invoiceID = event.invoiceID
    }
}
