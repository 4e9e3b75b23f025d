/// A numpy dtype as it travels in stream params and ndarray encodings (PROTOCOL §13): parsed
/// from any of numpy's string forms or a list of fields, printed in numpy's canonical `str()`
/// form, compared after normalisation (`<f4` == `float32` == `=f4` on a little-endian host).
public struct DType: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Character, Sendable {
        case bool = "b", int = "i", uint = "u", float = "f", complex = "c"
        case bytes = "S", unicode = "U", void = "V", datetime = "M", timedelta = "m"
    }

    public enum ByteOrder: Sendable { case little, big, notApplicable }

    public struct Field: Hashable, Sendable {
        public let name: String
        public let dtype: DType
        /// Sub-array shape, empty for a plain field.
        public let shape: [Int]
        public let offset: Int
    }

    public let kind: Kind
    public let byteOrder: ByteOrder
    public let itemsize: Int
    /// Unit of datetime64/timedelta64 (`ms`, `ns`…), empty for generic.
    public let unit: String
    /// Non-empty for structured dtypes (kind `.void`).
    public let fields: [Field]

    static let nativeOrder: ByteOrder = (1.littleEndian == 1) ? .little : .big

    public init(kind: Kind, itemsize: Int, byteOrder: ByteOrder? = nil, unit: String = "") {
        self.kind = kind
        self.itemsize = itemsize
        self.unit = unit
        self.fields = []
        let orderless = itemsize <= 1 && kind != .unicode || kind == .bytes || kind == .void || kind == .bool
        self.byteOrder = orderless ? .notApplicable : (byteOrder ?? DType.nativeOrder)
    }

    public init(fields: [(name: String, dtype: DType, shape: [Int])]) {
        var offset = 0
        var built: [Field] = []
        for f in fields {
            built.append(Field(name: f.name, dtype: f.dtype, shape: f.shape, offset: offset))
            offset += f.dtype.itemsize * f.shape.reduce(1, *)
        }
        self.kind = .void
        self.itemsize = offset
        self.byteOrder = .notApplicable
        self.unit = ""
        self.fields = built
    }

    public static let float32 = DType(kind: .float, itemsize: 4)
    public static let float64 = DType(kind: .float, itemsize: 8)
    public static let int16 = DType(kind: .int, itemsize: 2)
    public static let int32 = DType(kind: .int, itemsize: 4)
    public static let int64 = DType(kind: .int, itemsize: 8)
    public static let uint8 = DType(kind: .uint, itemsize: 1)

    public var isStructured: Bool { !fields.isEmpty }
    public var isNativeOrder: Bool { byteOrder != (DType.nativeOrder == .little ? .big : .little) }
    /// Float and complex kinds fill skipped samples with NaN (PROTOCOL §11.1).
    public var isFloatingKind: Bool { kind == .float || kind == .complex }

    // MARK: canonical text

    /// numpy's `str(dtype)`: `float32`, `>f4`, `|S4`, `<U3`, `datetime64[ms]`, or a Python
    /// literal list of field tuples for structured dtypes.
    public var description: String {
        if isStructured {
            let items = fields.map { f -> String in
                let shape = f.shape.isEmpty ? "" : ", " + DType.pythonTuple(f.shape)
                // Nested records print as a list, other types as a quoted type string.
                let type = f.dtype.isStructured ? f.dtype.description : "'\(f.dtype.fieldTypeString)'"
                return "(\(DType.pythonQuote(f.name)), \(type)\(shape))"
            }
            return "[" + items.joined(separator: ", ") + "]"
        }
        if isNativeOrder, let name = numpyName { return name }
        return typeString
    }

    /// The numpy array-protocol type string: `<f4`, `|u1`, `|S4`, `<M8[ms]`.
    public var typeString: String {
        let order: String
        switch byteOrder {
        case .little: order = "<"
        case .big: order = ">"
        case .notApplicable: order = "|"
        }
        let count = kind == .unicode ? itemsize / 4 : itemsize
        let unitPart = unit.isEmpty ? "" : "[\(unit)]"
        return "\(order)\(kind.rawValue)\(count)\(unitPart)"
    }

    /// How numpy writes a field's type inside a structured dtype's `str()`.
    var fieldTypeString: String {
        if isStructured { return description }
        switch kind {
        case .bool: return "?"
        case .bytes, .void: return "\(kind.rawValue)\(itemsize)"
        default:
            return byteOrder == .notApplicable ? "\(kind.rawValue)\(itemsize)" : typeString
        }
    }

    var numpyName: String? {
        switch kind {
        case .bool: return "bool"
        case .int: return "int\(itemsize * 8)"
        case .uint: return "uint\(itemsize * 8)"
        case .float: return "float\(itemsize * 8)"
        case .complex: return "complex\(itemsize * 8)"
        case .datetime: return unit.isEmpty ? "datetime64" : "datetime64[\(unit)]"
        case .timedelta: return unit.isEmpty ? "timedelta64" : "timedelta64[\(unit)]"
        case .bytes, .unicode, .void: return nil
        }
    }

    /// The form pyacq puts in stream params: a name string, or `[[name, type], …]`.
    public var paramValue: Value {
        guard isStructured else { return .string(description) }
        return .array(fields.map { f in
            var item: [Value] = [.string(f.name), f.dtype.paramValue]
            if !f.shape.isEmpty { item.append(.array(f.shape.map { .int($0) })) }
            return .array(item)
        })
    }

    static func pythonQuote(_ s: String) -> String {
        s.contains("'") && !s.contains("\"") ? "\"\(s)\"" : "'\(s)'"
    }

    static func pythonTuple(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}

