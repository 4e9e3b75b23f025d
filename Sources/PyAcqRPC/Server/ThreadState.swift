#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore

/// Names that go into RPC identities and log records (PROTOCOL §6.1).
public enum ProcessNames {
    nonisolated(unsafe) private static var processName: String?
    private static let lock = Lock()

    public static var host: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        return String(cString: buffer)
    }

    /// `swift-<pid>` unless set (spawned children take their spawn name).
    public static var process: String {
        get { lock.withLock { processName ?? "swift-\(getpid())" } }
        set { lock.withLock { processName = newValue } }
    }
}

/// Per-thread RPC state: the server this thread runs (for reentrancy) and this thread's
/// clients, one per server address (ZeroMQ sockets never leave their thread).
final class ThreadState {
    var server: RPCServer?
    var clients: [String: RPCClient] = [:]
    let threadName: String

    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = Lock()

    init() {
        let n = ThreadState.counterLock.withLock { () -> Int in ThreadState.counter += 1; return ThreadState.counter }
        threadName = "thread-\(n)"
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in
            if let raw { Unmanaged<ThreadState>.fromOpaque(raw).release() }
        }
        return key
    }()

    static var current: ThreadState {
        if let raw = pthread_getspecific(key) { return Unmanaged<ThreadState>.fromOpaque(raw).takeUnretainedValue() }
        let state = ThreadState()
        pthread_setspecific(key, Unmanaged.passRetained(state).toOpaque())
        return state
    }
}
