#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore
import Synchronization

/// BrainVision Recorder RDA client (PROTOCOL §14.4). `configure(brainamp_host='localhost',
/// brainamp_port=51244, reconnect_interval=0.5)` reads the recorder's start message for the
/// channel layout; while running, float32 (type 4) and int16 (type 2, scaled by each channel's
/// resolution) blocks go to `signals` as µV float32, markers to `triggers` with absolute sample
/// positions and cumulative indexes. Unknown messages and keep-alives are skipped. A stop
/// message pauses acquisition; a new start message (same connection, or after a reconnection
/// when the recorder restarts) resumes it and puts a "New Segment" marker on `triggers` at the
/// first new sample, as BrainVision files mark discontinuities.
public final class BrainAmpSocket: Node, @unchecked Sendable {
    public override class var typeName: String { "BrainAmpSocket" }

    static let triggerDType: Value = .array([
        .array([.string("pos"), .string("int64")]), .array([.string("points"), .string("int64")]),
        .array([.string("channel"), .string("int64")]), .array([.string("type"), .string("S16")]),
        .array([.string("description"), .string("S16")]),
    ])

    public override class var outputSpecs: [(String, ValueMap)] {
        [("signals", signalSpec(channels: 32, rate: 512)),
         ("triggers", ["streamtype": .string("event"), "dtype": triggerDType, "shape": .array([.int(-1)])])]
    }

    static func signalSpec(channels: Int, rate: Double) -> ValueMap {
        ["streamtype": .string("analogsignal"), "dtype": .string("float32"), "shape": .array([.int(-1), .int(channels)]),
         "compression": .string(""), "timeaxis": .int(0), "sample_rate": .double(rate), "nb_channel": .int(channels)]
    }

    public private(set) var host = "localhost"
    public private(set) var port = RDA.float32Port
    public private(set) var layout: RDA.Start?
    private var reconnectInterval = 0.5
    private var thread: PosixThread?
    private var acquisition: RDAAcquisition?
    private let status = DeviceStatus(source: "BrainAmpSocket", counters: [
        "blocks_received", "blocks_missed", "messages_skipped", "markers_received", "reconnects", "segments", "stops_received", "errors",
    ], flags: ["acquiring"])

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        let allowed: Set<String> = ["brainamp_host", "brainamp_port", "reconnect_interval"]
        if let unknown = kwargs.keys.first(where: { !allowed.contains($0) }) {
            throw PyAcqError(.badParams, "BrainAmpSocket.configure() got an unexpected keyword '\(unknown)'", exceptionType: "TypeError")
        }
        let p = StreamParams(kwargs)
        host = kwargs["brainamp_host"]?.stringValue ?? "localhost"
        port = try p.int("brainamp_port", default: RDA.float32Port)
        reconnectInterval = kwargs["reconnect_interval"]?.doubleValue ?? 0.5
        guard (1...65535).contains(port), reconnectInterval > 0 else {
            throw PyAcqError(.badParams, "brainamp_port must be 1…65535 and reconnect_interval positive", exceptionType: "ValueError")
        }
        let start = try readStartMessage()
        layout = start
        setOutputSpec("signals", Self.signalSpec(channels: start.channels, rate: start.sampleRate))
    }

    /// Connects once and waits (≤ 5 s) for the start message, skipping anything before it.
    private func readStartMessage() throws(PyAcqError) -> RDA.Start {
        let connection: TCPConnection
        do {
            connection = try TCPConnection.connect(host: host, port: port, timeoutMs: 3000)
        } catch {
            throw PyAcqError(.io, "BrainAmpSocket: \(error.message) (is BrainVision Recorder running with Remote Data Access enabled?)", exceptionType: "ConnectionError")
        }
        defer { connection.close() }
        let reader = RDAMessageReader()
        let deadline = monotonicSeconds() + 5
        while monotonicSeconds() < deadline {
            guard let message = try reader.next(from: connection, timeoutMs: 100) else { continue }
            if message.type == RDA.MessageType.start.rawValue { return try RDA.parseStart(message.body) }
        }
        throw PyAcqError(.timeout, "BrainAmpSocket: \(host):\(port) sent no RDA start message within 5 s (is the recorder monitoring?)", exceptionType: "TimeoutError")
    }

    public override func outputConfigured(_ streamName: String) {
        guard streamName == "signals", let layout else { return }
        try? output(named: "signals").setParam("channel_info", .array(layout.names.map { .map(["name": .string($0)]) }))
    }

    public override func attribute(_ attributeName: String) -> Value? {
        switch attributeName {
        case "nb_channel": return layout.map { .int($0.channels) }
        case "sample_rate": return layout.map { .double($0.sampleRate) }
        case "resolutions": return layout.map { .array($0.resolutions.map { .double($0) }) }
        default: return status.attribute(attributeName)
        }
    }

    public override func didStart() throws(PyAcqError) {
        guard let layout else { throw PyAcqError(.state, "BrainAmpSocket is not configured") }
        let acquisition = RDAAcquisition(host: host, port: port, layout: layout, reconnectInterval: reconnectInterval,
                                         signals: try output(named: "signals"), triggers: try output(named: "triggers"),
                                         triggerDType: try DType(Self.triggerDType), status: status)
        status.reset()
        self.acquisition = acquisition
        thread = PosixThread(name: "\(name)-rda") { acquisition.run() }
    }

    public override func didStop() throws(PyAcqError) {
        acquisition?.stop()
        thread?.join()
        thread = nil
        acquisition = nil
        status.set("acquiring", false)
    }
}

