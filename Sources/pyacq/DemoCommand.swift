import ArgumentParser
import PyAcqCore
import PyAcqProcess
import PyAcqRPC
#if canImport(Glibc)
import Glibc
#endif

/// `pyacq demo`: the main job end to end. A Manager (in this process) spawns two NodeGroup
/// processes; a NumpyDeviceBuffer in the first streams 16 channels over plaindata/tcp to a
/// StreamConverter in the second, which publishes them through shared memory to this process.
/// Every sample is checked against the device's buffer; the live view shows rate, latency and
/// a min/max bar per channel; at the end everything shuts down and the tally is printed.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a 3-process acquisition graph and verify every sample live.")

    @Option(help: "Seconds to stream.") var seconds = 4.0
    @Option(help: "Samples per second.") var rate = 20000.0
    @Option(help: "Samples per chunk.") var chunk = 200
    @Option(help: "Number of channels.") var channels = 16

    func run() throws {
        let terminal = isatty(1) != 0
        print("libpyacq demo: \(channels) channels × \(Int(rate)) samples/s float32 for \(seconds) s")
        let graph = try DemoGraph(channels: channels, rate: rate, chunk: chunk)
        defer { graph.shutDown() }
        print("manager: node groups '\(graph.acquisitionName)' (NumpyDeviceBuffer) and '\(graph.processingName)' (StreamConverter) spawned")
        let view = LiveView(channels: channels, terminal: terminal)
        let tally = try graph.stream(seconds: seconds) { stats in view.draw(stats) }
        view.finish()
        graph.shutDown()
        let verdict = tally.isPerfect
            ? "demo: every sample arrived: \(tally.samples) samples × \(channels) channels verified, none lost, none wrong."
            : "demo: FAILED: \(tally.samples) samples received, \(tally.lost) lost, \(tally.wrong) wrong, \(tally.malformed) malformed."
        print(verdict)
        print("demo: shut down cleanly: \(graph.leftoverProcesses == 0 ? "no process left behind" : "\(graph.leftoverProcesses) processes still running")")
        if !tally.isPerfect || graph.leftoverProcesses != 0 { throw ExitCode.failure }
    }
}

/// What the demo measured.
struct DemoTally {
    var samples = 0
    var lost = 0
    var wrong = 0
    var malformed = 0
    var expected = 0
    var isPerfect: Bool { lost == 0 && wrong == 0 && malformed == 0 && samples >= expected && samples > 0 }
}

/// Per-refresh figures for the live view.
struct DemoStats {
    var elapsed: Double
    var samples: Int
    var rate: Double
    var latencies: [Double]
    var lost: Int
    var wrong: Int
    var minima: [Float]
    var maxima: [Float]
}

/// The graph: Manager + two spawned NodeGroups + a local shared-memory input.
final class DemoGraph {
    let acquisitionName = "acquisition", processingName = "processing"
    let channels: Int, rate: Double, chunk: Int
    private let graphManager: LocalManager
    private let manager: Manager
    private let device: ObjectProxy, converter: ObjectProxy
    private let input = InputStream(name: "demo")
    private let buffer: NDArray
    private var pids: [Int32] = []
    private var closed = false

    init(channels: Int, rate: Double, chunk: Int) throws(PyAcqError) {
        self.channels = channels
        self.rate = rate
        self.chunk = chunk
        graphManager = try LocalManager(mode: .inProcess)
        guard let manager = graphManager.manager else { throw PyAcqError(.internalError, "an in-process manager has no Manager") }
        self.manager = manager
        buffer = DemoGraph.signal(rows: chunk * Int((rate / Double(chunk)).rounded(.up)), channels: channels, rate: rate)

        let acquisition = try manager.createNodeGroup(name: acquisitionName, host: .null, options: [:])
        let processing = try manager.createNodeGroup(name: processingName, host: .null, options: [:])
        pids = manager.defaultHost.childPids

        device = try DemoGraph.proxy(try acquisition.attribute("create_node").invoke([.string("NumpyDeviceBuffer")], ["name": .string("device")]))
        _ = try device.attribute("configure").invoke([], ["nb_channel": .int(channels), "sample_interval": .double(1 / rate),
                                                         "chunksize": .int(chunk), "buffer": .ndarray(buffer)])
        _ = try device.attribute("output").attribute("configure").invoke([], ["protocol": .string("tcp"), "transfermode": .string("plaindata")])
        _ = try device.attribute("initialize").invoke()

        converter = try DemoGraph.proxy(try processing.attribute("create_node").invoke([.string("StreamConverter")], ["name": .string("to_shm")]))
        _ = try converter.attribute("configure").invoke()
        _ = try converter.attribute("input").attribute("connect").invoke([device.attribute("output").wireValue])
        _ = try converter.attribute("output").attribute("configure").invoke([], [
            "protocol": .string("tcp"), "transfermode": .string("sharedmem"), "buffer_size": .int(Int(rate) * 2), "double": .bool(true),
        ])
        _ = try converter.attribute("initialize").invoke()
        try input.connect(to: converter.attribute("output").wireValue, server: nil)
    }

