import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Answers clock probes from libpyacq peers: a ROUTER socket per bind address, served by one
/// thread per socket. A probe is one frame (an opaque id, ≤ 16 bytes); the reply echoes it and
/// adds the 8-byte big-endian IEEE double of `StreamClock.now()` at the moment of reading.
public final class ClockServer: @unchecked Sendable {
    /// The URL peers connect to.
    public let url: String
    private let socket: ZMQSocket
    private let running = Atomic<Bool>(true)
    private var thread: PosixThread?

    private static let lock = Lock()
    nonisolated(unsafe) private static var servers: [String: ClockServer] = [:]

    /// The process's clock server for streams bound with `protocolName` on `interface` (tcp: the
    /// same interface, ipc: one pipe in the temp directory per process), started on first use.
    /// inproc peers share this process's clock and need none.
    public static func shared(protocolName: String, interface: String) throws(PyAcqError) -> ClockServer {
        let key = protocolName == "tcp" ? "tcp://\(interface)" : protocolName
        return try lock.withLock { () throws(PyAcqError) in
            if let existing = servers[key] { return existing }
            let bindURL: String
            switch protocolName {
            case "tcp": bindURL = "tcp://\(interface):*"
            case "ipc": bindURL = "ipc://\(Posix.temporaryDirectory)/pyacq_clock_\(getpid())_\(Posix.randomName(length: 8, alphabet: "abcdefghijklmnopqrstuvwxyz0123456789"))"
            default: throw PyAcqError(.invalidArgument, "no clock server for protocol '\(protocolName)' (inproc peers share the clock)")
            }
            let server = try ClockServer(binding: bindURL)
            servers[key] = server
            if protocolName == "ipc" { removeAtExit(String(bindURL.dropFirst("ipc://".count))) }
            return server
        }
    }

    nonisolated(unsafe) private static var ipcFiles: [String] = []

    /// The server lives as long as the process: its ipc pipe file goes when the process exits.
    private static func removeAtExit(_ path: String) {
        // No lock at exit: another thread may hold it forever by then.
        if ipcFiles.isEmpty { atexit { ClockServer.ipcFiles.forEach { unlink($0) } } }
        ipcFiles.append(path)
    }

    private init(binding bindURL: String) throws(PyAcqError) {
        let sock = try ZMQSocket(type: ZMQ_ROUTER)
        try sock.setOption(ZMQ_LINGER, 0)
        try sock.bind(bindURL)
        socket = sock
        url = sock.lastEndpoint
        thread = PosixThread(name: "pyacq-clock") { [self] in serve() }
    }

    private func serve() {
        while running.load(ordering: .acquiring) {
            guard (try? socket.poll(timeoutMs: 200)) == true else { continue }
            guard let frames = try? socket.receiveMessage(dontWait: true), frames.count == 2, frames[1].size <= 16 else { continue }
            let now = StreamClock.now()
            var reply = frames[1].array
            withUnsafeBytes(of: now.bitPattern.bigEndian) { reply.append(contentsOf: $0) }
            // A vanished prober is not our problem: drop the reply.
            try? socket.send([frames[0], try? ZMQMessage(bytes: reply)].compactMap { $0 }, dontWait: true)
        }
    }
}

/// Probes one peer's clock server (a DEALER socket; not thread-safe, one user at a time).
public final class ClockProbeClient: @unchecked Sendable {
    private let socket: ZMQSocket
    private var nextID: UInt64 = 0
    /// How long one probe may take before it counts as lost.
    public var probeTimeoutMs = 1000

    public init(url: String) throws(PyAcqError) {
        let sock = try ZMQSocket(type: ZMQ_DEALER)
        try sock.setOption(ZMQ_LINGER, 0)
        try sock.connect(url)
        socket = sock
    }

    /// One probe: send an id, wait for its echo with the peer's clock reading.
    public func probe() throws(PyAcqError) -> ClockProbeSample {
        nextID &+= 1
        let id = nextID
        var idBytes: [UInt8] = []
        withUnsafeBytes(of: id.bigEndian) { idBytes.append(contentsOf: $0) }
        let deadline = StreamClock.now() + Double(probeTimeoutMs) / 1000
        let sent = StreamClock.now()
        try socket.send(bytes: [idBytes])
        while true {
            let remaining = Int(((deadline - StreamClock.now()) * 1000).rounded(.up))
            guard remaining > 0, try socket.poll(timeoutMs: remaining) else {
                throw PyAcqError(.timeout, "the peer's clock server did not answer a probe within \(probeTimeoutMs) ms")
            }
            guard let frames = try socket.receiveMessage(dontWait: true) else { continue }
            let received = StreamClock.now()
            // Late replies to earlier, timed-out probes carry another id: skip them.
            guard frames.count == 1, frames[0].size == 16, Array(frames[0].array.prefix(8)) == idBytes else { continue }
            let bits = UInt64(bigEndian: frames[0].bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            return ClockProbeSample(sent: sent, peer: Double(bitPattern: bits), received: received)
        }
    }

    public func close() { socket.close() }
}

/// Keeps a current clock offset estimate for one peer: a first estimate right away, then a new
/// one every `period` seconds on a background thread, each from `probes` probes.
public final class ClockOffsetTracker: @unchecked Sendable {
    public let period: Double
    public let probes: Int
    private let lock = Lock()
    private var current: ClockOffsetEstimate?
    private var lastError = ""
    private let running = Atomic<Bool>(true)
    private var thread: PosixThread?

    /// A tracker for a peer that shares our clock (inproc): offset 0, exact.
    public init(sameClock: Void) {
        period = 0
        probes = 0
        current = ClockOffsetEstimate(offset: 0, roundTrip: 0, measuredAt: StreamClock.now(), probes: 0)
        running.store(false, ordering: .releasing)
    }

    public init(url: String, period: Double = 5, probes: Int = ClockOffsetEstimator.defaultProbes) throws(PyAcqError) {
        self.period = period
        self.probes = probes
        let client = try ClockProbeClient(url: url)
        thread = PosixThread(name: "pyacq-clockprobe") { [self] in
            defer { client.close() }
            while running.load(ordering: .acquiring) {
                do throws(PyAcqError) {
                    let estimate = try ClockOffsetEstimator.estimate(probes: probes, client.probe)
                    lock.withLock { current = estimate; lastError = "" }
                } catch {
                    lock.withLock { lastError = error.message }
                }
                // Sleep in short steps so close() returns quickly.
                let until = StreamClock.now() + period
                while running.load(ordering: .acquiring) && StreamClock.now() < until {
                    usleep(20_000)
                }
            }
        }
    }

    /// The latest estimate; waits up to `timeoutMs` for the first one.
    public func estimate(timeoutMs: Int = 0) throws(PyAcqError) -> ClockOffsetEstimate {
        let deadline = StreamClock.now() + Double(timeoutMs) / 1000
        while true {
            let (value, error) = lock.withLock { (current, lastError) }
            if let value { return value }
            // A failed first round will not succeed before the next period: do not wait for it.
            if StreamClock.now() >= deadline || !error.isEmpty {
                throw PyAcqError(.timeout, error.isEmpty ? "no clock offset estimate yet (probing the producer's clock)"
                                                         : "no clock offset estimate: \(error)")
            }
            usleep(1000)
        }
    }

    /// The latest estimate without waiting (nil before the first).
    public var latest: ClockOffsetEstimate? { lock.withLock { current } }

    public func stop() {
        running.store(false, ordering: .releasing)
        thread?.join()
        thread = nil
    }

    deinit { stop() }
}
