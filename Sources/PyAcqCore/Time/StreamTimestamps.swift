import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// Per-chunk timestamps between libpyacq peers (README "Protocol notes: timestamps").
///
/// The stream's own socket keeps carrying exactly pyacq's messages (PROTOCOL §9/§11.4), so an
/// original pyacq consumer sees nothing new. A timestamping output also binds a second XPUB —
/// the *stamped endpoint* — announced in its params under `timestamps`; every chunk goes out on
/// both, and on the stamped one with 8 more bytes at the end of its first frame (version 2; in
/// version 1 they were a last frame of their own, which still reads): the producer's
/// stream-clock time of the chunk's last sample (big-endian IEEE double, seconds; NaN =
/// unknown). Kept in the first frame, the stamp never makes a large chunk's last TCP write
/// wait for one more frame. An input
/// that finds `timestamps` in the params subscribes to the stamped endpoint instead of the
/// plain one, and probes the producer's clock server (`clock_*` keys) for the offset. pyacq
/// ignores the unknown key, so original senders and receivers work unchanged.
public enum StreamTimestamps {
    /// The params key (a map) a timestamping output adds, and its format version.
    public static let paramKey = "timestamps"
    public static let version = 2

    /// False when the params or spec switch timestamps off (`timestamps: false`).
    public static func enabled(_ value: Value?) -> Bool {
        if case .bool(false)? = value { return false }
        return true
    }

    /// `frame`'s bytes followed by the stamp: a stamped endpoint's first frame.
    static func stamped(_ frame: ZMQMessage, _ timestamp: Double) throws(PyAcqError) -> ZMQMessage {
        var bytes = frame.array
        withUnsafeBytes(of: timestamp.bitPattern.bigEndian) { bytes.append(contentsOf: $0) }
        return try ZMQMessage(bytes: bytes)
    }

    static func decode(_ frame: UnsafeRawBufferPointer) throws(PyAcqError) -> Double {
        guard frame.count == 8 else { throw PyAcqError(.malformed, "timestamp frame must be 8 bytes, got \(frame.count)") }
        return Double(bitPattern: UInt64(bigEndian: frame.loadUnaligned(as: UInt64.self)))
    }

    // MARK: timestamps following the data

    private static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in raw.map { UnsafeMutablePointer<Double>(OpaquePointer($0)).deallocate() } }
        return key
    }()

    /// The timestamp (local clock) of the chunk this thread is processing: set by the node
    /// input loop before its handler runs, so a node's `send` without an explicit timestamp
    /// stamps its output with the time of the input that produced it (timestamps follow the
    /// data through converters and filters). nil outside a handler.
    public static var threadCurrent: Double? {
        get {
            guard let raw = pthread_getspecific(currentKey) else { return nil }
            let value = raw.assumingMemoryBound(to: Double.self).pointee
            return value.isNaN ? nil : value
        }
        set {
            let slot: UnsafeMutablePointer<Double>
            if let raw = pthread_getspecific(currentKey) {
                slot = raw.assumingMemoryBound(to: Double.self)
            } else {
                slot = .allocate(capacity: 1)
                pthread_setspecific(currentKey, slot)
            }
            slot.pointee = newValue ?? .nan
        }
    }

    /// The timestamp a chunk sent now gets: explicit, else the input being processed on this
    /// thread, else the current time.
    static func resolve(_ explicit: Double?) -> Double {
        explicit ?? threadCurrent ?? StreamClock.now()
    }
}

/// The output side: the stamped endpoint and the params it announces.
final class TimestampPublisher: @unchecked Sendable {
    let socket: ZMQSocket
    let announced: ValueMap
    private let ipcPath: String?

