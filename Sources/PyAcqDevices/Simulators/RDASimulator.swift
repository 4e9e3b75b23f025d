#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore
import Synchronization

/// The deterministic signal and markers every simulator client receives, so a receiver can
/// check each sample: raw value r(s, c) of sample s (counted from the segment's start) on
/// channel c, and µV = r × resolution(c).
public enum RDATestSignal {
    public static func raw(sample s: Int, channel c: Int) -> Int16 {
        Int16((s % 20001 * 31 + c * 1009) % 20001 - 10000)
    }

    /// Channel resolutions differ (base, 2 × base, 3 × base…) so per-channel scaling is checked.
    public static func resolution(base: Double, channel c: Int) -> Double { base * Double(1 + c % 3) }

    public static func microvolts(sample s: Int, channel c: Int, base: Double) -> Float {
        Float(Double(raw(sample: s, channel: c)) * resolution(base: base, channel: c))
    }

    /// Marker m (1, 2, …) sits on sample m × interval: mostly one-sample "Stimulus" markers
    /// `S  1`…`S 15` for all channels; every 5th is a "Comment" longer than 16 bytes; every 4th
    /// is bound to one channel.
    public static func marker(_ m: Int, channels: Int) -> (type: String, description: String, channel: Int32) {
        let channel: Int32 = m % 4 == 0 ? Int32(m % channels) : -1
        if m % 5 == 0 { return ("Comment", "simulated comment number \(m)", channel) }
        let k = String((m - 1) % 15 + 1)
        return ("Stimulus", "S" + String(repeating: " ", count: 3 - k.count) + k, channel)
    }
}

public struct RDASimulatorOptions: Sendable {
    public var channels = 32
    public var sampleRate = 1000.0
    /// Points per data block (Recorder sends about 20 ms per block); 0 = rate / 50.
    public var blockPoints = 0
    /// Sends int16 data (type 2) instead of float32 (type 4).
    public var int16 = false
    public var resolution = 0.1
    /// A marker every so many samples (0: none).
    public var markerInterval = 0
    /// Seconds between keep-alive messages (0: none).
    public var keepAlive = 1.0
    /// Blocks per acquisition (0: endless); after each acquisition a stop message, then a new
    /// start message while `segments` remain, then only keep-alives.
    public var blocks = 0
    public var segments = 1
    /// Sends PyCorder's opening message (type 100000) before the first start message.
    public var preamble = false
    /// Writes each message in pieces of at most this many bytes (0: whole messages).
    public var fragment = 0
    /// 1 = real time; 0 = as fast as the client reads.
    public var speed = 1.0
    /// Fault injection: after this many blocks, write half a block and go silent.
    public var truncateAfter: Int?
    /// Fault injection: after this many blocks, send a header whose size cannot be valid.
    public var badSizeAfter: Int?
    /// Fault injection: every n-th block is never sent, as when Recorder overruns (0: off).
    public var skipBlockEvery = 0

    public init() {}

    public var points: Int { blockPoints > 0 ? blockPoints : max(1, Int(sampleRate / 50)) }
    public var start: RDA.Start {
        RDA.Start(channels: channels, sampleInterval: 1e6 / sampleRate,
                  resolutions: (0..<channels).map { RDATestSignal.resolution(base: resolution, channel: $0) },
                  names: (0..<channels).map { "Ch\($0 + 1)" })
    }

    public func validate() throws(PyAcqError) {
        guard channels > 0, channels <= 65536, sampleRate > 0, blocks >= 0, segments >= 1, resolution > 0 else {
            throw PyAcqError(.badParams, "simulator needs channels 1…65536, a positive rate and resolution, blocks ≥ 0, segments ≥ 1", exceptionType: "ValueError")
        }
    }
}

/// A BrainVision Recorder stand-in serving RDA on TCP: every client gets a start message, then
/// the deterministic signal of `RDATestSignal` in real time, with markers and keep-alives.
public final class RDASimulator: @unchecked Sendable {
    public let options: RDASimulatorOptions
    private let listener: TCPListener
    private let running = Atomic<Bool>(true)
    private let onEvent: @Sendable (String) -> Void
    private let lock = Lock()
    private var clients: [PosixThread] = []

    public var port: Int { listener.port }

    public init(options: RDASimulatorOptions, host: String = "127.0.0.1", port: Int = 0, onEvent: @escaping @Sendable (String) -> Void = { _ in }) throws(PyAcqError) {
        try options.validate()
        self.options = options
        self.listener = try TCPListener(host: host, port: port)
        self.onEvent = onEvent
    }

