import ArgumentParser
import PyAcqCore
#if canImport(Glibc)
import Glibc
#endif

/// `pyacq demo`: a real two-process pipeline. A producer process streams a 16-channel float32
/// signal in real time; this process receives it over plaindata/tcp and then over sharedmem,
/// verifies every sample and shows throughput and latency live.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Stream a 16-channel signal between two processes and verify every sample.")

    @Option(help: "Seconds per transfer mode.") var seconds = 3.0
    @Option(help: "Samples per second.") var rate = 20000.0
    @Option(help: "Samples per chunk.") var chunk = 200
    @Option(help: "Number of channels.") var channels = 16

    func run() throws {
        print("libpyacq \(PyAcqTool.configuration.version) demo: \(channels) channels × \(Int(rate)) samples/s, float32, chunks of \(chunk)")
        var allGood = true
        for (mode, proto) in [("plaindata", "tcp"), ("sharedmem", "tcp")] {
            allGood = try runMode(mode, proto) && allGood
        }
        print(allGood ? "demo: every sample arrived intact." : "demo: FAILED — see above.")
        if !allGood { throw ExitCode.failure }
    }

    func runMode(_ mode: String, _ proto: String) throws -> Bool {
        let child = try ChildProcess(executable: "/proc/self/exe", arguments: [
            "demo-producer", "--transfermode", mode, "--protocol", proto, "--channels", String(channels),
            "--rate", String(rate), "--chunk", String(chunk), "--seconds", String(seconds),
        ], pipeStdin: true, pipeStdout: true)
        defer { child.closeStdin(); child.wait() }
        guard let paramsLine = child.readLine(), case .map(let params) = try Value.fromJSON(paramsLine, what: "producer params") else {
            throw ValidationError("the producer did not report its stream params")
        }
        let input = InputStream(name: "demo")
        try input.connect(params)
        defer { input.close() }
        guard let startLine = child.readLine(), startLine.hasPrefix("start "), let t0 = Double(startLine.dropFirst(6)) else {
            throw ValidationError("the producer did not start")
        }
        let label = "\(mode)/\(proto)"
        let signal = DemoSignal(channels: channels, sampleRate: rate)
        let total = Int(rate * seconds)
        var latencies: [Double] = []
        var mismatches = 0
        var index = 0
        var lastPrint = 0.0
        while index < total {
            let got = try input.receive(timeoutMs: 5000)
            let now = monotonicSeconds()
            latencies.append(now - (t0 + Double(got.index) / rate))
            if let data = got.data, data.toNDArray() != signal.chunk(from: got.index - got.rows, rows: got.rows) { mismatches += 1 }
            index = got.index
            // A terminal gets one live line; a log gets a line per second.
            let interactive = isatty(1) != 0
            if now - lastPrint > (interactive ? 0.25 : 1.0) || index >= total {
                lastPrint = now
                let elapsed = max(now - t0, 1e-9)
                let stats = input.statistics
                let sorted = latencies.sorted()
                let line = "[\(label)] \(format(elapsed, 1)) s  \(stats.samplesReceived)/\(total) samples  "
                    + "\(format(Double(stats.samplesReceived) / elapsed / 1000, 1)) kS/s  "
                    + "\(format(Double(stats.samplesReceived * channels * 4) / elapsed / 1e6, 2)) MB/s  "
                    + "latency median \(format(sorted[sorted.count / 2] * 1000, 2)) ms p99 \(format(sorted[sorted.count * 99 / 100] * 1000, 2)) ms  "
                    + "lost \(stats.samplesLost)  bad chunks \(mismatches)"
                print(interactive ? "\r" + line : line, terminator: interactive ? "" : "\n")
                fflushStdout()
            }
        }
        if isatty(1) != 0 { print() }
        _ = child.readLine()  // "done"
        let stats = input.statistics
        return stats.samplesReceived == total && stats.samplesLost == 0 && mismatches == 0 && stats.malformedMessages == 0
    }

    func format(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (v * scale).rounded() / scale
        var s = String(r)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
        }
        return s
    }
}

/// Flushes stdout so a parent process reading our pipe sees each line at once.
func fflushStdout() { fflush(nil) }
