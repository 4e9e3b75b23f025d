import CMsgPack
import PyAcqCore

/// msgpack through msgpack-c with pyacq's profile (PROTOCOL §3.2): str vs bin, minimal ints,
/// every float as float64, str map keys only.
enum MsgPack {
    static let maxDepth = 256

    // MARK: encoding

    private final class Sink {
        var bytes: [UInt8] = []
    }

    static func encode(_ value: Value) throws(PyAcqError) -> [UInt8] {
        let sink = Sink()
        sink.bytes.reserveCapacity(64)
        var packer = msgpack_packer()
        let context = Unmanaged.passUnretained(sink).toOpaque()
        msgpack_packer_init(&packer, context) { data, buf, len in
            guard let data, let buf else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(data).takeUnretainedValue()
            buf.withMemoryRebound(to: UInt8.self, capacity: len) { sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: len)) }
            return 0
        }
        try pack(WireTypes.toWire(value, textOnly: false), &packer, depth: 0)
        return withExtendedLifetime(sink) { sink.bytes }
    }

    private static func pack(_ value: Value, _ pk: inout msgpack_packer, depth: Int) throws(PyAcqError) {
        guard depth < maxDepth else { throw PyAcqError(.invalidArgument, "value nested deeper than \(maxDepth) levels") }
        switch value {
        case .null: msgpack_pack_nil(&pk)
        case .bool(let b): _ = b ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk)
        case .int(let i): msgpack_pack_int64(&pk, i)
        case .uint(let u): msgpack_pack_uint64(&pk, u)
        case .double(let d): msgpack_pack_double(&pk, d)
        case .string(let s): packString(s, &pk)
        case .bytes(let b):
            msgpack_pack_bin(&pk, b.count)
            b.withUnsafeBytes { _ = msgpack_pack_bin_body(&pk, $0.baseAddress, $0.count) }
        case .array(let items):
            msgpack_pack_array(&pk, items.count)
            for item in items { try pack(item, &pk, depth: depth + 1) }
        case .map(let map):
            msgpack_pack_map(&pk, map.count)
            for (k, v) in map {
                packString(k, &pk)
                try pack(v, &pk, depth: depth + 1)
            }
        case .ndarray, .proxy, .datetime, .date:
            throw PyAcqError(.internalError, "special value reached the msgpack packer unconverted")
        }
    }

    private static func packString(_ s: String, _ pk: inout msgpack_packer) {
        var s = s
        s.withUTF8 { utf8 in
            msgpack_pack_str(&pk, utf8.count)
            _ = msgpack_pack_str_body(&pk, utf8.baseAddress, utf8.count)
        }
    }

    // MARK: decoding

    static func decode(_ bytes: UnsafeRawBufferPointer) throws(PyAcqError) -> Value {
        // msgpack-c allocates containers from their declared sizes before reading them: check
        // first that every declared size fits in the bytes that are really there.
        var checker = StructureCheck(bytes: bytes)
        try checker.checkDocument()
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self) else {
            throw PyAcqError(.malformed, "empty msgpack frame")
        }
        var unpacked = msgpack_unpacked()
        msgpack_unpacked_init(&unpacked)
        defer { msgpack_unpacked_destroy(&unpacked) }
        var offset = 0
        let rc = msgpack_unpack_next(&unpacked, base, bytes.count, &offset)
        guard rc == MSGPACK_UNPACK_SUCCESS, offset == bytes.count else {
            throw PyAcqError(.malformed, "invalid msgpack frame (\(bytes.count) bytes)")
        }
        return try WireTypes.fromWire(try value(of: unpacked.data))
    }

    private static func value(of object: msgpack_object) throws(PyAcqError) -> Value {
        switch object.type {
        case MSGPACK_OBJECT_NIL: return .null
        case MSGPACK_OBJECT_BOOLEAN: return .bool(object.via.boolean)
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            let u = object.via.u64
            return u <= UInt64(Int64.max) ? .int(Int64(u)) : .uint(u)
        case MSGPACK_OBJECT_NEGATIVE_INTEGER: return .int(object.via.i64)
        case MSGPACK_OBJECT_FLOAT32, MSGPACK_OBJECT_FLOAT64: return .double(object.via.f64)
        case MSGPACK_OBJECT_STR: return .string(try text(object.via.str))
        case MSGPACK_OBJECT_BIN:
            let bin = object.via.bin
            guard bin.size > 0, let p = bin.ptr else { return .bytes([]) }
            return .bytes(Array(UnsafeRawBufferPointer(start: p, count: Int(bin.size))))
        case MSGPACK_OBJECT_ARRAY:
            let array = object.via.array
            var items: [Value] = []
            items.reserveCapacity(Int(array.size))
            for i in 0..<Int(array.size) { items.append(try value(of: array.ptr[i])) }
            return .array(items)
        case MSGPACK_OBJECT_MAP:
            let map = object.via.map
            var out = ValueMap()
            for i in 0..<Int(map.size) {
                let kv = map.ptr[i]
                let key: String
                switch kv.key.type {
                case MSGPACK_OBJECT_STR: key = try text(kv.key.via.str)
                case MSGPACK_OBJECT_BIN:
                    key = String(decoding: UnsafeRawBufferPointer(start: kv.key.via.bin.ptr, count: Int(kv.key.via.bin.size)), as: UTF8.self)
                default: throw PyAcqError(.malformed, "msgpack map keys must be str (pyacq's strict_map_key)")
                }
                out[key] = try value(of: kv.val)
            }
            return .map(out)
        default:
            throw PyAcqError(.malformed, "msgpack ext types are not used by pyacq")
        }
    }

    private static func text(_ str: msgpack_object_str) throws(PyAcqError) -> String {
        guard str.size > 0, let p = str.ptr else { return "" }
        let raw = UnsafeRawBufferPointer(start: p, count: Int(str.size))
        guard let s = String(validating: raw, as: UTF8.self) else { throw PyAcqError(.malformed, "msgpack str is not valid UTF-8") }
        return s
    }

    /// Walks the msgpack structure without building anything.
    struct StructureCheck {
        let bytes: UnsafeRawBufferPointer
        var pos = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func checkDocument() throws(PyAcqError) {
            guard !bytes.isEmpty else { throw PyAcqError(.malformed, "empty msgpack frame") }
            try checkValue(depth: 0)
            guard pos == bytes.count else { throw PyAcqError(.malformed, "msgpack frame has \(bytes.count - pos) trailing bytes") }
        }

        mutating func take(_ n: Int) throws(PyAcqError) -> Int {
            guard n >= 0, n <= bytes.count - pos else { throw PyAcqError(.malformed, "msgpack frame is truncated or declares a size larger than the frame") }
            defer { pos += n }
            return pos
        }

        mutating func uint(_ width: Int) throws(PyAcqError) -> Int {
            let at = try take(width)
            var v = 0
            for i in 0..<width { v = v << 8 | Int(bytes[at + i]) }
            return v
        }

        mutating func checkValue(depth: Int) throws(PyAcqError) {
            guard depth < MsgPack.maxDepth else { throw PyAcqError(.malformed, "msgpack nested deeper than \(MsgPack.maxDepth)") }
            let tag = Int(bytes[try take(1)])
            var items = 0
            switch tag {
            case 0x00...0x7f, 0xe0...0xff, 0xc0, 0xc2, 0xc3: return
            case 0x80...0x8f: items = (tag & 0x0f) * 2
            case 0x90...0x9f: items = tag & 0x0f
            case 0xa0...0xbf: _ = try take(tag & 0x1f); return
            case 0xc4, 0xd9: _ = try take(try uint(1)); return
            case 0xc5, 0xda: _ = try take(try uint(2)); return
            case 0xc6, 0xdb: _ = try take(try uint(4)); return
            case 0xca: _ = try take(4); return
            case 0xcb: _ = try take(8); return
            case 0xcc, 0xd0: _ = try take(1); return
            case 0xcd, 0xd1: _ = try take(2); return
            case 0xce, 0xd2: _ = try take(4); return
            case 0xcf, 0xd3: _ = try take(8); return
            case 0xdc: items = try uint(2)
            case 0xdd: items = try uint(4)
            case 0xde: items = try uint(2) * 2
            case 0xdf: items = try uint(4) * 2
            default: throw PyAcqError(.malformed, "msgpack type byte 0x\(String(tag, radix: 16)) is not used by pyacq")
            }
            // Each element takes at least one byte.
            guard items <= bytes.count - pos else { throw PyAcqError(.malformed, "msgpack container declares \(items) elements but the frame is shorter") }
            for _ in 0..<items { try checkValue(depth: depth + 1) }
        }
    }
}
