/// Frame 0 of a plaindata chunk (PROTOCOL §9): big-endian u64 ndim, index, offset, shape, then
/// i64 strides. The header carries no dtype: the stream params give it.
public struct PlainDataHeader: Equatable, Sendable {
    public var index: Int
    public var offset: Int
    public var shape: [Int]
    public var strides: [Int]

    public static let maxDimensions = 32

    public init(index: Int, offset: Int, shape: [Int], strides: [Int]) {
        self.index = index
        self.offset = offset
        self.shape = shape
        self.strides = strides
    }

    public var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8 * (3 + 2 * shape.count))
        func put(_ v: UInt64) { withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) } }
        put(UInt64(shape.count))
        put(UInt64(index))
        put(UInt64(offset))
        for n in shape { put(UInt64(n)) }
        for s in strides { put(UInt64(bitPattern: Int64(s))) }
        return out
    }

    public init(decoding frame: UnsafeRawBufferPointer) throws(PyAcqError) {
        func word(_ i: Int) -> UInt64 { UInt64(bigEndian: frame.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
        guard frame.count >= 24, frame.count % 8 == 0 else {
            throw PyAcqError(.malformed, "plaindata header of \(frame.count) bytes; expected 8 × (3 + 2·ndim)")
        }
        let ndim = word(0)
        guard ndim <= UInt64(Self.maxDimensions), frame.count == 8 * (3 + 2 * Int(ndim)) else {
            throw PyAcqError(.malformed, "plaindata header says ndim \(ndim) but has \(frame.count) bytes")
        }
        let n = Int(ndim)
        let limit = UInt64(1) << 62
        guard word(1) < limit else { throw PyAcqError(.malformed, "plaindata header index \(word(1)) is out of range") }
        guard word(2) < limit else { throw PyAcqError(.malformed, "plaindata header offset \(word(2)) is out of range") }
        index = Int(word(1))
        offset = Int(word(2))
        shape = []
        for i in 0..<n {
            guard word(3 + i) < (1 << 48) else { throw PyAcqError(.malformed, "plaindata header dimension \(word(3 + i)) is out of range") }
            shape.append(Int(word(3 + i)))
        }
        strides = (0..<n).map { Int(Int64(bitPattern: word(3 + n + $0))) }
    }
}
