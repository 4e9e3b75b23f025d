#if canImport(Glibc)
import Glibc
#endif

/// The few file operations recorders need, with errors that name the path.
public enum Files {
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func makeDirectory(_ path: String) throws(PyAcqError) {
        _ = try Posix.check("cannot create directory \(path)") { mkdir(path, 0o755) }
    }

    /// Writes `text` to `path` through a temporary file and a rename, so readers never see a
    /// half-written file.
    public static func writeText(_ text: String, to path: String) throws(PyAcqError) {
        let temporary = path + ".tmp"
        let file = try AppendFile(path: temporary, truncate: true)
        try file.write(Array(text.utf8))
        file.close()
        _ = try Posix.check("cannot rename \(temporary) to \(path)") { rename(temporary, path) }
    }

    /// Removes the regular files directly inside `path` (not subdirectories).
    public static func removeFiles(in path: String) throws(PyAcqError) {
        guard let dir = opendir(path) else { throw PyAcqError(.io, "cannot open directory \(path): \(Posix.errorText(errno))") }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            var st = stat()
            if stat(path + "/" + name, &st) == 0, st.st_mode & S_IFMT == S_IFREG { unlink(path + "/" + name) }
        }
    }
}

/// A file written with plain `write` calls: every call reaches the kernel at once, so data
/// survives the writing process being killed.
public final class AppendFile: @unchecked Sendable {
    public let path: String
    private var fd: Int32

    public init(path: String, truncate: Bool = false) throws(PyAcqError) {
        self.path = path
        fd = try Posix.check("cannot open \(path) for writing") {
            open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND), 0o644)
        }
    }

    deinit { close() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(PyAcqError) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw PyAcqError(.io, "cannot write to \(path): \(Posix.errorText(errno))")
            }
            offset += n
        }
    }

    public func write(_ bytes: [UInt8]) throws(PyAcqError) {
        try withBytes(of: bytes) { raw throws(PyAcqError) in try write(raw) }
    }

    public func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }
}
