import CPyAcqSupport
import CZeroMQ
import PyAcqCore
import PyAcqRPC
#if canImport(Glibc)
import Glibc
#endif

/// Starts a child process running an RPC server with pyacq's bootstrap handshake (PROTOCOL
/// §5.1), so the child may be our `pyacq-nodegroup` or a Python pyacq bootstrap. Stops it
/// politely (`close`), then by force.
public final class ProcessSpawner: @unchecked Sendable {
    public let name: String
    /// The child's RPC server address.
    public private(set) var address = ""
    public let child: ChildProcess
    private var forwarders: [PosixThread] = []

    /// The executable that bootstraps Swift children: `$PYACQ_NODEGROUP_EXECUTABLE`, else
    /// `pyacq-nodegroup` next to libpyacq.so (or in ../bin), next to this program, or on PATH.
    public static var defaultExecutable: String {
        if let override = environmentVariable("PYACQ_NODEGROUP_EXECUTABLE") { return override }
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let program = n > 0 ? String(cString: buffer) : ""
        let module = String(cString: libpyacq_module_path())
        var candidates: [String] = []
        for file in [module, program] where file.contains("/") {
            let dir = String(file[..<file.lastIndex(of: "/")!])
            candidates += [dir + "/pyacq-nodegroup", dir + "/../bin/pyacq-nodegroup"]
        }
        for dir in (environmentVariable("PATH") ?? "").split(separator: ":") { candidates.append("\(dir)/pyacq-nodegroup") }
        return candidates.first { access($0, X_OK) == 0 } ?? "pyacq-nodegroup"
    }

