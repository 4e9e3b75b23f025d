import PyAcqCore
import PyAcqDevices
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

// Audio/video device benchmarks (run by benchmarks/av_bench.sh, which measures the ffmpeg
// baselines in the same run). Subcommands print one `result: <name> <value>` line each:
//   decode  <frames>            WebCamAV decode+convert of 640x480 testsrc, frames/s at the consumer
//   encode  <codec> <rgbfile> <frames>   AviRecorder encoding of the frames in <rgbfile>, frames/s
//   latency <seconds>           PyAudio capture→consumer latency (median, p99) over JACK's dummy backend

func fail(_ message: String) -> Never {
    let line = Array("pyacq-av-bench: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

func connectedInput(_ output: OutputStream) throws -> InputStream {
    let input = InputStream()
    try input.connect(output.params.map)
    guard try output.waitForSubscribers(1, timeoutMs: 5000) else { fail("no subscriber") }
    return input
}

func decodeBench(frames: Int) throws {
    let camera = WebCamAV(name: "cam")
    try camera.configure(["url": .string("testsrc=size=640x480:rate=30"), "format": .string("lavfi"), "pace": .bool(false)])
    try camera.output.configure(["protocol": .string("inproc")])
    let input = try connectedInput(try camera.output)
    try camera.initialize()
    let start = monotonicSeconds()
    try camera.start()
    var received = 0
    while received < frames {
        let chunk = try input.receive(timeoutMs: 10000)
        received = chunk.index
    }
    let elapsed = monotonicSeconds() - start
    try camera.close()
    print("result: decode \(Double(frames) / elapsed)")
}

func encodeBench(codec: String, rgbFile: String, frames: Int) throws {
    let (w, h) = (640, 480)
    let size = w * h * 3
    guard let file = fopen(rgbFile, "rb") else { fail("cannot read \(rgbFile)") }
    var arrays: [NDArray] = []
    for _ in 0..<frames {
        let array = NDArray(dtype: .uint8, shape: [h, w, 3])
        guard fread(array.storage.pointer, 1, size, file) == size else { fail("\(rgbFile) holds fewer than \(frames) frames") }
        arrays.append(array)
    }
    fclose(file)
    let dir = "/tmp/pyacq-av-bench-\(getpid())"
    let source = OutputStream()
    try source.configure(["protocol": .string("inproc"), "streamtype": .string("video"), "dtype": .string("uint8"),
                          "shape": .array([.int(h), .int(w), .int(3)]), "sample_rate": .double(30)])
    let recorder = AviRecorder(name: "rec")
    try recorder.configure(["streams": .array([.map(source.params.map)]), "dirname": .string(dir), "codec_name": .string(codec)])
    try recorder.initialize()
    try recorder.start()
    guard try source.waitForSubscribers(1, timeoutMs: 5000) else { fail("recorder did not subscribe") }
    let start = monotonicSeconds()
    for (i, array) in arrays.enumerated() { try source.send(array.view, index: i + 1) }
    try recorder.stop()  // returns once every frame is encoded and the file finished
    let elapsed = monotonicSeconds() - start
    try recorder.close()
    _ = system("rm -rf '\(dir)'")
    print("result: encode-\(codec) \(Double(frames) / elapsed)")
}

final class Times: @unchecked Sendable {
    var callback = [Double](repeating: 0, count: 1 << 16)
    var received = [Double](repeating: 0, count: 1 << 16)
}

func latencyBench(seconds: Double) throws {
    let jack = try JackSimulator(serverName: "pyacqbench", sampleRate: 48000, period: 256)
    defer { jack.stop() }
    let chunk = 256
    let node = PyAudio(name: "mic")
    let times = Times()
    node.captureObserver = { index, time in
        let k = index / chunk
        if k < times.callback.count { times.callback[k] = time }
    }
    try node.configure(["nb_channel": .int(2), "sample_rate": .double(48000), "format": .string("float32"),
                        "input_device_index": .string("jack_simple_client"), "chunksize": .int(chunk)])
    try node.output(named: "signals").configure(["protocol": .string("inproc")])
    let input = try connectedInput(try node.output(named: "signals"))
    try node.initialize()
    try node.start()
    let end = monotonicSeconds() + seconds
    var last = 0
    while monotonicSeconds() < end {
        let c = try input.receive(timeoutMs: 5000)
        let k = c.index / chunk
        if k < times.received.count { times.received[k] = monotonicSeconds() }
        last = k
    }
    try node.stop()
    try node.close()
    // Skip the first half second (ports being connected, caches warming up).
    let first = 48000 / 2 / chunk
    var latencies: [Double] = []
    for k in first...max(first, last) where times.callback[k] > 0 && times.received[k] > 0 {
        latencies.append(times.received[k] - times.callback[k])
    }
    guard !latencies.isEmpty else { fail("no chunks received") }
    latencies.sort()
    let median = latencies[latencies.count / 2], p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
    print("result: latency-median-ms \(median * 1000)")
    print("result: latency-p99-ms \(p99 * 1000)")
    print("result: jack-period-ms \(Double(chunk) / 48.0)")
}

let args = CommandLine.arguments
do {
    switch args.count > 1 ? args[1] : "" {
    case "decode": try decodeBench(frames: args.count > 2 ? Int(args[2]) ?? 600 : 600)
    case "encode" where args.count > 4: try encodeBench(codec: args[2], rgbFile: args[3], frames: Int(args[4]) ?? 100)
    case "latency": try latencyBench(seconds: args.count > 2 ? Double(args[2]) ?? 5 : 5)
    default: fail("usage: pyacq-av-bench decode [frames] | encode <codec> <rgbfile> <frames> | latency [seconds]")
    }
} catch let error as PyAcqError {
    fail(error.message)
}
