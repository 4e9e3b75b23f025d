import ArgumentParser
import PyAcqCore

/// The demo's producer process (started by `pyacq demo`). Protocol on stdout: the params JSON
/// line, `start <monotonic seconds>`, then `done <last index>`; it exits when stdin closes.
struct DemoProducerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-producer", abstract: "Producer side of `pyacq demo` (started by it).", shouldDisplay: false)

    @Option var transfermode = "plaindata"
    @Option var `protocol` = "tcp"
    @Option var channels = 16
    @Option var rate = 20000.0
    @Option var chunk = 200
    @Option var seconds = 3.0

    func run() throws {
        let output = OutputStream(name: "demo")
        try output.configure([
            "protocol": .string(`protocol`), "transfermode": .string(transfermode), "dtype": .string("float32"),
            "shape": .array([.int(-1), .int(channels)]), "sample_rate": .double(rate),
            "buffer_size": .int(Int(rate)), "channel_info": .array((0..<channels).map { .map(["name": .string("ch\($0)")]) }),
        ])
        print(try Value.map(output.params.map).jsonText())
        fflushStdout()
        guard try output.waitForSubscribers(1, timeoutMs: 10_000) else {
            throw ValidationError("no consumer subscribed within 10 s")
        }
        let signal = DemoSignal(channels: channels, sampleRate: rate)
        let total = Int(rate * seconds)
        let start = monotonicSeconds()
        print("start \(start)")
        fflushStdout()
        var index = 0
        while index < total {
            let rows = min(chunk, total - index)
            let data = signal.chunk(from: index, rows: rows)
            sleepSeconds(start + Double(index + rows) / rate - monotonicSeconds())
            try output.send(data.view, index: index + rows)
            index += rows
        }
        print("done \(index)")
        fflushStdout()
        _ = readLine()  // wait for the consumer to finish reading before removing the stream
        output.close()
    }
}
