import CRabbitMQ
import Foundation

/// One rabbitmq-c connection with one channel. Blocking, and used only by the thread that owns
/// it (rabbitmq-c connections must never be shared between threads), hence not `Sendable`.
/// Errors are classified: `.channelClosed` means "reopen the channel", anything
/// `isConnectionLevel` means "drop the connection".
final class AMQPSession {
    private var state: amqp_connection_state_t?
    let channel: amqp_channel_t = 1
    private(set) var channelOpen = false
    private let configuration: AMQPConfiguration
    private let watchdog: StallWatchdog

    /// A message the broker handed back (mandatory, unroutable).
    struct Returned: Equatable {
        var code: Int
        var text: String
        var exchange: String
        var routingKey: String
        var messageID: String?
    }

    /// Something that arrived on the connection.
    enum Frame {
        case delivery(AMQPDelivery)
        case ack(tag: UInt64, multiple: Bool)
        case nack(tag: UInt64, multiple: Bool)
        case returned(Returned)
        case cancelledByBroker(consumerTag: String)
        case blocked(String)
        case unblocked
        case other
    }

    /// Opens the socket (TLS for amqps), logs in with our capabilities, opens channel 1.
    init(configuration: AMQPConfiguration, watchdog: StallWatchdog = .shared) throws(AMQPError) {
        self.configuration = configuration
        self.watchdog = watchdog
        guard let state = amqp_new_connection() else { throw .library("cannot allocate a connection") }
        self.state = state
        do {
            try open(state)
        } catch {
            destroy()
            throw error
        }
    }

    private func open(_ state: amqp_connection_state_t) throws(AMQPError) {
        let url = configuration.url
        let socket: OpaquePointer?
        if url.tls {
            socket = amqp_ssl_socket_new(state)
            guard let socket else { throw .library("cannot create a TLS socket") }
            amqp_ssl_socket_set_ssl_versions(socket, AMQP_TLSv1_2, AMQP_TLSvLATEST)
            amqp_ssl_socket_set_verify_peer(socket, configuration.verifyPeer ? 1 : 0)
            amqp_ssl_socket_set_verify_hostname(socket, configuration.verifyPeer ? 1 : 0)
            let systemBundle = "/etc/ssl/certs/ca-certificates.crt"
            let ca = configuration.caCertificatePath
                ?? (FileManager.default.fileExists(atPath: systemBundle) ? systemBundle : nil)
            if let ca, amqp_ssl_socket_set_cacert(socket, ca) != AMQP_STATUS_OK.rawValue {
                throw .connectionFailed("cannot load the CA certificates in \(ca)")
            }
            if let certificate = configuration.clientCertificatePath, let key = configuration.clientKeyPath,
               amqp_ssl_socket_set_key(socket, certificate, key) != AMQP_STATUS_OK.rawValue {
                throw .connectionFailed("cannot load the client certificate \(certificate) or key \(key)")
            }
        } else {
            socket = amqp_tcp_socket_new(state)
            guard socket != nil else { throw .library("cannot create a socket") }
        }
        var connectTimeout = Self.timeval(configuration.connectTimeout)
        let opened = amqp_socket_open_noblock(socket, url.host, Int32(url.port), &connectTimeout)
        guard opened == AMQP_STATUS_OK.rawValue else {
            throw .connectionFailed("\(url.host):\(url.port): \(String(cString: amqp_error_string2(opened)))")
        }
        amqp_set_handshake_timeout(state, &connectTimeout)
        var rpcTimeout = Self.timeval(configuration.rpcTimeout)
        amqp_set_rpc_timeout(state, &rpcTimeout)

        let reply = Self.withClientProperties(name: configuration.connectionName) { properties in
            recoup_amqp_login_plain(state, url.vhost, 0, 131_072, Int32(max(0, configuration.heartbeatSeconds)),
                                    properties, url.user, url.password)
        }
        do {
            try check(reply, "login")
        } catch {
            // A refused login (403 ACCESS_REFUSED, wrong vhost) is a failure to connect.
            throw .connectionFailed("\(url): \(error)")
        }
        try openChannel()
    }

    deinit { destroy() }

    private func destroy() {
        if let state {
            amqp_destroy_connection(state)
            self.state = nil
        }
        channelOpen = false
    }

