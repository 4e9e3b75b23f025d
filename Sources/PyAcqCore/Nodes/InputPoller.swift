import Synchronization

/// pyacq's ThreadPollInput: a dedicated thread that receives chunks from one input and hands
/// each to `handler` until stopped. Errors of single chunks are counted, not fatal.
public final class InputPoller: @unchecked Sendable {
    private let input: InputStream
    private let handler: (ReceivedChunk) throws(PyAcqError) -> Void
    private let running = Atomic<Bool>(false)
    private var thread: PosixThread?
    public private(set) var errors: [String] = []
    private let lock = Lock()

    public init(input: InputStream, handler: @escaping (ReceivedChunk) throws(PyAcqError) -> Void) {
        self.input = input
        self.handler = handler
    }

    public func start(name: String) {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        thread = PosixThread(name: name) { [self] in
            while running.load(ordering: .acquiring) {
                do throws(PyAcqError) {
                    let chunk = try input.receive(timeoutMs: 50)
                    // What the handler sends is stamped with this chunk's time.
                    StreamTimestamps.threadCurrent = chunk.timestamp
                    defer { StreamTimestamps.threadCurrent = nil }
                    try handler(chunk)
                } catch where error.code == .timeout {
                    continue
                } catch where error.code == .state {
                    return  // input closed under us
                } catch {
                    lock.withLock { errors.append(error.message) }
                    Diagnostics.report(30, "\(name): \(error.message)")
                }
            }
        }
    }

    /// Stops the thread and waits for it (it notices within 50 ms).
    public func stop() {
        running.store(false, ordering: .releasing)
        thread?.join()
        thread = nil
    }

    public var recentErrors: [String] { lock.withLock { errors } }
}
