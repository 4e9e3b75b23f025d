import PyAcqCore

/// The special-type layer shared by both serializers (PROTOCOL §3.1, §3.4, §3.5): values msgpack
/// and JSON cannot carry natively travel as maps with the marker key `___type_name___`.
enum WireTypes {
    static let marker = "___type_name___"
    static let proxyOptionKeys: Set<String> = ["sync", "timeout", "return_type", "defer_getattr", "no_proxy_types", "auto_delete"]

    /// Replaces special values by marker maps. `textOnly` (JSON) also turns bytes into marker
    /// maps and ndarray data into base64 text.
    static func toWire(_ value: Value, textOnly: Bool) -> Value {
        switch value {
        case .array(let items):
            return .array(items.map { toWire($0, textOnly: textOnly) })
        case .map(let map):
            return .map(ValueMap(map.entries.map { ($0.key, toWire($0.value, textOnly: textOnly)) }))
        case .bytes(let b) where textOnly:
            return .map([marker: .string("bytes"), "data": .string(Base64.encode(b))])
        case .ndarray(let a):
            let data: Value = textOnly ? .string(Base64.encode(a.bytes)) : .bytes(Array(a.bytes))
            return .map([marker: .string("ndarray"), "data": data, "dtype": .string(a.dtype.description),
                         "shape": .array(a.shape.map { .int($0) })])
        case .proxy(let p):
            return .map([marker: .string("proxy"), "rpc_addr": .string(p.rpcAddress), "obj_id": .int(p.objectId),
                         "ref_id": .int(p.referenceId), "type_str": .string(p.typeString),
                         "attributes": .array(p.attributes.map { .string($0) })])
        case .datetime(let iso):
            return .map([marker: .string("datetime"), "data": .string(iso)])
        case .date(let iso):
            return .map([marker: .string("date"), "data": .string(iso)])
        default:
            return value
        }
    }

    /// Turns marker maps back into special values, bottom-up as pyacq's object hook does.
    static func fromWire(_ value: Value) throws(PyAcqError) -> Value {
        switch value {
        case .array(let items):
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try fromWire(item)) }
            return .array(out)
        case .map(let map):
            var decoded = ValueMap()
            for (k, v) in map { decoded[k] = try fromWire(v) }
            guard let typeName = decoded[marker] else { return .map(decoded) }
            decoded[marker] = nil
            return try special(typeName, decoded)
        default:
            return value
        }
    }

    private static func special(_ typeName: Value, _ fields: ValueMap) throws(PyAcqError) -> Value {
        func field(_ key: String) throws(PyAcqError) -> Value {
            guard let v = fields[key] else { throw PyAcqError(.malformed, "\(typeName) marker map has no '\(key)'") }
            return v
        }
        func text(_ key: String) throws(PyAcqError) -> String {
            guard case .string(let s) = try field(key) else { throw PyAcqError(.malformed, "'\(key)' of a \(typeName) must be a str") }
            return s
        }
        func blob(_ key: String) throws(PyAcqError) -> [UInt8] {
            switch try field(key) {
            case .bytes(let b): return b
            case .string(let s):
                guard let b = Base64.decode(s) else { throw PyAcqError(.malformed, "'\(key)' of a \(typeName) is not valid base64") }
                return b
            default: throw PyAcqError(.malformed, "'\(key)' of a \(typeName) must be bytes or base64 text")
            }
        }
        func integer(_ key: String) throws(PyAcqError) -> Int64 {
            guard case .int(let i) = try field(key) else { throw PyAcqError(.malformed, "'\(key)' of a proxy must be an int") }
            return i
        }
        switch typeName {
        case .string("bytes"):
            return .bytes(try blob("data"))
        case .string("none"):
            return .null
        case .string("datetime"):
            return .datetime(try text("data"))
        case .string("date"):
            return .date(try text("data"))
        case .string("ndarray"):
            let dtype = try DType(parsing: try text("dtype"))
            guard case .array(let dims) = try field("shape") else { throw PyAcqError(.malformed, "ndarray 'shape' must be a list") }
            var shape: [Int] = []
            for d in dims {
                guard let n = d.intValue, n >= 0 else { throw PyAcqError(.malformed, "ndarray 'shape' must hold non-negative ints") }
                shape.append(n)
            }
            let data = try blob("data")
            return .ndarray(try withBytes(of: data) { bytes throws(PyAcqError) in try NDArray(dtype: dtype, shape: shape, bytes: bytes) })
        case .string("proxy"):
            for key in fields.keys where !["rpc_addr", "obj_id", "ref_id", "type_str", "attributes"].contains(key) && !proxyOptionKeys.contains(key) {
                throw PyAcqError(.malformed, "proxy has unknown key '\(key)'")
            }
            var attributes: [String] = []
            if let attrs = fields["attributes"] {
                guard case .array(let items) = attrs else { throw PyAcqError(.malformed, "proxy 'attributes' must be a list of str") }
                for item in items {
                    guard case .string(let s) = item else { throw PyAcqError(.malformed, "proxy 'attributes' must be a list of str") }
                    attributes.append(s)
                }
            }
            let typeString = fields["type_str"]?.stringValue ?? ""
            return .proxy(ProxyReference(rpcAddress: try text("rpc_addr"), objectId: try integer("obj_id"),
                                         referenceId: try integer("ref_id"), typeString: typeString, attributes: attributes))
        default:
            throw PyAcqError(.malformed, "unknown special type \(typeName)")
        }
    }
}

/// Standard base64 with padding, as Python's `base64.b64encode`.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let reverse: [Int16] = {
        var table = [Int16](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int16(i) }
        return table
    }()

    static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var it = bytes.makeIterator()
        while let a = it.next() {
            let b = it.next(), c = it.next()
            let n = UInt32(a) << 16 | UInt32(b ?? 0) << 8 | UInt32(c ?? 0)
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(b == nil ? 61 : alphabet[Int(n >> 6 & 63)])
            out.append(c == nil ? 61 : alphabet[Int(n & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8).filter { $0 != 10 && $0 != 13 }
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 4 * 3)
        var i = 0
        while i < chars.count {
            var n: UInt32 = 0
            var padding = 0
            for j in 0..<4 {
                let c = chars[i + j]
                if c == 61, i + 4 == chars.count, j >= 2 {
                    padding += 1
                    n <<= 6
                    continue
                }
                guard padding == 0 else { return nil }
                let v = reverse[Int(c)]
                guard v >= 0 else { return nil }
                n = n << 6 | UInt32(v)
            }
            out.append(UInt8(n >> 16 & 255))
            if padding < 2 { out.append(UInt8(n >> 8 & 255)) }
            if padding < 1 { out.append(UInt8(n & 255)) }
            i += 4
        }
        return out
    }
}