    /// Closes politely (channel, then connection; bounded waits) and frees everything. Whatever
    /// was queued on the socket before (acks) is sent first.
    func close() {
        guard let state else { return }
        var quick = Self.timeval(min(configuration.rpcTimeout, .seconds(3)))
        amqp_set_rpc_timeout(state, &quick)
        if channelOpen { _ = amqp_channel_close(state, channel, AMQP_REPLY_SUCCESS) }
        _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        destroy()
    }

    /// Frees the connection without a closing handshake (it is broken already).
    func abandon() { destroy() }

    private func live() throws(AMQPError) -> amqp_connection_state_t {
        guard let state else { throw .notConnected }
        return state
    }

    private func liveChannel() throws(AMQPError) -> amqp_connection_state_t {
        let state = try live()
        guard channelOpen else { throw .channelClosed(code: 0, text: "channel not open") }
        return state
    }

    var socketDescriptor: Int32 { state.map { amqp_get_sockfd($0) } ?? -1 }

    /// True when rabbitmq-c holds bytes or frames not yet handed out (poll would not see them).
    var hasBufferedInput: Bool {
        guard let state else { return false }
        return amqp_frames_enqueued(state) != 0 || amqp_data_in_buffer(state) != 0
    }

    // MARK: Setup

    /// Opens channel 1 (again, after the broker closed it).
    func openChannel() throws(AMQPError) {
        let state = try live()
        amqp_channel_open(state, channel)
        try check(amqp_get_rpc_reply(state), "channel.open")
        channelOpen = true
    }

    func declare(_ topology: AMQPTopology) throws(AMQPError) {
        let state = try liveChannel()
        for exchange in topology.exchanges {
            withBytes(exchange.name) { name in
                withBytes(exchange.type) { type in
                    _ = amqp_exchange_declare(state, channel, name, type, 0, exchange.durable ? 1 : 0, 0, 0, amqp_empty_table)
                }
            }
            try check(amqp_get_rpc_reply(state), "exchange.declare \(exchange.name)")
        }
        for queue in topology.queues {
            let arena = Arena()
            defer { arena.free() }
            let arguments = arena.table(queue.arguments)
            withBytes(queue.name) { name in
                _ = amqp_queue_declare(state, channel, name, 0, queue.durable ? 1 : 0, 0, 0, arguments)
            }
            try check(amqp_get_rpc_reply(state), "queue.declare \(queue.name)")
        }
        for binding in topology.bindings {
            withBytes(binding.queue) { queue in
                withBytes(binding.exchange) { exchange in
                    withBytes(binding.routingKey) { key in
                        _ = amqp_queue_bind(state, channel, queue, exchange, key, amqp_empty_table)
                    }
                }
            }
            try check(amqp_get_rpc_reply(state), "queue.bind \(binding.queue) to \(binding.exchange) with \(binding.routingKey)")
        }
    }

    func qos(prefetch: UInt16) throws(AMQPError) {
        let state = try liveChannel()
        _ = amqp_basic_qos(state, channel, 0, prefetch, 0)
        try check(amqp_get_rpc_reply(state), "basic.qos")
    }

    func confirmSelect() throws(AMQPError) {
        let state = try liveChannel()
        _ = amqp_confirm_select(state, channel)
        try check(amqp_get_rpc_reply(state), "confirm.select")
    }

    /// Starts consuming with manual acks; returns the consumer tag.
    func consume(queue: String) throws(AMQPError) -> String {
        let state = try liveChannel()
        let ok = withBytes(queue) { name in
            amqp_basic_consume(state, channel, name, amqp_empty_bytes, 0, 0, 0, amqp_empty_table)
        }
        try check(amqp_get_rpc_reply(state), "basic.consume \(queue)")
        guard let ok else { throw .library("basic.consume returned nothing") }
        return Self.string(ok.pointee.consumer_tag)
    }

    /// Stops the consumer. Deliveries already in flight may still arrive.
    func cancel(consumerTag: String) throws(AMQPError) {
        let state = try liveChannel()
        withBytes(consumerTag) { tag in _ = amqp_basic_cancel(state, channel, tag) }
        try check(amqp_get_rpc_reply(state), "basic.cancel")
    }

    // MARK: Messages

