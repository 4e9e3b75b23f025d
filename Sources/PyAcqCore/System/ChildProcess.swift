#if canImport(Glibc)
import Glibc
#endif

/// A spawned child process with optional pipes to its stdin/stdout (posix_spawn, no
/// Foundation). Used by the demo and by process spawners.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private var stdinFD: Int32 = -1
    private var stdoutFD: Int32 = -1
    private var pending: [UInt8] = []
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments` (argv[1...]); pipes are created on request.
    public init(executable: String, arguments: [String], pipeStdin: Bool = false, pipeStdout: Bool = false, pipeStderr: Bool = false) throws(PyAcqError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        if pipeStdin {
            try ChildProcess.makePipe(&inPipe)
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        }
        if pipeStdout {
            try ChildProcess.makePipe(&outPipe)
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        }
        if pipeStderr {
            try ChildProcess.makePipe(&errPipe)
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, nil, argv, environ)
        if pipeStdin { close(inPipe[0]) }
        if pipeStdout { close(outPipe[1]) }
        if pipeStderr { close(errPipe[1]) }
        guard rc == 0 else {
            if pipeStdin { close(inPipe[1]) }
            if pipeStdout { close(outPipe[0]) }
            if pipeStderr { close(errPipe[0]) }
            throw PyAcqError(.io, "cannot start \(executable): \(Posix.errorText(rc))")
        }
        pid = child
        stdinFD = inPipe[1]
        stdoutFD = outPipe[0]
        stderrFD = errPipe[0]
    }

    /// The read end of the child's stderr pipe (-1 if not piped); the caller owns reading it.
    public private(set) var stderrFD: Int32 = -1

    /// A pipe whose ends do not leak into other children (dup2 onto 0/1 clears the flag).
    static func makePipe(_ fds: inout [Int32]) throws(PyAcqError) {
        _ = try Posix.check("pipe") { pipe(&fds) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }

    deinit {
        closeStdin()
        if stdoutFD >= 0 { close(stdoutFD) }
        if stderrFD >= 0 { close(stderrFD) }
    }

    /// Lines of a pipe the child writes, read on the caller's thread until end of file.
    public static func forEachLine(of fd: Int32, _ body: (String) -> Void) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending.append(contentsOf: buffer[0..<n])
            while let newline = pending.firstIndex(of: 10) {
                body(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
        if !pending.isEmpty { body(String(decoding: pending, as: UTF8.self)) }
    }

    /// The read end of the child's stdout pipe (-1 if not piped), for callers that read it on
    /// their own thread instead of with readLine.
    public var stdoutDescriptor: Int32 { stdoutFD }

    public func write(_ text: String) throws(PyAcqError) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw PyAcqError(.io, "writing to child \(pid): \(Posix.errorText(errno))") }
            bytes = bytes.dropFirst(n)
        }
    }

    public func closeStdin() {
        if stdinFD >= 0 { close(stdinFD); stdinFD = -1 }
    }

    /// The next line of the child's stdout without its newline; nil at end of file.
    public func readLine() -> String? {
        while true {
            if let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = read(stdoutFD, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                guard !pending.isEmpty else { return nil }
                defer { pending = [] }
                return String(decoding: pending, as: UTF8.self)
            }
            pending.append(contentsOf: buffer[0..<n])
        }
    }

    public func signal(_ sig: Int32) { if exitStatus == nil { kill(pid, sig) } }

    /// Exit code (or 128 + signal), waiting for the child to end.
    @discardableResult
    public func wait() -> Int32 {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = ChildProcess.decode(status)
        exitStatus = code
        return code
    }

    /// Exit code if the child has ended, without waiting.
    public func poll() -> Int32? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        exitStatus = ChildProcess.decode(status)
        return exitStatus
    }

    static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
