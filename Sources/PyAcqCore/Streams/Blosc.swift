import CBlosc

/// c-blosc 1.x frames as python-blosc writes them for pyacq (PROTOCOL §10): clevel 9, byte
/// shuffle, typesize = item size. The `_ctx` calls keep it thread-safe without a global lock.
enum Blosc {
    static let maxDecompressedBytes = 1 << 31

    static func compressorName(_ compression: String) -> String? {
        switch compression {
        case "blosc-blosclz": return "blosclz"
        case "blosc-lz4": return "lz4"
        default: return nil
        }
    }

    static func compress(_ source: UnsafeRawBufferPointer, typesize: Int, compression: String) throws(PyAcqError) -> ZMQMessage {
        guard let cname = compressorName(compression) else { throw PyAcqError(.badParams, "unknown compression '\(compression)'") }
        let capacity = source.count + Int(BLOSC_MAX_OVERHEAD)
        let out = AlignedBuffer(count: capacity)
        // blosc treats typesizes above 255 as 1 (no shuffle benefit anyway).
        let ts = typesize > 0 && typesize <= 255 ? typesize : 1
        let written = blosc_compress_ctx(9, Int32(BLOSC_SHUFFLE), ts, source.count, source.baseAddress,
                                         out.pointer, capacity, cname, 0, 1)
        guard written > 0 else { throw PyAcqError(.io, "blosc compression (\(cname)) failed with code \(written)") }
        return try ZMQMessage(borrowing: out.pointer, length: Int(written), owner: out)
    }

    /// Decompresses one frame after checking its self-described sizes against the input.
    static func decompress(_ frame: UnsafeRawBufferPointer) throws(PyAcqError) -> AlignedBuffer {
        var nbytes = 0
        guard frame.count >= Int(BLOSC_MIN_HEADER_LENGTH),
              blosc_cbuffer_validate(frame.baseAddress, frame.count, &nbytes) == 0 else {
            throw PyAcqError(.malformed, "data frame of \(frame.count) bytes is not a valid blosc frame")
        }
        guard nbytes <= maxDecompressedBytes else {
            throw PyAcqError(.malformed, "blosc frame claims \(nbytes) bytes, over the \(maxDecompressedBytes)-byte limit")
        }
        let out = try AlignedBuffer(allocating: nbytes, for: "decompressing a blosc frame")
        let n = blosc_decompress_ctx(frame.baseAddress, out.pointer, nbytes, 1)
        guard n == nbytes else { throw PyAcqError(.malformed, "blosc decompression failed (code \(n))") }
        return out
    }
}
