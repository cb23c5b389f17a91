/// A JSON object: members in the order they were written or inserted, keys unique.
///
/// Order is kept so serialization is deterministic and reproduces what was parsed; equality
/// ignores it (two objects are equal when they have the same keys with equal values), as JSON's
/// own semantics do. Lookups are linear for small objects and hashed once an object grows.
public struct JSONObject: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public typealias Element = (key: String, value: JSONValue)

    private var orderedKeys: [String] = []
    private var values: [JSONValue] = []
    /// Key → position, built only for objects larger than `hashThreshold`.
    private var positions: [String: Int]?

    private static let hashThreshold = 12

    public init() {}

    /// Members in the given order; a later duplicate key replaces the earlier value in place.
    public init<S: Sequence>(_ members: S) where S.Element == (String, JSONValue) {
        for (key, value) in members { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    /// A dictionary's members, keys in ascending order (a dictionary has no order of its own).
    public init(sortingKeysOf dictionary: [String: JSONValue]) {
        for key in dictionary.keys.sorted() { append(key, dictionary[key]!) }
    }

    public var count: Int { orderedKeys.count }
    public var isEmpty: Bool { orderedKeys.isEmpty }
    /// Keys in order.
    public var keys: [String] { orderedKeys }

    /// The member's value; setting nil removes the member, setting a new key appends it.
    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { values[$0] } }
        set {
            if let index = position(of: key) {
                if let newValue {
                    values[index] = newValue
                } else {
                    removeMember(at: index)
                }
            } else if let newValue {
                append(key, newValue)
            }
        }
    }

    /// Adds a member whose key is not present yet. Returns false (and changes nothing) when the
    /// key is already there — the parser uses this to refuse duplicate keys.
    @discardableResult
    public mutating func insertNew(_ key: String, _ value: JSONValue) -> Bool {
        guard position(of: key) == nil else { return false }
        append(key, value)
        return true
    }

    public struct Iterator: IteratorProtocol {
        private let keys: [String]
        private let values: [JSONValue]
        private var index = 0

        init(keys: [String], values: [JSONValue]) {
            self.keys = keys
            self.values = values
        }

        public mutating func next() -> Element? {
            guard index < keys.count else { return nil }
            defer { index += 1 }
            return (keys[index], values[index])
        }
    }

    public func makeIterator() -> Iterator { Iterator(keys: orderedKeys, values: values) }

    public var description: String { JSONValue.object(self).serialized }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for index in lhs.orderedKeys.indices {
            guard let other = rhs[lhs.orderedKeys[index]], other == lhs.values[index] else { return false }
        }
        return true
    }

    // MARK: - Storage

    private func position(of key: String) -> Int? {
        if let positions { return positions[key] }
        return orderedKeys.firstIndex(of: key)
    }

    private mutating func append(_ key: String, _ value: JSONValue) {
        orderedKeys.append(key)
        values.append(value)
        if positions != nil {
            positions![key] = orderedKeys.count - 1
        } else if orderedKeys.count > Self.hashThreshold {
            var built: [String: Int] = [:]
            built.reserveCapacity(orderedKeys.count * 2)
            for (index, key) in orderedKeys.enumerated() { built[key] = index }
            positions = built
        }
    }

    private mutating func removeMember(at index: Int) {
        orderedKeys.remove(at: index)
        values.remove(at: index)
        if positions != nil {
            var rebuilt: [String: Int] = [:]
            for (index, key) in orderedKeys.enumerated() { rebuilt[key] = index }
            positions = rebuilt
        }
    }
}