    /// The Python interpreter of Python node groups: `$PYACQ_PYTHON`, else `python3` on PATH
    /// (it must import the libpyacq binding: pip-installed, or on PYTHONPATH).
    public static var pythonExecutable: String {
        if let override = environmentVariable("PYACQ_PYTHON") { return override }
        let onPath = (environmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map { "\($0)/python3" }
        return onPath.first { access($0, X_OK) == 0 } ?? "python3"
    }

    /// The module Python children run: libpyacq's bootstrap, serving Python objects (PROTOCOL §5.5).
    public static let pythonBootstrapModule = "libpyacq.core.rpc.bootstrap"

    /// - Parameters:
    ///   - executable: the child program; argv is `[executable, "-m", module, name]`.
    ///   - module: the bootstrap module (read by Python children; Swift children ignore it).
    ///   - address: the child's RPC bind address.
    ///   - logAddress: a LogServer address; the child's stdout/stderr lines are forwarded there.
    ///   - qt: `true`: the child runs a Qt event loop and serves on its GUI thread (Python
    ///     children); `"auto"`: it does when its interpreter has a Qt binding.
    public init(name: String, executable: String = ProcessSpawner.defaultExecutable, module: String = "pyacq.core.rpc.bootstrap",
                address: String = "tcp://127.0.0.1:*", logAddress: String? = nil, logLevel: Int = 30, qt: Value = .bool(false),
                timeoutMs: Int = 10_000) throws(PyAcqError) {
        self.name = name
        let pair = try ZMQSocket(type: ZMQ_PAIR)
        try pair.setOption(ZMQ_LINGER, 1000)
        try pair.bind("tcp://127.0.0.1:*")
        let config: ValueMap = [
            "class_name": .string(qt == .bool(false) ? "RPCServer" : "QtRPCServer"), "args": .map(["address": .string(address)]),
            "bootstrap_addr": .string(pair.lastEndpoint), "loglevel": .int(logLevel),
            "logaddr": logAddress.map { .string($0) } ?? .null, "qt": qt,
        ]
        child = try ChildProcess(executable: executable, arguments: ["-m", module, name],
                                 pipeStdin: true, pipeStdout: logAddress != nil, pipeStderr: logAddress != nil)
        try child.write(try Value.map(config).jsonText(style: .python))
        child.closeStdin()
        if let logAddress { startForwarding(to: logAddress) }
        var reported = ""
        do throws(PyAcqError) {
            guard try waitForReport(on: pair, timeoutMs: timeoutMs), let frames = try pair.receiveMessage(), frames.count == 1,
                  case .map(let status) = try Value.fromJSON(String(decoding: frames[0].bytes, as: UTF8.self), what: "bootstrap status") else {
                throw PyAcqError(.timeout, "child process '\(name)' (\(executable)) did not report its address within \(timeoutMs) ms", exceptionType: "TimeoutError")
            }
            try pair.send(bytes: [Array("OK".utf8)])
            if case .string(let childAddress)? = status["address"] {
                reported = childAddress
            } else {
                let lines = status["error"]?.arrayValue?.compactMap(\.stringValue).joined() ?? "no address in \(status)"
                throw PyAcqError(.remote, "child process '\(name)' failed to start: \(lines)", exceptionType: "RuntimeError")
            }
            _ = try RPCClient.forThread(reported)
        } catch {
            child.signal(SIGKILL)
            child.wait()
            throw error
        }
        self.address = reported
    }

    /// Waits for the child's bootstrap report while serving this thread's RPC server (a child
    /// that never reports must not stop a Host from answering everyone else), and gives up as
    /// soon as the child has exited.
    private func waitForReport(on pair: ZMQSocket, timeoutMs: Int) throws(PyAcqError) -> Bool {
        let deadline = monotonicSeconds() + Double(timeoutMs) / 1000
        while monotonicSeconds() < deadline {
            if try RPCServer.waitServing(pair, timeoutMs: 100) { return true }
            if let code = child.poll() {
                if try pair.poll(timeoutMs: 0) { return true }
                throw PyAcqError(.remote, "child process '\(name)' exited with code \(code) before reporting its address", exceptionType: "RuntimeError")
            }
        }
        return false
    }

    /// Forwards each line of the child's stdout (INFO) and stderr (WARNING) as a log record.
    private func startForwarding(to logAddress: String) {
        for (fd, stream, level) in [(child.stdoutDescriptor, "stdout", 20), (child.stderrFD, "stderr", 30)] where fd >= 0 {
            let prefix = "[\(name).\(stream)] "
            forwarders.append(PosixThread(name: "\(name)-\(stream)") {
                let sender = try? LogSender(address: logAddress)
                ChildProcess.forEachLine(of: fd) { line in try? sender?.log(level, prefix + line, name: "pyacq.spawn") }
            })
        }
    }

    /// Exit code if the child has ended.
    public var exitCode: Int32? { child.poll() }
    public var isRunning: Bool { child.poll() == nil }

    /// Polite stop (`close` with a 1 s timeout), then SIGKILL if it has not exited in time.
    /// `closeRequested`: the child was just asked to close by someone else (a fire-and-forget
    /// NodeGroup.close()): give it up to 1 s to exit before asking again, since a `close` sent to
    /// a server that is already closing never gets its reply and waits out its whole timeout.
    public func stop(timeoutMs: Int = 10_000, closeRequested: Bool = false) {
        if closeRequested {
            let exitBy = monotonicSeconds() + 1
            while isRunning && monotonicSeconds() < exitBy { sleepSeconds(0.005) }
        }
        if isRunning { try? RPCClient.forThread(address).closeServer(timeoutMs: 1000) }
        let deadline = monotonicSeconds() + Double(timeoutMs) / 1000
        while isRunning && monotonicSeconds() < deadline { sleepSeconds(0.01) }
        if isRunning { kill() }
        finish()
    }

    public func kill() {
        child.signal(SIGKILL)
        finish()
    }

    private func finish() {
        child.wait()
        for thread in forwarders { thread.join() }
        forwarders = []
    }
}

/// Sleeps without Foundation (EINTR-safe).
public func sleepSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
