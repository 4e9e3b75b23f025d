import PyAcqCore
import Synchronization

/// OpenBCI Cyton (8 channels, 250 Hz) or Cyton + Daisy (16 channels, 125 Hz) on a serial port
/// (PROTOCOL §14.4). `configure(device_handle='/dev/ttyUSB0', daisy=None, scale='uV', gain=24)`
/// opens the port (115200 8N1), soft-resets the board (`v`) and reads its banner up to `$$$`;
/// `daisy=None` trusts the banner ("On Daisy"). Outputs `chan` (µV float32, or raw int64
/// counts with `scale='raw'` as pyacq sends) and `aux` (accelerometer in g float32, or raw
/// int64). `b` starts streaming, `s` stops it. Missing samples (from the sample counter) are
/// counted and skipped in the output index so time stays right; garbage bytes are skipped and
/// counted; a port that vanishes is reported and reopened when it comes back.
public final class OpenBCINode: Node, @unchecked Sendable {
    public override class var typeName: String { "OpenBCI" }
    public override class var outputSpecs: [(String, ValueMap)] {
        [("chan", spec(width: 8, rate: OpenBCI.sampleRate, raw: true)), ("aux", spec(width: 3, rate: OpenBCI.sampleRate, raw: true))]
    }

    static func spec(width: Int, rate: Double, raw: Bool) -> ValueMap {
        ["streamtype": .string("analogsignal"), "dtype": .string(raw ? "int64" : "float32"), "shape": .array([.int(-1), .int(width)]),
         "sample_rate": .double(rate), "nb_channel": .int(width)]
    }

    public private(set) var devicePath = "/dev/ttyUSB0"
    public private(set) var daisy = false
    public private(set) var raw = false
    private var gain = 24.0
    private var banner = ""
    private var port: SerialPort?
    private var thread: PosixThread?
    private let running = Atomic<Bool>(false)
    private let status = DeviceStatus(source: "OpenBCI", counters: [
        "packets_decoded", "bytes_skipped", "packets_corrupt", "samples_dropped", "daisy_halves_orphaned", "reopens", "errors",
    ])

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        let allowed: Set<String> = ["device_handle", "daisy", "scale", "gain"]
        if let unknown = kwargs.keys.first(where: { !allowed.contains($0) }) {
            throw PyAcqError(.badParams, "OpenBCI.configure() got an unexpected keyword '\(unknown)'", exceptionType: "TypeError")
        }
        devicePath = kwargs["device_handle"]?.stringValue ?? "/dev/ttyUSB0"
        let scale = kwargs["scale"]?.stringValue ?? "uV"
        guard scale == "uV" || scale == "raw" else {
            throw PyAcqError(.badParams, "OpenBCI scale must be 'uV' (float32 µV and g) or 'raw' (int64 counts), not '\(scale)'", exceptionType: "ValueError")
        }
        raw = scale == "raw"
        gain = kwargs["gain"]?.doubleValue ?? 24
        guard [1.0, 2, 4, 6, 8, 12, 24].contains(gain) else {
            throw PyAcqError(.badParams, "OpenBCI gain must be one of the ADS1299 gains 1, 2, 4, 6, 8, 12, 24", exceptionType: "ValueError")
        }
        port?.close()
        let opened = try SerialPort(path: devicePath)
        try opened.write("s")
        try opened.write("v")
        banner = try opened.readText(until: "$$$", timeoutMs: 5000)
        guard banner.contains("$$$") else {
            opened.close()
            throw PyAcqError(.io, "no OpenBCI board answered on \(devicePath): expected its banner ending in '$$$' after the reset command 'v', got \(banner.utf8.count) bytes",
                             exceptionType: "OSError")
        }
        port = opened
        daisy = kwargs["daisy"]?.boolValue ?? banner.contains("Daisy")
        let rate = daisy ? OpenBCI.sampleRate / 2 : OpenBCI.sampleRate
        setOutputSpec("chan", Self.spec(width: daisy ? 16 : 8, rate: rate, raw: raw))
        setOutputSpec("aux", Self.spec(width: 3, rate: rate, raw: raw))
    }

    public override func outputConfigured(_ streamName: String) {
        let names = streamName == "chan" ? (0..<(daisy ? 16 : 8)).map { "ch\($0)" } : ["aux0", "aux1", "aux2"]
        try? output(named: streamName).setParam("channel_info", .array(names.map { .map(["name": .string($0)]) }))
    }

    public override func attribute(_ attributeName: String) -> Value? {
        switch attributeName {
        case "board_info": return .string(banner)
        case "daisy": return .bool(daisy)
        default: return status.attribute(attributeName)
        }
    }

    public override func didStart() throws(PyAcqError) {
        guard let port else { throw PyAcqError(.state, "OpenBCI port \(devicePath) is not open; configure() again") }
        let chan = try output(named: "chan"), aux = try output(named: "aux")
        try port.write("b")
        status.reset()
        running.store(true, ordering: .releasing)
        let reader = OpenBCIReader(port: port, path: devicePath, daisy: daisy, raw: raw,
                                   scale: (Float(OpenBCI.microvoltsPerCount(gain: gain)), Float(OpenBCI.gPerCount)),
                                   chan: chan, aux: aux, status: status)
        thread = PosixThread(name: "\(name)-serial") { [self] in
            self.port = reader.run(while: { running.load(ordering: .acquiring) })
        }
    }

    public override func didStop() throws(PyAcqError) {
        running.store(false, ordering: .releasing)
        thread?.join()
        thread = nil
        try? port?.write("s")
    }

    public override func didClose() throws(PyAcqError) {
        port?.close()
        port = nil
    }
}

