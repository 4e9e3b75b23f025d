#if canImport(Glibc)
import Glibc
#endif

/// A file-backed shared segment in pyacq's layout (PROTOCOL §11.2): a regular file of exactly
/// `size` bytes in the temp directory, mapped shared. The producer creates it (mode 0600, so
/// other users cannot read the signals) and removes it on close; consumers map it read-only.
public final class SharedMemory: @unchecked Sendable {
    public let path: String
    public let size: Int
    public let pointer: UnsafeMutableRawPointer
    public let isWritable: Bool
    private var removeOnClose: Bool

    /// Creates a new zero-filled segment `pyacq_SharedMem_<8 random chars>`.
    public init(creating size: Int) throws(PyAcqError) {
        guard size > 0 else { throw PyAcqError(.invalidArgument, "shared memory size must be positive") }
        let dir = Posix.temporaryDirectory
        var fd: Int32 = -1
        var path = ""
        for _ in 0..<100 {
            path = dir + "/pyacq_SharedMem_" + Posix.randomName(length: 8, alphabet: "abcdefghijklmnopqrstuvwxyz0123456789_")
            fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw PyAcqError(.io, "cannot create shared memory file in \(dir): \(Posix.errorText(errno))") }
        defer { close(fd) }
        do {
            _ = try Posix.check("ftruncate(\(path), \(size))") { ftruncate(fd, off_t(size)) }
            self.pointer = try SharedMemory.map(fd: fd, size: size, writable: true, path: path)
        } catch {
            unlink(path)
            throw error
        }
        self.path = path
        self.size = size
        self.isWritable = true
        self.removeOnClose = true
    }

    /// Maps an existing segment read-only; it must hold at least `size` bytes.
    public init(opening path: String, size: Int) throws(PyAcqError) {
        let fd = try Posix.check("open shared memory \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var st = stat()
        _ = try Posix.check("fstat(\(path))") { fstat(fd, &st) }
        guard Int(st.st_size) >= size else {
            throw PyAcqError(.badParams, "shared memory file \(path) has \(st.st_size) bytes, the stream params need \(size)")
        }
        self.pointer = try SharedMemory.map(fd: fd, size: size, writable: false, path: path)
        self.path = path
        self.size = size
        self.isWritable = false
        self.removeOnClose = false
    }

    private static func map(fd: Int32, size: Int, writable: Bool, path: String) throws(PyAcqError) -> UnsafeMutableRawPointer {
        let prot = writable ? (PROT_READ | PROT_WRITE) : PROT_READ
        let p = mmap(nil, size, prot, MAP_SHARED, fd, 0)
        guard let p, p != MAP_FAILED else { throw PyAcqError(.io, "mmap \(path): \(Posix.errorText(errno))") }
        return p
    }

    /// Removes the file now; existing mappings (ours and readers') stay valid.
    public func removeFile() {
        if removeOnClose {
            unlink(path)
            removeOnClose = false
        }
    }

    deinit {
        removeFile()
        munmap(pointer, size)
    }
}