/// The acquisition loop of one start…stop of a BrainAmpSocket: connects (and reconnects),
/// reads messages and sends what they carry.
final class RDAAcquisition: @unchecked Sendable {
    let host: String, port: Int, layout: RDA.Start, reconnectInterval: Double
    let signals: OutputStream, triggers: OutputStream, triggerDType: DType
    private let running = Atomic<Bool>(true)
    let status: DeviceStatus

    /// Samples and markers sent so far (the two streams' indexes).
    private var head = 0
    private var markerCount = 0
    private var resolutions: [Double] = []
    private var acquiring = false
    private var nextBlock: UInt32?
    /// A start message after samples were sent begins a new segment.
    private var segmentPending = false

    init(host: String, port: Int, layout: RDA.Start, reconnectInterval: Double, signals: OutputStream, triggers: OutputStream,
         triggerDType: DType, status: DeviceStatus) {
        self.host = host; self.port = port; self.layout = layout; self.reconnectInterval = reconnectInterval
        self.signals = signals; self.triggers = triggers; self.triggerDType = triggerDType
        self.status = status
    }

    func stop() { running.store(false, ordering: .releasing) }

    private var isRunning: Bool { running.load(ordering: .acquiring) }

    private func fail(_ message: String) {
        status.error(message)
        status.set("acquiring", false)
    }

    func run() {
        let reader = RDAMessageReader()
        var connection: TCPConnection?
        var connectedBefore = false
        var outage = false
        while isRunning {
            guard let live = connection else {
                do {
                    connection = try TCPConnection.connect(host: host, port: port, timeoutMs: 1000)
                    reader.reset()
                    acquiring = false
                    if connectedBefore { status.add("reconnects") }
                    connectedBefore = true
                    outage = false
                } catch {
                    if !outage { fail("\(error.message); retrying every \(reconnectInterval) s") }
                    outage = true
                    let until = monotonicSeconds() + reconnectInterval
                    while isRunning && monotonicSeconds() < until { napSeconds(0.02) }
                }
                continue
            }
            do throws(PyAcqError) {
                guard let message = try reader.next(from: live, timeoutMs: 100) else { continue }
                try handle(type: message.type, body: message.body)
            } catch {
                // Samples of complete blocks are already sent; a partial block is dropped.
                fail("\(error.message); reconnecting")
                live.close()
                connection = nil
                if head > 0 { segmentPending = true }
            }
        }
        connection?.close()
    }

