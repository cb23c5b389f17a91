/// A result column: its name and the server's type OID.
public struct PostgresColumn: Sendable, Hashable {
    public var name: String
    public var typeOID: UInt32

    public init(name: String, typeOID: UInt32) {
        self.name = name
        self.typeOID = typeOID
    }

    /// A readable type name for common OIDs (`int8`, `timestamptz`, ...), else `oid N`.
    public var typeName: String {
        switch typeOID {
        case 16: "bool"
        case 17: "bytea"
        case 18: "char"
        case 19: "name"
        case 20: "int8"
        case 21: "int2"
        case 23: "int4"
        case 25: "text"
        case 26: "oid"
        case 114: "json"
        case 700: "float4"
        case 701: "float8"
        case 705: "unknown"
        case 1042: "bpchar"
        case 1043: "varchar"
        case 1082: "date"
        case 1083: "time"
        case 1114: "timestamp"
        case 1184: "timestamptz"
        case 1186: "interval"
        case 1700: "numeric"
        case 2950: "uuid"
        case 3802: "jsonb"
        default: "oid \(typeOID)"
        }
    }
}

/// One row of a result, values kept in the server's text format until decoded.
public struct PostgresRow: Sendable {
    /// The result's columns, in order.
    public let columns: [PostgresColumn]
    /// The raw text values; nil is SQL NULL.
    let values: [String?]

    init(columns: [PostgresColumn], values: [String?]) {
        self.columns = columns
        self.values = values
    }

    /// Column names, in order.
    public var columnNames: [String] { columns.map(\.name) }

    /// Decodes column `index` (0-based); NULL throws unless `T` is an `Optional`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at index: Int) throws -> T {
        try checkIndex(index)
        guard let text = values[index] else {
            if let null = T.postgresNullValue { return null }
            throw PostgresError(kind: .decoding, message: "column \(describe(index)) is NULL; \(T.self) cannot hold NULL (decode an Optional)")
        }
        do {
            return try T.decode(postgresText: text)
        } catch {
            throw PostgresError(kind: .decoding, message: "column \(describe(index)) cannot be decoded as \(T.self)")
        }
    }

    /// Decodes the first column named `column`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, column: String) throws -> T {
        try decode(type, at: try index(of: column))
    }

    /// Decodes column `index`, nil for NULL.
    public func decodeOptional<T: PostgresDecodable>(_ type: T.Type = T.self, at index: Int) throws -> T? {
        try checkIndex(index)
        guard values[index] != nil else { return nil }
        return try decode(type, at: index)
    }

    /// Decodes the first column named `column`, nil for NULL.
    public func decodeOptional<T: PostgresDecodable>(_ type: T.Type = T.self, column: String) throws -> T? {
        try decodeOptional(type, at: try index(of: column))
    }

    /// True when column `index` is NULL (false when out of range).
    public func isNull(at index: Int) -> Bool {
        values.indices.contains(index) ? values[index] == nil : false
    }

    /// True when the column named `column` is NULL.
    public func isNull(column: String) throws -> Bool {
        values[try index(of: column)] == nil
    }

    /// The raw text of column `index` (nil for NULL), for logging shapes or custom parsing.
    public func text(at index: Int) throws -> String? {
        try checkIndex(index)
        return values[index]
    }

    /// The position of the first column named `name`.
    public func index(of name: String) throws -> Int {
        guard let index = columns.firstIndex(where: { $0.name == name }) else {
            throw PostgresError.usage("no column named \"\(name)\" in the result")
        }
        return index
    }

    private func checkIndex(_ index: Int) throws {
        guard values.indices.contains(index) else {
            throw PostgresError.usage("column index \(index) is out of range (the result has \(values.count) columns)")
        }
    }

    private func describe(_ index: Int) -> String {
        "\"\(columns[index].name)\" (\(columns[index].typeName))"
    }
}

/// The rows a statement returned (already copied out of libpq), and the rows it affected.
public struct PostgresResult: Sendable, RandomAccessCollection {
    public let columns: [PostgresColumn]
    let rows: [[String?]]
    /// Rows inserted/updated/deleted/selected, as reported in the command tag (0 if none).
    public let affectedRows: Int
    /// The command tag, e.g. `INSERT 0 1`, `UPDATE 3`, `SELECT 2`.
    public let commandTag: String

    init(columns: [PostgresColumn], rows: [[String?]], affectedRows: Int, commandTag: String) {
        self.columns = columns
        self.rows = rows
        self.affectedRows = affectedRows
        self.commandTag = commandTag
    }

    /// Column names, in order.
    public var columnNames: [String] { columns.map(\.name) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { rows.count }

    public subscript(position: Int) -> PostgresRow {
        PostgresRow(columns: columns, values: rows[position])
    }
}
