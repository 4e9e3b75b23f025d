#if canImport(Glibc)
import Glibc
#endif
import CPyAcqSupport

/// A dedicated OS thread. Socket loops and acquisition loops run on these, never on Swift
/// concurrency's small cooperative pool, which blocking zmq calls would starve.
public final class PosixThread: @unchecked Sendable {
    private var thread = pthread_t()
    private var joined = false

    private final class Box {
        let body: () -> Void
        let name: String
        init(_ body: @escaping () -> Void, _ name: String) { self.body = body; self.name = name }
    }

    /// Starts `body` on a new thread named `name` (at most 15 bytes are kept).
    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(body, name)).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            libpyacq_set_thread_name(box.name)
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
    }

    /// Waits for the thread to finish (once).
    public func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }

    deinit {
        if !joined { pthread_detach(thread) }
    }
}
