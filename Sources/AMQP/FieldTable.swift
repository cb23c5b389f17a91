import CRabbitMQ
import Foundation

/// Converts rabbitmq-c field tables to Swift values, copying everything out (the C memory dies
/// with the frame). Every kind rabbitmq-c decodes is accepted; an unknown kind reads as `.void`.
enum FieldTable {
    static func decode(_ table: amqp_table_t) -> [String: AMQPFieldValue] {
        var result: [String: AMQPFieldValue] = [:]
        guard table.num_entries > 0, let entries = table.entries else { return result }
        for index in 0..<Int(table.num_entries) {
            let entry = entries[index]
            result[AMQPSession.string(entry.key)] = decode(entry.value)
        }
        return result
    }

    static func decode(_ field: amqp_field_value_t) -> AMQPFieldValue {
        let value = field.value
        switch Character(Unicode.Scalar(field.kind)) {
        case "t": return .bool(value.boolean != 0)
        case "b": return .int(Int64(value.i8))
        case "B": return .int(Int64(value.u8))
        case "s": return .int(Int64(value.i16))
        case "u": return .int(Int64(value.u16))
        case "I": return .int(Int64(value.i32))
        case "i": return .int(Int64(value.u32))
        case "l": return .int(value.i64)
        case "L": return .int(Int64(clamping: value.u64))
        case "f": return .double(Double(value.f32))
        case "d": return .double(value.f64)
        case "D": return .decimal(scale: value.decimal.decimals, value: value.decimal.value)
        case "S": return .string(AMQPSession.string(value.bytes))
        case "x":
            let bytes = value.bytes
            return .bytes(bytes.len == 0 ? [] : Array(UnsafeRawBufferPointer(start: bytes.bytes, count: bytes.len)))
        case "T": return .timestamp(Date(timeIntervalSince1970: Double(value.u64)))
        case "F": return .table(decode(value.table))
        case "A":
            let array = value.array
            guard array.num_entries > 0, let entries = array.entries else { return .array([]) }
            return .array((0..<Int(array.num_entries)).map { decode(entries[$0]) })
        default: return .void
        }
    }
}

/// C memory for one call into rabbitmq-c (tables, properties), freed all at once afterwards.
/// Integers are written as signed 64-bit (`l`), which RabbitMQ accepts for every argument.
final class Arena {
    private var allocations: [UnsafeMutableRawPointer] = []

    func free() {
        for pointer in allocations { pointer.deallocate() }
        allocations.removeAll()
    }

    func bytes(_ text: String) -> amqp_bytes_t { bytes(Array(text.utf8)) }

    func bytes(_ data: [UInt8]) -> amqp_bytes_t {
        guard !data.isEmpty else { return amqp_bytes_t(len: 0, bytes: nil) }
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: data.count, alignment: 1)
        allocations.append(pointer)
        data.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress!, byteCount: data.count) }
        return amqp_bytes_t(len: data.count, bytes: pointer)
    }

    func table(_ values: [String: AMQPFieldValue]) -> amqp_table_t {
        guard !values.isEmpty else { return amqp_table_t(num_entries: 0, entries: nil) }
        let entries = UnsafeMutablePointer<amqp_table_entry_t>.allocate(capacity: values.count)
        allocations.append(UnsafeMutableRawPointer(entries))
        for (index, key) in values.keys.sorted().enumerated() {
            (entries + index).initialize(to: amqp_table_entry_t(key: bytes(key), value: field(values[key]!)))
        }
        return amqp_table_t(num_entries: Int32(values.count), entries: entries)
    }

    func field(_ value: AMQPFieldValue) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        switch value {
        case .string(let text):
            field.kind = UInt8(ascii: "S"); field.value.bytes = bytes(text)
        case .int(let number):
            field.kind = UInt8(ascii: "l"); field.value.i64 = number
        case .bool(let flag):
            field.kind = UInt8(ascii: "t"); field.value.boolean = flag ? 1 : 0
        case .double(let number):
            field.kind = UInt8(ascii: "d"); field.value.f64 = number
        case .timestamp(let date):
            field.kind = UInt8(ascii: "T"); field.value.u64 = UInt64(max(0, date.timeIntervalSince1970))
        case .decimal(let scale, let number):
            field.kind = UInt8(ascii: "D"); field.value.decimal = amqp_decimal_t(decimals: scale, value: number)
        case .bytes(let data):
            field.kind = UInt8(ascii: "x"); field.value.bytes = bytes(data)
        case .table(let nested):
            field.kind = UInt8(ascii: "F"); field.value.table = table(nested)
        case .array(let values):
            field.kind = UInt8(ascii: "A")
            if values.isEmpty {
                field.value.array = amqp_array_t(num_entries: 0, entries: nil)
            } else {
                let entries = UnsafeMutablePointer<amqp_field_value_t>.allocate(capacity: values.count)
                allocations.append(UnsafeMutableRawPointer(entries))
                for (index, element) in values.enumerated() { (entries + index).initialize(to: self.field(element)) }
                field.value.array = amqp_array_t(num_entries: Int32(values.count), entries: entries)
            }
        case .void:
            field.kind = UInt8(ascii: "V")
        }
        return field
    }

    func properties(_ properties: AMQPProperties) -> amqp_basic_properties_t {
        var raw = amqp_basic_properties_t()
        var flags: Int32 = 0
        if let value = properties.contentType { raw.content_type = bytes(value); flags |= AMQP_BASIC_CONTENT_TYPE_FLAG }
        if let value = properties.messageID { raw.message_id = bytes(value); flags |= AMQP_BASIC_MESSAGE_ID_FLAG }
        if let value = properties.correlationID { raw.correlation_id = bytes(value); flags |= AMQP_BASIC_CORRELATION_ID_FLAG }
        if let value = properties.type { raw.type = bytes(value); flags |= AMQP_BASIC_TYPE_FLAG }
        if let value = properties.appID { raw.app_id = bytes(value); flags |= AMQP_BASIC_APP_ID_FLAG }
        if let value = properties.timestamp {
            raw.timestamp = UInt64(max(0, value.timeIntervalSince1970)); flags |= AMQP_BASIC_TIMESTAMP_FLAG
        }
        raw.delivery_mode = properties.persistent ? 2 : 1
        flags |= AMQP_BASIC_DELIVERY_MODE_FLAG
        if !properties.headers.isEmpty { raw.headers = table(properties.headers); flags |= AMQP_BASIC_HEADERS_FLAG }
        raw._flags = amqp_flags_t(flags)
        return raw
    }
}