    /// Writes one message. Asynchronous on the broker side: failures come back as a
    /// `channel.close` or a nack later.
    func publish(_ message: AMQPOutboundMessage) throws(AMQPError) {
        let state = try liveChannel()
        let arena = Arena()
        defer { arena.free() }
        var properties = arena.properties(message.properties)
        let (status, stalled) = watchdog.guarding(descriptor: amqp_get_sockfd(state), limit: configuration.rpcTimeout) {
            withBytes(message.exchange) { exchange in
                withBytes(message.routingKey) { key in
                    message.body.withUnsafeBytes { raw in
                        let body = amqp_bytes_t(len: raw.count, bytes: UnsafeMutableRawPointer(mutating: raw.baseAddress))
                        return amqp_basic_publish(state, channel, exchange, key, message.mandatory ? 1 : 0, 0, &properties, body)
                    }
                }
            }
        }
        try checkStatus(status, stalled: stalled, "basic.publish")
    }

    /// basic.ack; with `multiple`, every unacked delivery up to `tag` as well.
    func ack(_ tag: UInt64, multiple: Bool = false) throws(AMQPError) {
        let state = try liveChannel()
        let (status, stalled) = watchdog.guarding(descriptor: amqp_get_sockfd(state), limit: configuration.rpcTimeout) {
            amqp_basic_ack(state, channel, tag, multiple ? 1 : 0)
        }
        try checkStatus(status, stalled: stalled, "basic.ack")
    }

    func nack(_ tag: UInt64, requeue: Bool) throws(AMQPError) {
        let state = try liveChannel()
        let (status, stalled) = watchdog.guarding(descriptor: amqp_get_sockfd(state), limit: configuration.rpcTimeout) {
            amqp_basic_nack(state, channel, tag, 0, requeue ? 1 : 0)
        }
        try checkStatus(status, stalled: stalled, "basic.nack")
    }

    func reject(_ tag: UInt64, requeue: Bool) throws(AMQPError) {
        let state = try liveChannel()
        let (status, stalled) = watchdog.guarding(descriptor: amqp_get_sockfd(state), limit: configuration.rpcTimeout) {
            amqp_basic_reject(state, channel, tag, requeue ? 1 : 0)
        }
        try checkStatus(status, stalled: stalled, "basic.reject")
    }

    /// basic.get without auto-ack: the message, or nil when the queue is empty.
    func get(queue: String, generation: UInt64) throws(AMQPError) -> AMQPDelivery? {
        let state = try liveChannel()
        let reply = withBytes(queue) { name in amqp_basic_get(state, channel, name, 0) }
        try check(reply, "basic.get \(queue)")
        guard reply.reply.id == AMQP_BASIC_GET_OK_METHOD else { return nil }
        let ok = reply.reply.decoded.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
        let tag = ok.delivery_tag, redelivered = ok.redelivered != 0
        let exchange = Self.string(ok.exchange), routingKey = Self.string(ok.routing_key)
        let (body, properties) = try readMessage()
        return AMQPDelivery(body: body, exchange: exchange, routingKey: routingKey, deliveryTag: tag,
                            redelivered: redelivered, properties: properties, consumerGeneration: generation)
    }

    /// Ready messages in `queue` (passive declare: the broker closes the channel if the queue
    /// does not exist).
    func messageCount(queue: String) throws(AMQPError) -> Int {
        let state = try liveChannel()
        let ok = withBytes(queue) { name in amqp_queue_declare(state, channel, name, 1, 0, 0, 0, amqp_empty_table) }
        try check(amqp_get_rpc_reply(state), "queue.declare(passive) \(queue)")
        return Int(ok?.pointee.message_count ?? 0)
    }

    func purge(queue: String) throws(AMQPError) -> Int {
        let state = try liveChannel()
        let ok = withBytes(queue) { name in amqp_queue_purge(state, channel, name) }
        try check(amqp_get_rpc_reply(state), "queue.purge \(queue)")
        return Int(ok?.pointee.message_count ?? 0)
    }

    // MARK: Frames

