import CZeroMQ
import PyAcqCore
import PyAcqRPC
#if canImport(Glibc)
import Glibc
#endif

/// The child side of the spawn handshake (PROTOCOL §5.2, §5.4): what `pyacq-nodegroup` runs.
/// Works whether a Swift ProcessSpawner or an original Python one started us.
public enum Bootstrap {
    /// Reads the config from stdin, serves until `close`, returns the exit code.
    public static func run(arguments: [String]) -> Int32 {
        // argv: [exe, "-m", "pyacq.core.rpc.bootstrap", name?]
        if arguments.count > 3 { ProcessNames.process = arguments[3] }
        PyAcqRuntime.bootstrap()
        var input: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(0, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            input.append(contentsOf: buffer[0..<n])
        }
        guard case .map(let config)? = try? JSON.parse(input), case .string(let bootstrapAddress)? = config["bootstrap_addr"] else {
            writeError("pyacq-nodegroup: stdin must hold the bootstrap JSON (class_name, args, bootstrap_addr, ...)\n")
            return 2
        }
        let address = config["args"]?.mapValue?["address"]?.stringValue ?? "tcp://127.0.0.1:*"
        if case .string(let logAddress)? = config["logaddr"] { Logging.forward(to: logAddress, level: config["loglevel"]?.intValue ?? 30) }
        let status: Value
        var server: RPCServer?
        do throws(PyAcqError) {
            server = try RPCServer(address: address)
            status = .map(["address": .string(server!.address)])
        } catch {
            status = .map(["error": .array([.string("\(error.exceptionType): \(error.message)\n")])])
        }
        guard handshake(bootstrapAddress, status) else {
            writeError("pyacq-nodegroup: no answer from the spawner at \(bootstrapAddress)\n")
            return 3
        }
        guard let server else { return 1 }
        watchParent()
        Logging.info("RPC server for process \(ProcessNames.process) running at \(server.address)")
        server.serveForever()
        // Nodes still open when the server closed: stop them and remove their shared files.
        NodeGroup.closeAllInProcess()
        flushBeforeExit()
        return 0
    }

    /// When `serveForever` returns, the reply to `close` and the disconnect notices may still be
    /// queued in libzmq: exiting at once can drop them, and the spawner then waits out its 1 s
    /// `close` timeout (PROTOCOL §5.3, §7.6). Terminating the context delivers them (within the
    /// sockets' linger); it cannot finish while other sockets stay open (clients, streams of
    /// nodes never closed), so it gets at most `timeout` seconds before the process exits anyway.
    static func flushBeforeExit(timeout: Double = 0.25) {
        Logging.stopForwarding()
        final class Flag: @unchecked Sendable {
            let lock = Lock()
            var done = false
        }
        let flag = Flag()
        _ = PosixThread(name: "zmq-term") {
            zmq_ctx_term(ZMQ.context)
            flag.lock.withLock { flag.done = true }
        }
        let deadline = monotonicSeconds() + timeout
        while !flag.lock.withLock({ flag.done }) {
            if monotonicSeconds() >= deadline {
                fflush(nil)
                _exit(0)  // a thread is blocked in zmq_ctx_term: skip the exit handlers
            }
            sleepSeconds(0.001)
        }
    }

    /// A spawned process must not outlive the process that spawned it (a Manager killed with
    /// kill -9 cannot close its node groups): exit when our parent changes.
    static func watchParent() {
        let parent = getppid()
        _ = PosixThread(name: "parent-watch") {
            while getppid() == parent { sleepSeconds(0.2) }
            writeError("pyacq-nodegroup \(ProcessNames.process): parent process \(parent) is gone; exiting\n")
            _exit(0)
        }
    }

    /// Sends the status every 10 ms until any reply arrives (at most 10 s).
    static func handshake(_ address: String, _ status: Value) -> Bool {
        guard let pair = try? ZMQSocket(type: ZMQ_PAIR), (try? pair.setOption(ZMQ_LINGER, 1000)) != nil,
              (try? pair.connect(address)) != nil, let text = try? status.jsonText() else { return false }
        let deadline = monotonicSeconds() + 10
        while monotonicSeconds() < deadline {
            try? pair.send(bytes: [Array(text.utf8)], dontWait: true)
            if (try? pair.poll(timeoutMs: 10)) == true, (try? pair.receiveMessage()) != nil { return true }
        }
        return false
    }

    static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        _ = write(2, &bytes, bytes.count)
    }
}

/// Process-wide log forwarding to a manager's LogServer (PROTOCOL §6).
public enum Logging {
    nonisolated(unsafe) private static var sender: LogSender?
    nonisolated(unsafe) private static var level = 30
    private static let lock = Lock()

    public static func forward(to address: String, level: Int) {
        lock.withLock {
            sender = try? LogSender(address: address)
            self.level = level
        }
        Diagnostics.setHandler { level, message in Logging.log(level, message) }
    }

    /// Closes the log sender (its queued records are delivered while the context terminates).
    public static func stopForwarding() {
        lock.withLock { sender = nil }
    }

    public static func log(_ recordLevel: Int, _ message: String, name: String = "pyacq") {
        lock.withLock {
            guard recordLevel >= level else { return }
            if let sender { try? sender.log(recordLevel, message, name: name) }
        }
    }

    public static func info(_ message: String) { log(20, message) }
    public static func warning(_ message: String) { log(30, message) }
    public static func error(_ message: String) { log(40, message) }
}