    /// Binds the stamped endpoint next to the stream's (same protocol and interface).
    /// `queueMessages`: the per-consumer send queue, as the stream's own socket has it.
    init(protocolName: String, interface: String, queueMessages: Int32) throws(PyAcqError) {
        let sock = try ZMQSocket(type: ZMQ_XPUB)
        try sock.setOption(ZMQ_LINGER, 1000)
        try sock.setOption(ZMQ_SNDHWM, queueMessages)
        // Every (un)subscription reaches us, repeated topics too: consumers are counted.
        try sock.setOption(ZMQ_XPUB_VERBOSER, 1)
        var info: ValueMap = ["version": .int(StreamTimestamps.version), "clock": .string("monotonic")]
        var path: String?
        switch protocolName {
        case "tcp":
            try sock.bind("tcp://\(interface):*")
            let endpoint = sock.lastEndpoint
            if let colon = endpoint.lastIndex(of: ":") { info["port"] = .string(String(endpoint[endpoint.index(after: colon)...])) }
            info["interface"] = .string(interface)
        default:
            let name = protocolName == "ipc"
                ? "\(Posix.temporaryDirectory)/pyacq_stamped_" + Posix.randomName(length: 16, alphabet: "abcdefghijklmnopqrstuvwxyz0123456789")
                : "pyacq_stamped_" + Posix.randomName(length: 24, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            try sock.bind("\(protocolName)://\(name)")
            info["interface"] = .string(name)
            if protocolName == "ipc" { path = name }
        }
        if protocolName != "inproc" {
            info["clock_url"] = .string(try ClockServer.shared(protocolName: protocolName, interface: interface).url)
        }
        socket = sock
        announced = info
        ipcPath = path
    }

    /// Sends the chunk's frames (copies sharing their data after the first) with the stamp.
    func send(_ frames: [ZMQMessage], timestamp: Double) throws(PyAcqError) {
        guard let first = frames.first else { return }
        var stamped = [try StreamTimestamps.stamped(first, timestamp)]
        for frame in frames.dropFirst() {
            let copy = ZMQMessage()
            guard zmq_msg_copy(copy.msg, frame.msg) == 0 else { throw ZMQ.lastError("zmq_msg_copy") }
            stamped.append(copy)
        }
        try socket.send(stamped)
    }

    /// Subscribe/unsubscribe notices queued on the stamped endpoint (+1/−1 each).
    func drainSubscriptionDelta() -> Int {
        var delta = 0
        while let frames = try? socket.receiveMessage(dontWait: true) {
            guard let first = frames.first?.array.first else { continue }
            delta += first == 1 ? 1 : -1
        }
        return delta
    }

    func close() {
        socket.close()
        if let ipcPath { unlink(ipcPath) }
    }
}

/// The input side: where to connect and how to read the producer's clock.
struct TimestampSubscription {
    let url: String
    let clockURL: String?
    /// Version 2 producers put the stamp at the end of the first frame, version 1 ones after
    /// the last.
    let stampInFirstFrame: Bool

    /// nil when the producer does not stamp or the input's spec switched stamps off.
    init?(_ params: StreamParams) throws(PyAcqError) {
        guard case .map(let info)? = params[StreamTimestamps.paramKey] else { return nil }
        guard case .int(let version)? = info["version"], version >= 1,
              case .string(let interface)? = info["interface"] else {
            throw PyAcqError(.badParams, "stream param 'timestamps' is not a libpyacq timestamp announcement: \(info)")
        }
        stampInFirstFrame = version >= 2
        let proto = try params.protocolName()
        if proto == "tcp" {
            guard case .string(let port)? = info["port"] else { throw PyAcqError(.badParams, "stream param 'timestamps' has no port") }
            url = "tcp://\(interface):\(port)"
        } else {
            url = "\(proto)://\(interface)"
        }
        if case .string(let clock)? = info["clock_url"] {
            // A server bound on all interfaces answers on the address the stream is reached at.
            if proto == "tcp", clock.hasPrefix("tcp://0.0.0.0:"), case .string(let host)? = params["interface"], host != "0.0.0.0" {
                clockURL = "tcp://\(host):" + clock.dropFirst("tcp://0.0.0.0:".count)
            } else {
                clockURL = clock
            }
        } else {
            clockURL = nil
        }
    }

    /// The clock tracker for this producer (inproc: same clock).
    func makeTracker(period: Double) throws(PyAcqError) -> ClockOffsetTracker {
        guard let clockURL else { return ClockOffsetTracker(sameClock: ()) }
        return try ClockOffsetTracker(url: clockURL, period: period)
    }
}

/// The timestamp of the last chunk an input received.
public struct ReceivedTimestamp: Equatable, Sendable {
    /// On the producer's clock, as sent.
    public var raw: Double
    /// On this process's clock (raw − estimated offset); NaN while no estimate exists.
    public var local: Double
}
