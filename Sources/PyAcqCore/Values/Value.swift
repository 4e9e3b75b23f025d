/// The one value model shared by stream params, both RPC codecs, remote-object dispatch and the
/// C ABI's JSON arguments. Python's types map onto it one to one (see PROTOCOL §3).
public indirect enum Value: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    /// Only for integers above Int64.max (msgpack uint64); smaller ones are `.int`.
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case array([Value])
    case map(ValueMap)
    case ndarray(NDArray)
    case proxy(ProxyReference)
    /// ISO 8601 text as Python's `isoformat()` writes it.
    case datetime(String)
    case date(String)

    public static func int(_ v: Int) -> Value { .int(Int64(v)) }

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [Value]? { if case .array(let a) = self { return a } else { return nil } }
    public var mapValue: ValueMap? { if case .map(let m) = self { return m } else { return nil } }

    /// Integral values (including doubles with no fractional part, which JSON producers emit).
    public var intValue: Int? {
        switch self {
        case .int(let i): return Int(i)
        case .uint(let u): return u <= UInt64(Int.max) ? Int(u) : nil
        case .double(let d): return d.rounded() == d && abs(d) < 9.0e18 ? Int(d) : nil
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .double(let d): return d
        default: return nil
        }
    }

    /// A short name of the value's kind for error messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int, .uint: return "int"
        case .double: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .array: return "list"
        case .map: return "dict"
        case .ndarray: return "ndarray"
        case .proxy: return "proxy"
        case .datetime: return "datetime"
        case .date: return "date"
        }
    }

    /// Equality as Python sees it for params: 1 == 1.0, and a tuple equals a list.
    public func looselyEquals(_ other: Value) -> Bool {
        if let a = doubleValue, let b = other.doubleValue { return a == b }
        switch (self, other) {
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.looselyEquals($1) }
        case (.map(let a), .map(let b)):
            return a.count == b.count && a.allSatisfy { k, v in b[k].map { v.looselyEquals($0) } ?? false }
        default:
            return self == other
        }
    }
}

/// Python's str-keyed dict: insertion-ordered, as the wire preserves key order.
public struct ValueMap: Equatable, Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var entries: [(key: String, value: Value)] = []

    public init() {}
    public init(dictionaryLiteral elements: (String, Value)...) {
        for (k, v) in elements { self[k] = v }
    }
    public init(_ pairs: [(String, Value)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    public subscript(key: String) -> Value? {
        get { entries.first(where: { $0.key == key })?.value }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let v = newValue { entries[i].value = v } else { entries.remove(at: i) }
            } else if let v = newValue {
                entries.append((key, v))
            }
        }
    }

    public func contains(_ key: String) -> Bool { entries.contains { $0.key == key } }

    public func makeIterator() -> IndexingIterator<[(key: String, value: Value)]> { entries.makeIterator() }

    public static func == (a: ValueMap, b: ValueMap) -> Bool {
        a.entries.count == b.entries.count
            && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

/// A proxy to an object owned by some RPC server (PROTOCOL §3.5). Plain data: the RPC layer
/// turns it into a callable object.
public struct ProxyReference: Equatable, Sendable {
    public var rpcAddress: String
    public var objectId: Int64
    public var referenceId: Int64
    public var typeString: String
    public var attributes: [String]

    public init(rpcAddress: String, objectId: Int64, referenceId: Int64, typeString: String = "",
                attributes: [String] = []) {
        self.rpcAddress = rpcAddress
        self.objectId = objectId
        self.referenceId = referenceId
        self.typeString = typeString
        self.attributes = attributes
    }
}
