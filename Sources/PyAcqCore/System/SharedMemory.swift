#if canImport(Glibc)
import Glibc
#endif

/// A file-backed shared segment in pyacq's layout (PROTOCOL §11.2): a regular file of exactly
/// `size` bytes in the temp directory, mapped shared. The producer creates it (mode 0600, so
/// other users cannot read the signals) and removes it on close; consumers map it read-only.
///
/// A producer killed before close cannot remove its file, so the creator holds an exclusive
/// flock on the segment for its whole life and drops an empty marker `.<name>.owner` next to
/// it: any process may then remove segments whose marker exists but whose lock is free
/// (`sweepOrphans`). Files without a marker (original pyacq's) are never touched.
public final class SharedMemory: @unchecked Sendable {
    public let path: String
    public let size: Int
    public let pointer: UnsafeMutableRawPointer
    public let isWritable: Bool
    private var removeOnClose: Bool
    /// Kept open so `checkIntact()` can see a file truncated under the mapping (which would
    /// otherwise turn the next access into SIGBUS).
    private let fd: Int32

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
        do {
            // Locked before the marker exists, so a sweeper never sees an unlocked owned file.
            _ = try Posix.check("flock(\(path))") { flock(fd, LOCK_EX | LOCK_NB) }
            let marker = try Posix.check("create \(SharedMemory.markerPath(of: path))") {
                open(SharedMemory.markerPath(of: path), O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
            }
            close(marker)
            try SharedMemory.reserve(fd: fd, size: size, path: path, dir: dir)
            self.pointer = try SharedMemory.map(fd: fd, size: size, writable: true, path: path)
        } catch {
            SharedMemory.unlinkOwned(path)
            close(fd)
            throw error
        }
        SharedMemory.sweepOrphans(in: dir)
        SharedMemory.ownedLock.withLock { _ = SharedMemory.owned.insert(path) }
        self.fd = fd
        self.path = path
        self.size = size
        self.isWritable = true
        self.removeOnClose = true
    }

    /// Maps an existing segment (read-only unless `writable`: a consumer writes only to a
    /// wake-up page); it must hold at least `size` bytes.
    public init(opening path: String, size: Int, writable: Bool = false) throws(PyAcqError) {
        guard size > 0, size <= Extent.maxBytes else { throw PyAcqError(.badParams, "shared memory size \(size) is out of range") }
        let fd = try Posix.check("open shared memory \(path)") { open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC) }
        do {
            try SharedMemory.requireSize(fd: fd, size: size, path: path, code: .badParams)
            self.pointer = try SharedMemory.map(fd: fd, size: size, writable: writable, path: path)
        } catch {
            close(fd)
            throw error
        }
        self.fd = fd
        self.path = path
        self.size = size
        self.isWritable = writable
        self.removeOnClose = false
    }

    /// Sizes the new file and reserves its blocks, so that neither a full disk nor a size beyond
    /// the free space turns a later write into SIGBUS: the failure is reported here instead.
    private static func reserve(fd: Int32, size: Int, path: String, dir: String) throws(PyAcqError) {
        var fs = statvfs()
        if fstatvfs(fd, &fs) == 0 {
            let free = Int(fs.f_bavail).multipliedReportingOverflow(by: Int(fs.f_frsize))
            if !free.overflow, size > free.partialValue {
                throw PyAcqError(.io, "shared memory of \(size) bytes does not fit in \(dir) (\(free.partialValue) bytes free); ask for a smaller buffer_size")
            }
        }
        let rc = posix_fallocate(fd, 0, off_t(size))
        if rc == EOPNOTSUPP || rc == EINVAL {
            // A filesystem without fallocate: a sparse file is the best we can do.
            _ = try Posix.check("ftruncate(\(path), \(size))") { ftruncate(fd, off_t(size)) }
        } else if rc != 0 {
            throw PyAcqError(.io, "cannot reserve \(size) bytes of shared memory in \(path): \(Posix.errorText(rc))")
        }
    }

    private static func requireSize(fd: Int32, size: Int, path: String, code: PyAcqError.Code) throws(PyAcqError) {
        var st = stat()
        _ = try Posix.check("fstat(\(path))") { fstat(fd, &st) }
        guard Int(st.st_size) >= size else {
            throw PyAcqError(code, "shared memory file \(path) has \(st.st_size) bytes, the stream needs \(size)")
        }
    }

    /// Throws instead of letting an access fault when the file was truncated under the mapping.
    public func checkIntact() throws(PyAcqError) {
        try SharedMemory.requireSize(fd: fd, size: size, path: path, code: .io)
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
            SharedMemory.unlinkOwned(path)
            SharedMemory.ownedLock.withLock { _ = SharedMemory.owned.remove(path) }
            removeOnClose = false
        }
    }

    nonisolated(unsafe) private static var owned: Set<String> = []
    private static let ownedLock = Lock()

    /// Removes the files of every segment this process created and still has: for exits that
    /// skip deinitializers (a node group whose parent vanished). Mappings stay valid.
    public static func removeOwnedFiles() {
        let paths = ownedLock.withLock { () -> Set<String> in defer { owned = [] }; return owned }
        for path in paths { unlinkOwned(path) }
    }

    /// Where segments are created (Python's tempfile choice, PROTOCOL §11.2).
    public static var directory: String { Posix.temporaryDirectory }

    /// The marker that says a libpyacq process created (and locks) the segment at `path`.
    public static func markerPath(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." + path + ".owner" }
        return String(path[...slash]) + "." + String(path[path.index(after: slash)...]) + ".owner"
    }

    private static func unlinkOwned(_ path: String) {
        unlink(path)
        unlink(markerPath(of: path))
    }

    /// Removes the segments (and markers) in `dir` whose creating process is gone: the marker
    /// says a libpyacq producer made it, the free lock says nobody holds it any more. Returns
    /// the paths removed. Cheap enough to run at every creation and whenever a child dies.
    @discardableResult
    public static func sweepOrphans(in directory: String? = nil) -> [String] {
        let dir = directory ?? Posix.temporaryDirectory
        guard let handle = opendir(dir) else { return [] }
        var markers: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasPrefix(".pyacq_SharedMem_"), name.hasSuffix(".owner") { markers.append(name) }
        }
        closedir(handle)
        var removed: [String] = []
        for marker in markers {
            let segment = dir + "/" + String(marker.dropFirst().dropLast(".owner".count))
            let fd = open(segment, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT { unlink(dir + "/" + marker) }
                continue
            }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                unlinkOwned(segment)
                removed.append(segment)
            }
            close(fd)
        }
        return removed
    }

    deinit {
        removeFile()
        munmap(pointer, size)
        close(fd)
    }
}
