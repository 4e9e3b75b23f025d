#if canImport(Glibc)
import Glibc
#endif

/// Heap memory aligned to 64 bytes: glibc's memcpy is an order of magnitude slower into
/// destinations that are not 32-byte aligned, and chunk buffers are copied a lot.
public final class AlignedBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public let count: Int

    /// The allocation path for sizes someone else chose (params, headers, callers): a size that
    /// is out of range or that the system refuses is an error naming `what`, never a trap.
    public init(allocating count: Int, zeroed: Bool = false, for what: @autoclosure () -> String) throws(PyAcqError) {
        guard count >= 0, count <= Extent.maxBytes else {
            throw PyAcqError(.invalidArgument, "\(what()): \(count) bytes is out of range")
        }
        var p: UnsafeMutableRawPointer?
        let rc = posix_memalign(&p, 64, max(count, 1))
        guard rc == 0, let p else {
            throw PyAcqError(.io, "\(what()): cannot allocate \(count) bytes (\(Posix.errorText(rc)))")
        }
        if zeroed { memset(p, 0, max(count, 1)) }
        self.pointer = p
        self.count = count
    }

    /// For sizes the library itself bounded (copies of memory that already exists).
    public convenience init(count: Int, zeroed: Bool = false) {
        do {
            try self.init(allocating: count, zeroed: zeroed, for: "buffer")
        } catch {
            fatalError(error.message)
        }
    }

    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count)
        if let src = bytes.baseAddress, bytes.count > 0 { memcpy(pointer, src, bytes.count) }
    }

    deinit { free(pointer) }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer, count: count) }
}