// MARK: parsing

extension DType {
    /// Parses a params `dtype` value: a string, or a list of `[name, type(, shape)]` fields.
    public init(_ value: Value) throws(PyAcqError) {
        switch value {
        case .string(let s): try self.init(parsing: s)
        case .array(let items): self = try DType.structured(from: items)
        default: throw PyAcqError(.dtype, "dtype must be a string or a list of [name, type] fields, got \(value.kindName)")
        }
    }

    public init(parsing text: String) throws(PyAcqError) {
        let s = text.trimmingWhitespace()
        if s.hasPrefix("[") {
            var reader = LiteralReader(Array(s.utf8))
            do {
                let literal = try reader.readValue()
                reader.skipSpaces()
                guard reader.atEnd, case .array(let items) = literal else { throw PyAcqError(.dtype, "") }
                self = try DType.structured(from: items)
            } catch {
                throw PyAcqError(.dtype, "unknown dtype '\(text)': not a list of (name, type) fields")
            }
            return
        }
        guard let parsed = DType.parseSimple(s) else {
            throw PyAcqError(.dtype, "unknown dtype '\(text)'")
        }
        self = parsed
    }

    static func structured(from items: [Value]) throws(PyAcqError) -> DType {
        guard !items.isEmpty else { throw PyAcqError(.dtype, "a structured dtype needs at least one field") }
        var fields: [(name: String, dtype: DType, shape: [Int])] = []
        for item in items {
            guard case .array(let parts) = item, parts.count == 2 || parts.count == 3,
                  case .string(let name) = parts[0] else {
                throw PyAcqError(.dtype, "a structured dtype field must be [name, type] or [name, type, shape]")
            }
            let fieldType = try DType(parts[1])
            var shape: [Int] = []
            if parts.count == 3 {
                switch parts[2] {
                case .array(let dims):
                    for d in dims {
                        guard let n = d.intValue, n >= 0 else { throw PyAcqError(.dtype, "bad sub-array shape in field '\(name)'") }
                        shape.append(n)
                    }
                default:
                    guard let n = parts[2].intValue, n >= 0 else { throw PyAcqError(.dtype, "bad sub-array shape in field '\(name)'") }
                    shape = [n]
                }
            }
            if fields.contains(where: { $0.name == name }) { throw PyAcqError(.dtype, "duplicate field name '\(name)'") }
            fields.append((name, fieldType, shape))
        }
        // Field sizes come from outside: check the sum before DType(fields:) adds them up.
        var total = 0
        for f in fields {
            total += try Extent.byteCount(shape: f.shape, itemsize: f.dtype.itemsize, "field '\(f.name)' of the dtype", code: .dtype)
            guard total <= Extent.maxBytes else { throw PyAcqError(.dtype, "structured dtype is larger than \(Extent.maxBytes) bytes") }
        }
        return DType(fields: fields)
    }

    static let namedTypes: [String: (Kind, Int)] = [
        "bool": (.bool, 1), "bool_": (.bool, 1), "bool8": (.bool, 1), "?": (.bool, 1),
        "int8": (.int, 1), "byte": (.int, 1), "b": (.int, 1),
        "int16": (.int, 2), "short": (.int, 2), "h": (.int, 2),
        "int32": (.int, 4), "intc": (.int, 4), "i": (.int, 4),
        "int64": (.int, 8), "int": (.int, 8), "long": (.int, 8), "longlong": (.int, 8), "intp": (.int, 8),
        "l": (.int, 8), "q": (.int, 8), "p": (.int, 8),
        "uint8": (.uint, 1), "ubyte": (.uint, 1), "B": (.uint, 1),
        "uint16": (.uint, 2), "ushort": (.uint, 2), "H": (.uint, 2),
        "uint32": (.uint, 4), "uintc": (.uint, 4), "I": (.uint, 4),
        "uint64": (.uint, 8), "uint": (.uint, 8), "ulong": (.uint, 8), "ulonglong": (.uint, 8), "uintp": (.uint, 8),
        "L": (.uint, 8), "Q": (.uint, 8), "P": (.uint, 8),
        "float16": (.float, 2), "half": (.float, 2), "e": (.float, 2),
        "float32": (.float, 4), "single": (.float, 4), "f": (.float, 4),
        "float64": (.float, 8), "float": (.float, 8), "double": (.float, 8), "d": (.float, 8),
        "complex64": (.complex, 8), "csingle": (.complex, 8), "F": (.complex, 8),
        "complex128": (.complex, 16), "complex": (.complex, 16), "cdouble": (.complex, 16), "D": (.complex, 16),
    ]