    private func handle(type: UInt32, body: UnsafeRawBufferPointer) throws(PyAcqError) {
        switch RDA.MessageType(rawValue: type) {
        case .start?:
            let start = try RDA.parseStart(body)
            guard start.channels == layout.channels, abs(start.sampleRate - layout.sampleRate) <= 1e-6 * layout.sampleRate else {
                acquiring = false
                fail("the recorder now sends \(start.channels) channels at \(start.sampleRate) Hz but this node was configured for \(layout.channels) at \(layout.sampleRate) Hz; stop, configure and start it again")
                return
            }
            resolutions = start.resolutions
            acquiring = true
            nextBlock = nil
            if segmentPending || head > 0 {
                segmentPending = false
                try sendMarkers([RDA.Marker(position: 0, points: 1, channel: -1, type: "New Segment", description: "")], blockStart: head)
                status.add("segments")
            }
            status.set("acquiring", true)
        case .float32Data?, .int16Data?:
            guard acquiring else { status.add("messages_skipped"); return }
            try handleBlock(body, int16: type == RDA.MessageType.int16Data.rawValue)
        case .stop?:
            acquiring = false
            segmentPending = head > 0
            status.add("stops_received")
            status.set("acquiring", false)
        case .keepAlive?, nil:
            status.add("messages_skipped")
        }
    }

    private func handleBlock(_ body: UnsafeRawBufferPointer, int16: Bool) throws(PyAcqError) {
        let n = layout.channels
        let sampleSize = int16 ? 2 : 4
        let header = try RDA.parseBlockHeader(body, channels: n, sampleSize: sampleSize)
        let markerStart = RDA.BlockHeader.size + header.points * n * sampleSize
        let markers = try RDA.parseMarkers(body, from: markerStart, count: header.markerCount)
        var missed = 0
        if let expected = nextBlock, header.block != expected { missed = Int(header.block &- expected) }
        nextBlock = header.block &+ 1
        let data = NDArray(dtype: .float32, shape: [header.points, n])
        let samples = body.baseAddress.map { $0 + RDA.BlockHeader.size }
        if let samples, header.points > 0 {
            if int16 {
                let out = data.storage.pointer.assumingMemoryBound(to: Float.self)
                for p in 0..<header.points {
                    for c in 0..<n {
                        let raw = Int16(littleEndian: samples.loadUnaligned(fromByteOffset: 2 * (p * n + c), as: Int16.self))
                        out[p * n + c] = Float(Double(raw) * resolutions[c])
                    }
                }
            } else {
                data.storage.pointer.copyMemory(from: samples, byteCount: header.points * n * 4)
            }
        }
        // Blocks the recorder never sent: their samples are skipped in the index (time stays
        // right; shared-memory readers see NaN there), assuming this block's length.
        head += missed * header.points
        let blockStart = head
        head += header.points
        if header.points > 0 { try signals.send(data.view, index: head) }
        try sendMarkers(markers, blockStart: blockStart)
        status.add("blocks_received")
        status.add("blocks_missed", missed)
        status.add("markers_received", markers.count)
    }

    /// Markers as `triggers` records: absolute positions, index = markers sent so far.
    private func sendMarkers(_ markers: [RDA.Marker], blockStart: Int) throws(PyAcqError) {
        guard !markers.isEmpty else { return }
        let records = NDArray(dtype: triggerDType, shape: [markers.count])
        let base = records.storage.pointer
        memset(base, 0, markers.count * 56)
        for (k, m) in markers.enumerated() {
            let r = base + k * 56
            r.storeBytes(of: Int64(blockStart + Int(m.position)), toByteOffset: 0, as: Int64.self)
            r.storeBytes(of: Int64(m.points), toByteOffset: 8, as: Int64.self)
            r.storeBytes(of: Int64(m.channel), toByteOffset: 16, as: Int64.self)
            for (offset, text) in [(24, m.type), (40, m.description)] {
                let bytes = Array(text.utf8.prefix(16))
                bytes.withUnsafeBytes { if let src = $0.baseAddress { (r + offset).copyMemory(from: src, byteCount: bytes.count) } }
            }
        }
        markerCount += markers.count
        try triggers.send(records.view, index: markerCount)
    }
}
