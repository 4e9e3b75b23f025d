import CZeroMQ
import PyAcqCore
#if canImport(Glibc)
import Glibc
#endif

/// Helpers shared by the core tests: reading the spec vectors, hex, building arrays with
/// arbitrary strides, raw ZeroMQ peers.
public enum Vectors {
    public static let directory: String = {
        // Tests/PyAcqCoreTests/TestSupport.swift -> repository root -> ../shared/spec/vectors
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/../shared/spec/vectors"
    }()

    public static func load(_ name: String) throws -> ValueMap {
        let text = try readFile(directory + "/" + name)
        guard case .map(let map) = try JSON.parse(text) else { throw TestFailure("\(name) is not a JSON object") }
        return map
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

public func readBytes(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else { throw TestFailure("cannot open \(path)") }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
    }
    return bytes
}

public func readFile(_ path: String) throws -> String { String(decoding: try readBytes(path), as: UTF8.self) }

public func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef")
    var s = ""
    for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
    return s
}

public func unhex(_ s: String) -> [UInt8] {
    let chars = Array(s.utf8)
    func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
    return stride(from: 0, to: chars.count, by: 2).map { nibble(chars[$0]) << 4 | nibble(chars[$0 + 1]) }
}

extension Value {
    public subscript(key: String) -> Value { mapValue?[key] ?? .null }
    public var ints: [Int] { arrayValue?.compactMap(\.intValue) ?? [] }
}

/// Flattens `depth` levels of nested value lists in C order.
public func flatten(_ v: Value, depth: Int) -> [Value] {
    depth == 0 ? [v] : (v.arrayValue ?? []).flatMap { flatten($0, depth: depth - 1) }
}

/// Encodes one element given as a JSON value (numbers, or a record as a list) into dtype bytes.
public func elementBytes(_ v: Value, _ dtype: DType) throws -> [UInt8] {
    if dtype.isStructured {
        guard case .array(let parts) = v, parts.count == dtype.fields.count else { throw TestFailure("bad record \(v)") }
        return try zip(parts, dtype.fields).flatMap { try elementBytes($0, $1.dtype) }
    }
    if dtype.kind == .bytes {
        var b = Array((v.stringValue ?? "").utf8)
        b += [UInt8](repeating: 0, count: dtype.itemsize - b.count)
        return b
    }
    return try dtype.elementBytes(of: v)
}

/// An array with the given values laid out in memory with exactly `strides` (any sign).
public func stridedArray(dtype: DType, shape: [Int], strides: [Int], values: [Value]) throws -> ArrayView {
    let low = zip(shape, strides).reduce(0) { $0 + ($1.1 < 0 ? ($1.0 - 1) * $1.1 : 0) }
    let high = zip(shape, strides).reduce(dtype.itemsize) { $0 + ($1.1 > 0 ? ($1.0 - 1) * $1.1 : 0) }
    let storage = AlignedBuffer(count: high - low, zeroed: true)
    let origin = storage.pointer - low
    var counter = [Int](repeating: 0, count: shape.count)
    for value in values {
        let offset = zip(counter, strides).reduce(0) { $0 + $1.0 * $1.1 }
        let bytes = try elementBytes(value, dtype)
        (origin + offset).copyMemory(from: bytes, byteCount: bytes.count)
        var axis = shape.count - 1
        while axis >= 0 {
            counter[axis] += 1
            if counter[axis] < shape[axis] { break }
            counter[axis] = 0
            axis -= 1
        }
    }
    return ArrayView(base: origin, dtype: dtype, shape: shape, strides: strides, owner: storage)
}

/// The elements of a view as C-order element byte strings.
public func elements(_ view: ArrayView) -> [[UInt8]] {
    let copy = view.toNDArray()
    let n = view.itemCount
    return (0..<n).map { Array(copy.bytes[($0 * view.dtype.itemsize)..<(($0 + 1) * view.dtype.itemsize)]) }
}

extension ArrayView { public var itemCount: Int { shape.reduce(1, *) } }

public func floats(_ view: ArrayView) -> [Float] { view.toNDArray().values(as: Float.self) }

/// A raw ZeroMQ socket of the given type on a unique inproc endpoint.
public func rawSocket(_ type: Int32, bindTo endpoint: String? = nil) throws -> ZMQSocket {
    let s = try ZMQSocket(type: type)
    try s.setOption(ZMQ_LINGER, 0)
    if let endpoint { try s.bind(endpoint) }
    return s
}

public func uniqueInproc(_ label: String) -> String {
    "inproc://test_\(label)_\(UInt64.random(in: 0...UInt64.max))"
}

/// A raw XPUB standing in for a foreign producer, that waits for its subscriber (no sleeps).
public struct RawPublisher {
    public let socket: ZMQSocket
    public let endpoint: String

    public init(_ label: String) throws {
        endpoint = uniqueInproc(label)
        socket = try rawSocket(ZMQ_XPUB, bindTo: endpoint)
    }

    public func waitForSubscriber() throws {
        guard try socket.poll(timeoutMs: 5000), let notice = try socket.receiveMessage(), notice[0].bytes.first == 1 else {
            throw TestFailure("no subscriber joined")
        }
    }

    /// Params an InputStream can connect with.
    public func params(dtype: Value, shape: [Int], extra: ValueMap = [:]) -> ValueMap {
        var p = StreamParams.defaults
        p["protocol"] = .string("inproc")
        p["interface"] = .string(String(endpoint.dropFirst("inproc://".count)))
        p["dtype"] = dtype
        p["shape"] = .array(shape.map { .int($0) })
        for (k, v) in extra { p[k] = v }
        return p
    }
}
