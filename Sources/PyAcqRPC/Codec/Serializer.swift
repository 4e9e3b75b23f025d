import PyAcqCore

/// The two serializers of frame 3 of a request (PROTOCOL §1.3, §3).
public enum Serializer: String, Sendable {
    case msgpack
    case json

    public func encode(_ value: Value) throws(PyAcqError) -> [UInt8] {
        switch self {
        case .msgpack: return try MsgPack.encode(value)
        case .json:
            // Python's separators; non-ASCII escaped, as pyacq writes it.
            return Array(try WireTypes.toWire(value, textOnly: true).jsonText(style: .python).utf8)
        }
    }

    public func decode(_ bytes: UnsafeRawBufferPointer) throws(PyAcqError) -> Value {
        switch self {
        case .msgpack: return try MsgPack.decode(bytes)
        case .json:
            let plain: Value
            do { plain = try JSON.parse(Array(bytes)) } catch { throw PyAcqError(.malformed, "invalid JSON frame: \(error)") }
            return try WireTypes.fromWire(plain)
        }
    }

    public func decode(_ bytes: [UInt8]) throws(PyAcqError) -> Value {
        try withBytes(of: bytes) { raw throws(PyAcqError) in try decode(raw) }
    }
}