/// The acquisition loop of one start…stop: reads the port, decodes, sends rows.
final class OpenBCIReader: @unchecked Sendable {
    let path: String, raw: Bool, scale: (uV: Float, g: Float)
    let chan: OutputStream, aux: OutputStream
    let status: DeviceStatus
    private var port: SerialPort?
    private var decoder: OpenBCIDecoder
    private let rows: OpenBCIRows
    private var index = 0

    init(port: SerialPort, path: String, daisy: Bool, raw: Bool, scale: (uV: Float, g: Float), chan: OutputStream, aux: OutputStream, status: DeviceStatus) {
        self.port = port; self.path = path; self.raw = raw; self.scale = scale
        self.chan = chan; self.aux = aux; self.status = status
        decoder = OpenBCIDecoder(daisy: daisy)
        rows = OpenBCIRows(width: decoder.width)
    }

    /// Runs until `keepGoing` says no; returns the port (nil if it vanished and never came back).
    func run(while keepGoing: () -> Bool) -> SerialPort? {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        var reported = false
        while keepGoing() {
            guard let live = port else {
                // Reopen a port that vanished (a USB dongle plugged back in).
                if let again = try? SerialPort(path: path), (try? again.write("b")) != nil {
                    port = again
                    status.add("reopens")
                    reported = false
                } else {
                    napSeconds(0.2)
                }
                continue
            }
            do throws(PyAcqError) {
                let n = try live.read(into: buffer, count: 1 << 16, timeoutMs: 100)
                guard n > 0 else { continue }
                decoder.feed(UnsafeRawBufferPointer(start: buffer, count: n), into: rows)
                try flush()
            } catch {
                if !reported { status.error(error.message) }
                reported = true
                live.close()
                port = nil
            }
        }
        return port
    }

    /// Sends the decoded rows, split where samples are missing (the index jumps over them).
    private func flush() throws(PyAcqError) {
        status.set("packets_decoded", decoder.packetsDecoded)
        status.set("bytes_skipped", decoder.bytesSkipped)
        status.set("packets_corrupt", decoder.packetsCorrupt)
        status.set("samples_dropped", decoder.samplesDropped)
        status.set("daisy_halves_orphaned", decoder.halvesOrphaned)
        let total = rows.count
        guard total > 0 else { return }
        var start = 0
        for gap in rows.gaps + [(row: total, missing: 0)] {
            if gap.row > start { try send(from: start, to: gap.row) }
            index += gap.missing
            start = gap.row
        }
        rows.removeAll()
    }

    private func send(from start: Int, to end: Int) throws(PyAcqError) {
        let width = decoder.width, count = end - start
        let chanData = NDArray(dtype: raw ? .int64 : .float32, shape: [count, width])
        let auxData = NDArray(dtype: raw ? .int64 : .float32, shape: [count, 3])
        convert(rows.channels, from: start * width, count: count * width, to: chanData, factor: scale.uV)
        convert(rows.aux, from: start * 3, count: count * 3, to: auxData, factor: scale.g)
        index += count
        try chan.send(chanData.view, index: index)
        try aux.send(auxData.view, index: index)
    }

    private func convert<T: BinaryInteger>(_ src: UnsafeBufferPointer<T>, from offset: Int, count: Int, to out: NDArray, factor: Float) {
        if raw {
            let dst = out.storage.pointer.assumingMemoryBound(to: Int64.self)
            for k in 0..<count { dst[k] = Int64(src[offset + k]) }
        } else {
            let dst = out.storage.pointer.assumingMemoryBound(to: Float.self)
            for k in 0..<count { dst[k] = Float(src[offset + k]) * factor }
        }
    }
}