    /// The next frame if one arrives within `timeout` (zero: only what is already there),
    /// servicing heartbeats either way. Throws when the connection or channel is gone.
    func nextFrame(timeout: Duration = .zero, generation: UInt64) throws(AMQPError) -> Frame? {
        let state = try live()
        amqp_maybe_release_buffers(state)
        var frame = amqp_frame_t()
        var tv = Self.timeval(timeout)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &tv)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        try checkStatus(status, stalled: false, "reading from the broker")
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return .other }
        let method = frame.payload.method
        switch method.id {
        case AMQP_BASIC_DELIVER_METHOD:
            let deliver = method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
            let tag = deliver.delivery_tag, redelivered = deliver.redelivered != 0
            let exchange = Self.string(deliver.exchange), routingKey = Self.string(deliver.routing_key)
            let (body, properties) = try readMessage()
            return .delivery(AMQPDelivery(body: body, exchange: exchange, routingKey: routingKey, deliveryTag: tag,
                                          redelivered: redelivered, properties: properties, consumerGeneration: generation))
        case AMQP_BASIC_ACK_METHOD:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            return .ack(tag: ack.delivery_tag, multiple: ack.multiple != 0)
        case AMQP_BASIC_NACK_METHOD:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            return .nack(tag: nack.delivery_tag, multiple: nack.multiple != 0)
        case AMQP_BASIC_RETURN_METHOD:
            let returned = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            var result = Returned(code: Int(returned.reply_code), text: Self.string(returned.reply_text),
                                  exchange: Self.string(returned.exchange), routingKey: Self.string(returned.routing_key))
            result.messageID = try readMessage().1.messageID
            return .returned(result)
        case AMQP_BASIC_CANCEL_METHOD:
            let cancel = method.decoded.assumingMemoryBound(to: amqp_basic_cancel_t.self).pointee
            let tag = Self.string(cancel.consumer_tag)
            if cancel.nowait == 0 {
                var ok = amqp_basic_cancel_ok_t(consumer_tag: cancel.consumer_tag)
                amqp_send_method(state, frame.channel, AMQP_BASIC_CANCEL_OK_METHOD, &ok)
            }
            return .cancelledByBroker(consumerTag: tag)
        case AMQP_CONNECTION_BLOCKED_METHOD:
            let blocked = method.decoded.assumingMemoryBound(to: amqp_connection_blocked_t.self).pointee
            return .blocked(Self.string(blocked.reason))
        case AMQP_CONNECTION_UNBLOCKED_METHOD:
            return .unblocked
        case AMQP_CHANNEL_CLOSE_METHOD:
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            throw closedChannel(frame.channel, code: close.reply_code, text: close.reply_text, "")
        case AMQP_CONNECTION_CLOSE_METHOD:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            throw closedConnection(code: close.reply_code, text: close.reply_text, "")
        default:
            return .other
        }
    }

    /// Reads the content header and body that follow a deliver/get-ok/return, copied into Swift
    /// before rabbitmq-c's buffers are released.
    private func readMessage() throws(AMQPError) -> ([UInt8], AMQPProperties) {
        let state = try live()
        var message = amqp_message_t()
        let reply = amqp_read_message(state, channel, &message, 0)
        defer { amqp_destroy_message(&message) }
        try check(reply, "reading a message")
        let body: [UInt8] = message.body.len == 0 ? [] :
            Array(UnsafeRawBufferPointer(start: message.body.bytes, count: message.body.len))
        return (body, Self.properties(message.properties))
    }

    // MARK: Errors

    /// Answers a broker's `channel.close` (close-ok; the channel can then be reopened).
    private func closedChannel(_ number: amqp_channel_t, code: UInt16, text: amqp_bytes_t, _ what: String) -> AMQPError {
        let reason = Self.string(text)
        if let state {
            var ok = amqp_channel_close_ok_t()
            amqp_send_method(state, number, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok)
        }
        if number == channel { channelOpen = false }
        return .channelClosed(code: Int(code), text: what.isEmpty ? reason : "\(what): \(reason)")
    }

    /// Answers a broker's `connection.close` (close-ok); the connection is finished.
    private func closedConnection(code: UInt16, text: amqp_bytes_t, _ what: String) -> AMQPError {
        let reason = Self.string(text)
        if let state {
            var ok = amqp_connection_close_ok_t()
            amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok)
        }
        channelOpen = false
        return .connectionClosed(code: Int(code), text: what.isEmpty ? reason : "\(what): \(reason)")
    }

    func check(_ reply: amqp_rpc_reply_t, _ what: String) throws(AMQPError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            throw Self.statusError(reply.library_error, stalled: false, what)
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            switch reply.reply.id {
            case AMQP_CONNECTION_CLOSE_METHOD:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                throw closedConnection(code: close.reply_code, text: close.reply_text, what)
            case AMQP_CHANNEL_CLOSE_METHOD:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                throw closedChannel(channel, code: close.reply_code, text: close.reply_text, what)
            default:
                throw .library("\(what): unexpected server method \(reply.reply.id)")
            }
        default:
            throw .library("\(what): no reply")
        }
    }

    private func checkStatus(_ status: Int32, stalled: Bool, _ what: String) throws(AMQPError) {
        guard status != AMQP_STATUS_OK.rawValue else { return }
        throw Self.statusError(status, stalled: stalled, what)
    }

    /// Maps a rabbitmq-c status to an error; everything here ends the connection.
    static func statusError(_ status: Int32, stalled: Bool, _ what: String) -> AMQPError {
        let reason = String(cString: amqp_error_string2(status))
        if stalled { return .connectionLost("\(what) stalled and was broken off (\(reason))") }
        switch status {
        case AMQP_STATUS_TIMEOUT.rawValue: return .timedOut("\(what) (the connection is dropped)")
        case AMQP_STATUS_HEARTBEAT_TIMEOUT.rawValue, AMQP_STATUS_SOCKET_ERROR.rawValue,
             AMQP_STATUS_CONNECTION_CLOSED.rawValue, AMQP_STATUS_SOCKET_CLOSED.rawValue,
             AMQP_STATUS_SSL_ERROR.rawValue:
            return .connectionLost("\(what): \(reason)")
        default:
            return .library("\(what): \(reason)")
        }
    }

    // MARK: Conversions

    static func properties(_ raw: amqp_basic_properties_t) -> AMQPProperties {
        var properties = AMQPProperties()
        let flags = raw._flags
        func has(_ flag: Int32) -> Bool { flags & amqp_flags_t(flag) != 0 }
        if has(AMQP_BASIC_CONTENT_TYPE_FLAG) { properties.contentType = string(raw.content_type) }
        if has(AMQP_BASIC_MESSAGE_ID_FLAG) { properties.messageID = string(raw.message_id) }
        if has(AMQP_BASIC_CORRELATION_ID_FLAG) { properties.correlationID = string(raw.correlation_id) }
        if has(AMQP_BASIC_TYPE_FLAG) { properties.type = string(raw.type) }
        if has(AMQP_BASIC_APP_ID_FLAG) { properties.appID = string(raw.app_id) }
        if has(AMQP_BASIC_TIMESTAMP_FLAG) { properties.timestamp = Date(timeIntervalSince1970: Double(raw.timestamp)) }
        if has(AMQP_BASIC_DELIVERY_MODE_FLAG) { properties.persistent = raw.delivery_mode == 2 }
        if has(AMQP_BASIC_HEADERS_FLAG) { properties.headers = FieldTable.decode(raw.headers) }
        return properties
    }

    static func string(_ bytes: amqp_bytes_t) -> String {
        guard bytes.len > 0, let base = bytes.bytes else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: base, count: bytes.len), as: UTF8.self)
    }

    static func timeval(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        return Foundation.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }

    /// Client properties: our name and the capabilities RabbitMQ only uses when asked for
    /// (`connection.blocked` notifications, broker-side `basic.cancel`).
    static func clientProperties(name: String) -> [String: AMQPFieldValue] {
        [
            "connection_name": .string(name),
            "product": .string("recoup"),
            "capabilities": .table([
                "connection.blocked": .bool(true),
                "consumer_cancel_notify": .bool(true),
                "publisher_confirms": .bool(true),
                "basic.nack": .bool(true),
                "authentication_failure_close": .bool(true),
            ]),
        ]
    }

    private static func withClientProperties<T>(name: String, _ body: (UnsafePointer<amqp_table_t>) -> T) -> T {
        let arena = Arena()
        defer { arena.free() }
        var table = arena.table(clientProperties(name: name))
        return body(&table)
    }
}

/// Runs `body` with `text` as amqp_bytes_t; the bytes live only for the call.
func withBytes<T>(_ text: String, _ body: (amqp_bytes_t) -> T) -> T {
    var copy = text
    return copy.withUTF8 { buffer in
        body(amqp_bytes_t(len: buffer.count, bytes: UnsafeMutableRawPointer(mutating: buffer.baseAddress)))
    }
}