    /// Accepts clients until `stop()`, each served on its own thread.
    public func run() {
        while running.load(ordering: .acquiring) {
            guard let client = try? listener.accept(timeoutMs: 100) else { continue }
            onEvent("client connected")
            let thread = PosixThread(name: "rda-client") { [self] in
                do throws(PyAcqError) { try serve(client) } catch { onEvent("client gone: \(error.message)") }
                client.close()
            }
            lock.withLock { clients.append(thread) }
        }
        for thread in lock.withLock({ clients }) { thread.join() }
    }

    public func stop() { running.store(false, ordering: .releasing) }

    private var isRunning: Bool { running.load(ordering: .acquiring) }

    private func serve(_ client: TCPConnection) throws(PyAcqError) {
        let o = options
        var lastWrite = monotonicSeconds()
        func send(_ message: [UInt8]) throws(PyAcqError) {
            if o.fragment > 0 {
                var offset = 0
                while offset < message.count {
                    let end = min(message.count, offset + o.fragment)
                    try client.write(message[offset..<end])
                    offset = end
                }
            } else {
                try client.write(message)
            }
            lastWrite = monotonicSeconds()
        }
        /// Waits until `due`, sending keep-alives meanwhile.
        func wait(until due: Double) throws(PyAcqError) {
            while isRunning {
                let now = monotonicSeconds()
                if o.keepAlive > 0 && now - lastWrite >= o.keepAlive { try send(RDA.message(RDA.MessageType.keepAlive.rawValue, body: [])) }
                if now >= due { return }
                napSeconds(min(due - now, 0.005))
            }
        }

        if o.preamble { try send(RDA.message(100000, body: Array("PyCorder simulated".utf8))) }
        var sent = 0
        for segment in 0..<o.segments {
            try send(RDA.startMessage(o.start))
            let t0 = monotonicSeconds()
            var block = 0
            while isRunning && (o.blocks == 0 || block < o.blocks) {
                if o.speed > 0 { try wait(until: t0 + Double((block + 1) * o.points) / o.sampleRate / o.speed) }
                let message = dataBlock(block: block, firstSample: block * o.points)
                if sent == o.truncateAfter {
                    try send(Array(message.prefix(message.count / 2)))
                    onEvent("fault: truncated block \(block) of segment \(segment) after \(message.count / 2) of \(message.count) bytes")
                    try wait(until: .infinity)
                    return
                }
                if sent == o.badSizeAfter {
                    var bad = RDA.message(RDA.MessageType.float32Data.rawValue, body: [])
                    bad[16] = 5; bad[17] = 0; bad[18] = 0; bad[19] = 0
                    try send(bad)
                    onEvent("fault: bad size after \(sent) blocks")
                    try wait(until: .infinity)
                    return
                }
                if o.skipBlockEvery == 0 || block % o.skipBlockEvery != o.skipBlockEvery - 1 { try send(message) }
                block += 1
                sent += 1
            }
            try send(RDA.message(RDA.MessageType.stop.rawValue, body: []))
            onEvent("segment \(segment) stopped after \(block) blocks")
        }
        try wait(until: .infinity)
    }

    /// Block `block` of a segment: samples `firstSample …` and the markers falling in them.
    func dataBlock(block: Int, firstSample: Int) -> [UInt8] {
        let o = options, n = o.channels, points = o.points
        var samples = [UInt8](repeating: 0, count: points * n * (o.int16 ? 2 : 4))
        samples.withUnsafeMutableBytes { raw in
            for p in 0..<points {
                for c in 0..<n {
                    let k = p * n + c
                    if o.int16 {
                        raw.storeBytes(of: RDATestSignal.raw(sample: firstSample + p, channel: c).littleEndian, toByteOffset: 2 * k, as: Int16.self)
                    } else {
                        let v = RDATestSignal.microvolts(sample: firstSample + p, channel: c, base: o.resolution)
                        raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * k, as: UInt32.self)
                    }
                }
            }
        }
        var markers: [RDA.Marker] = []
        if o.markerInterval > 0 {
            var m = max(1, (firstSample + o.markerInterval - 1) / o.markerInterval)
            while m * o.markerInterval < firstSample + points {
                let spec = RDATestSignal.marker(m, channels: n)
                markers.append(RDA.Marker(position: UInt32(m * o.markerInterval - firstSample), points: 1, channel: spec.channel,
                                          type: spec.type, description: spec.description))
                m += 1
            }
        }
        return RDA.dataMessage(block: UInt32(truncatingIfNeeded: block + 1), points: points, samples: samples, int16: o.int16, markers: markers)
    }
}

/// Sleeps without being cut short by signals (PyAcqProcess has the same helper; devices do
/// not depend on it).
func napSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
