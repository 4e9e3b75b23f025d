/// The decoders of the two stream message kinds, free of sockets so the fuzzer drives exactly
/// the code a consumer runs on bytes a peer sent.

#if canImport(Glibc)
import Glibc
#endif

/// A plaindata message (PROTOCOL §9–§10): header frame + data frame, possibly blosc-compressed.
public struct PlainDataChunk {
    public let header: PlainDataHeader
    /// The chunk, checked to lie inside the (decompressed) data.
    public let view: ArrayView

    /// `owner` keeps `data` alive (the received frame); a decompressed copy owns itself.
    public static func decode(header frame: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, owner: AnyObject,
                              dtype: DType, compression: String) throws(PyAcqError) -> PlainDataChunk {
        let header = try PlainDataHeader(decoding: frame)
        guard !header.shape.isEmpty else { throw PyAcqError(.malformed, "plaindata chunk has no dimensions") }
        var block = data
        var blockOwner = owner
        if !compression.isEmpty {
            let plain = try Blosc.decompress(block)
            block = plain.bytes
            blockOwner = plain
        }
        let view = try ArrayView(block: block.baseAddress ?? UnsafeRawPointer(bitPattern: 64)!, blockLength: block.count,
                                 offset: header.offset, dtype: dtype, shape: header.shape, strides: header.strides,
                                 owner: blockOwner)
        return PlainDataChunk(header: header, view: view)
    }
}

/// A sharedmem notification (PROTOCOL §11.4): big-endian u64 index after the chunk, u64 rows.
public struct SharedMemNotification: Equatable {
    public let start: Int
    public let stop: Int

    public init(decoding frame: UnsafeRawBufferPointer, ringLength: Int) throws(PyAcqError) {
        guard frame.count == 16 else {
            throw PyAcqError(.malformed, "sharedmem notification must be 16 bytes, got \(frame.count)")
        }
        try self.init(index: UInt64(bigEndian: frame.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                      rows: UInt64(bigEndian: frame.loadUnaligned(fromByteOffset: 8, as: UInt64.self)), ringLength: ringLength)
    }

    /// A chunk boundary (from a message or a wake-up page), checked against the ring.
    public init(index: UInt64, rows: UInt64, ringLength: Int) throws(PyAcqError) {
        guard ringLength > 0, rows <= UInt64(ringLength), index >= rows, index < (1 << 62) else {
            throw PyAcqError(.malformed, "sharedmem notification (index \(index), length \(rows)) is impossible for a ring of \(ringLength)")
        }
        stop = Int(index)
        start = Int(index) - Int(rows)
    }
}

/// Decodes one stream's plaindata messages, remembering the last header: consecutive chunks of
/// one layout (the usual case) differ only in the index word, so their header is not parsed
/// and checked against the data again.
public final class PlainDataDecoder {
    private var header: [UInt8] = []
    private var layout: PlainDataHeader?
    private var dataLength = -1

    public init() {}

    public func decode(header frame: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, owner: AnyObject,
                       dtype: DType, compression: String) throws(PyAcqError) -> (index: Int, view: ArrayView) {
        if let layout, compression.isEmpty, data.count == dataLength, let base = data.baseAddress, sameLayout(frame) {
            let index = UInt64(bigEndian: frame.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            guard index < 1 << 62 else { throw PyAcqError(.malformed, "plaindata header index \(index) is out of range") }
            return (Int(index), ArrayView(base: base + layout.offset, dtype: dtype, shape: layout.shape, strides: layout.strides, owner: owner))
        }
        let chunk = try PlainDataChunk.decode(header: frame, data: data, owner: owner, dtype: dtype, compression: compression)
        if compression.isEmpty && data.count > 0 {
            header = Array(frame)
            layout = chunk.header
            dataLength = data.count
        }
        return (chunk.header.index, chunk.view)
    }

    /// The frame equals the remembered header except for the index word (bytes 8–15).
    private func sameLayout(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard frame.count == header.count, let bytes = frame.baseAddress else { return false }
        return header.withUnsafeBytes { known in
            memcmp(known.baseAddress!, bytes, 8) == 0 && memcmp(known.baseAddress! + 16, bytes + 16, frame.count - 16) == 0
        }
    }
}
