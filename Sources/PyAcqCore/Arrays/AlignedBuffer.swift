#if canImport(Glibc)
import Glibc
#endif

/// Heap memory aligned to 64 bytes: glibc's memcpy is an order of magnitude slower into
/// destinations that are not 32-byte aligned, and chunk buffers are copied a lot.
public final class AlignedBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public let count: Int

    public init(count: Int, zeroed: Bool = false) {
        var p: UnsafeMutableRawPointer?
        let rc = posix_memalign(&p, 64, max(count, 1))
        guard rc == 0, let p else { fatalError("out of memory allocating \(count) bytes") }
        if zeroed { memset(p, 0, max(count, 1)) }
        self.pointer = p
        self.count = count
    }

    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count)
        if let src = bytes.baseAddress, bytes.count > 0 { memcpy(pointer, src, bytes.count) }
    }

    deinit { free(pointer) }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer, count: count) }
}