    static func proxy(_ result: ObjectProxyOrValue) throws(PyAcqError) -> ObjectProxy {
        guard let p = result.proxy else { throw PyAcqError(.remote, "expected a proxy") }
        return p
    }

    /// One second of signal: channel c is a sine at (c + 1) Hz with a small channel offset.
    static func signal(rows: Int, channels: Int, rate: Double) -> NDArray {
        var values = [Float](repeating: 0, count: rows * channels)
        for r in 0..<rows {
            for c in 0..<channels {
                values[r * channels + c] = Float(sin(2 * Double.pi * Double(c + 1) * Double(r) / Double(rows))) * (1 + Float(c) / 8)
            }
        }
        return NDArray(dtype: .float32, shape: [rows, channels], values: values)
    }

    /// Streams for `seconds`, checking each chunk against the device buffer.
    func stream(seconds: Double, refresh: (DemoStats) -> Void) throws(PyAcqError) -> DemoTally {
        _ = try converter.attribute("start").invoke()
        _ = try device.attribute("start").invoke()
        guard let startTime = try device.attribute("start_time").value().doubleValue else { throw PyAcqError(.remote, "no start time") }
        let total = Int(seconds * rate)
        let rows = buffer.shape[0]
        let expected = buffer.values(as: Float.self)
        var tally = DemoTally(expected: total)
        var latencies: [Double] = []
        var minima = [Float](repeating: .infinity, count: channels), maxima = [Float](repeating: -.infinity, count: channels)
        var lastRefresh = monotonicSeconds()
        var index = 0
        while index < total {
            let got = try input.receive(timeoutMs: 5000)
            let now = monotonicSeconds()
            latencies.append(now - (startTime + Double(got.index) / rate))
            guard let data = got.data else { continue }
            let values = data.toNDArray().values(as: Float.self)
            for r in 0..<got.rows {
                let sample = got.index - got.rows + r
                let source = (sample % rows) * channels
                for c in 0..<channels {
                    let v = values[r * channels + c]
                    if v != expected[source + c] { tally.wrong += 1 }
                    minima[c] = min(minima[c], v)
                    maxima[c] = max(maxima[c], v)
                }
            }
            index = got.index
            tally.samples = input.statistics.samplesReceived
            tally.lost = input.statistics.samplesLost
            if now - lastRefresh >= 0.25 || index >= total {
                lastRefresh = now
                refresh(DemoStats(elapsed: now - startTime, samples: tally.samples, rate: Double(tally.samples) / max(now - startTime, 1e-6),
                                  latencies: latencies, lost: tally.lost, wrong: tally.wrong, minima: minima, maxima: maxima))
                minima = minima.map { _ in .infinity }
                maxima = maxima.map { _ in -.infinity }
            }
        }
        tally.malformed = input.statistics.malformedMessages
        _ = try device.attribute("stop").invoke()
        _ = try converter.attribute("stop").invoke()
        return tally
    }

    func shutDown() {
        guard !closed else { return }
        closed = true
        input.close()
        graphManager.close()
    }

    var leftoverProcesses: Int { pids.filter { kill($0, 0) == 0 }.count }
}

/// The terminal view: one status line and one min/max bar per channel, redrawn in place on a
/// terminal, a status line per second in a log.
final class LiveView {
    let channels: Int
    let terminal: Bool
    private var drawn = false
    private var lastLogged = -1

    init(channels: Int, terminal: Bool) {
        self.channels = channels
        self.terminal = terminal
    }

    func draw(_ s: DemoStats) {
        let sorted = s.latencies.sorted()
        let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2] * 1000
        let p99 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * 99 / 100)] * 1000
        let status = "\(fixed(s.elapsed, 1)) s  \(s.samples) samples  \(fixed(s.rate / 1000, 1)) kS/s  latency median \(fixed(median, 2)) ms p99 \(fixed(p99, 2)) ms  lost \(s.lost)  wrong \(s.wrong)"
        guard terminal else {
            if Int(s.elapsed) != lastLogged { lastLogged = Int(s.elapsed); print(status) }
            return
        }
        var lines = [status]
        let width = 40
        for c in 0..<channels {
            let lo = Int(((Double(s.minima[c]) + 3) / 6 * Double(width)).rounded()), hi = Int(((Double(s.maxima[c]) + 3) / 6 * Double(width)).rounded())
            let bar = (0..<width).map { $0 >= lo && $0 <= hi ? "█" : "·" }.joined()
            lines.append(String("ch\(c)".padding(5)) + " [\(bar)] \(fixed(Double(s.minima[c]), 2)) .. \(fixed(Double(s.maxima[c]), 2))")
        }
        if drawn { print("\u{1b}[\(lines.count)A", terminator: "") }
        for line in lines { print("\u{1b}[2K" + line) }
        fflush(nil)
        drawn = true
    }

    func finish() { fflush(nil) }

    func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        var s = String((v * scale).rounded() / scale)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
        }
        return s
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