    static let timeUnits: Set<String> = ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "μs", "ns", "ps", "fs", "as"]

    static func parseSimple(_ s: String) -> DType? {
        if let (kind, size) = namedTypes[s] { return DType(kind: kind, itemsize: size) }
        for (prefix, kind) in [("datetime64", Kind.datetime), ("timedelta64", Kind.timedelta)] where s.hasPrefix(prefix) {
            guard let unit = parseUnit(String(s.dropFirst(prefix.count))) else { return nil }
            return DType(kind: kind, itemsize: 8, unit: unit)
        }
        var chars = Substring(s)
        var order: ByteOrder? = nil
        if let first = chars.first, "<>|=".contains(first) {
            switch first {
            case "<": order = .little
            case ">": order = .big
            default: order = nil
            }
            chars = chars.dropFirst()
        }
        guard let kindChar = chars.first else { return nil }
        chars = chars.dropFirst()
        let digits = chars.prefix(while: { $0.isASCII && $0.isNumber })
        let rest = String(chars.dropFirst(digits.count))
        if digits.isEmpty {
            // Single-character codes such as '<f' or '?' mean the default size of that code.
            guard rest.isEmpty, let (kind, size) = namedTypes[String(kindChar)] else { return nil }
            return DType(kind: kind, itemsize: size, byteOrder: order)
        }
        guard let count = Int(digits), count >= 0, count < (1 << 31) else { return nil }
        guard let kind = Kind(rawValue: kindChar) else { return nil }
        switch kind {
        case .datetime, .timedelta:
            guard count == 8, let unit = parseUnit(rest) else { return nil }
            return DType(kind: kind, itemsize: 8, byteOrder: order, unit: unit)
        case .bool:
            guard count == 1, rest.isEmpty else { return nil }
        case .int, .uint:
            guard [1, 2, 4, 8].contains(count), rest.isEmpty else { return nil }
        case .float:
            guard [2, 4, 8].contains(count), rest.isEmpty else { return nil }
        case .complex:
            guard [8, 16].contains(count), rest.isEmpty else { return nil }
        case .bytes, .void:
            guard rest.isEmpty else { return nil }
        case .unicode:
            guard rest.isEmpty else { return nil }
            return DType(kind: .unicode, itemsize: count * 4, byteOrder: order)
        }
        return DType(kind: kind, itemsize: count, byteOrder: order)
    }

    static func parseUnit(_ s: String) -> String? {
        if s.isEmpty { return "" }
        guard s.hasPrefix("["), s.hasSuffix("]") else { return nil }
        let unit = String(s.dropFirst().dropLast())
        return timeUnits.contains(unit) ? unit : nil
    }
}

/// Reads the subset of Python literal syntax numpy uses to print structured dtypes:
/// lists, tuples, quoted strings and integers.
struct LiteralReader {
    let bytes: [UInt8]
    var pos = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    struct Failure: Error {}

    var atEnd: Bool { pos >= bytes.count }

    mutating func skipSpaces() { while pos < bytes.count, bytes[pos] == 0x20 || bytes[pos] == 0x09 { pos += 1 } }

    mutating func readValue() throws(Failure) -> Value {
        skipSpaces()
        guard pos < bytes.count else { throw Failure() }
        let c = bytes[pos]
        switch c {
        case UInt8(ascii: "["), UInt8(ascii: "("):
            let close = c == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: ")")
            pos += 1
            var items: [Value] = []
            while true {
                skipSpaces()
                guard pos < bytes.count else { throw Failure() }
                if bytes[pos] == close { pos += 1; return .array(items) }
                items.append(try readValue())
                skipSpaces()
                guard pos < bytes.count else { throw Failure() }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1 } else if bytes[pos] != close { throw Failure() }
            }
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            pos += 1
            let start = pos
            while pos < bytes.count, bytes[pos] != c { pos += 1 }
            guard pos < bytes.count else { throw Failure() }
            let s = String(decoding: bytes[start..<pos], as: UTF8.self)
            pos += 1
            return .string(s)
        default:
            let start = pos
            while pos < bytes.count, (bytes[pos] >= 0x30 && bytes[pos] <= 0x39) || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos > start, let n = Int64(String(decoding: bytes[start..<pos], as: UTF8.self)) else { throw Failure() }
            return .int(n)
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        // The common case (no surrounding blanks) without Unicode property lookups.
        if let first = utf8.first, let last = utf8.last, first > 0x20, last > 0x20, first < 0x80, last < 0x80 { return self }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
