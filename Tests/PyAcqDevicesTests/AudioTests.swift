import PyAcqCore
import PyAcqDevices
import PyAcqNodes
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The PyAudio node against a real JACK server on the dummy backend (no sound card): what the
/// node captures is jack_simple_client's sine, paced in real time by the server.
@Suite(.serialized) struct AudioTests {
    init() { DeviceNodes.register() }

    /// A configured PyAudio node whose capture output feeds a local input.
    func captureNode(_ kwargs: ValueMap, transfermode: String = "plaindata") throws -> (PyAudio, InputStream) {
        let node = PyAudio(name: "mic")
        try node.configure(kwargs)
        var params: ValueMap = ["protocol": .string("inproc"), "transfermode": .string(transfermode)]
        if transfermode == "sharedmem" { params["buffer_size"] = .int(48000) }
        let output = try node.output(named: "signals")
        try output.configure(params)
        let input = InputStream()
        try input.connect(output.params.map)
        #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
        try node.initialize()
        return (node, input)
    }

    /// Receives chunks until `frames` frames arrived; checks the indexes count every frame.
    func receive(_ input: InputStream, frames: Int, channels: Int, firstIndex: Int = 0) throws -> [[Double]] {
        var columns = [[Double]](repeating: [], count: channels)
        var expected = firstIndex
        while columns[0].count < frames {
            let chunk = try input.receive(timeoutMs: 5000)
            let data = try #require(chunk.data)
            #expect(chunk.index == expected + chunk.rows, "indexes count frames without gaps")
            expected = chunk.index
            let values = try data.converted(to: .float64).values(as: Double.self)
            for r in 0..<chunk.rows { for c in 0..<channels { columns[c].append(values[r * channels + c]) } }
        }
        return columns
    }

    /// Frequency from upward zero crossings, amplitude from the peak.
    func measure(_ samples: [Double], rate: Double) -> (frequency: Double, amplitude: Double) {
        var crossings: [Int] = []
        for i in 1..<samples.count where samples[i - 1] < 0 && samples[i] >= 0 { crossings.append(i) }
        guard crossings.count >= 2 else { return (0, samples.map(abs).max() ?? 0) }
        let period = Double(crossings.last! - crossings.first!) / Double(crossings.count - 1)
        return (rate / period, samples.map(abs).max() ?? 0)
    }

    @Test func capturesTheSineOfTheJackClient() throws {
        let jack = try JackSimulator()
        for (format, scale, mode) in [("float32", 1.0, "plaindata"), ("int16", 32768.0, "sharedmem"), ("int32", 2_147_483_648.0, "plaindata")] {
            let (node, input) = try captureNode(["nb_channel": .int(2), "sample_rate": .double(48000), "format": .string(format),
                                                 "input_device_index": .string("jack_simple_client"), "chunksize": .int(256)],
                                                transfermode: mode)
            let params = try node.output(named: "signals").params
            #expect(params["dtype"] == .string(format))
            #expect(params["gain"]?.doubleValue == 1 / scale)
            #expect(params["shape"] == .array([.int(256), .int(2)]))
            try node.start()
            let columns = try receive(input, frames: 48000, channels: 2)
            try node.stop()
            for (channel, expected) in jack.sineFrequencies.enumerated() {
                // The first period may hold the silence before the client's ports were connected.
                let (frequency, amplitude) = measure(Array(columns[channel].dropFirst(2048)).map { $0 / scale }, rate: 48000)
                #expect(abs(frequency - expected) < 1, "\(format) channel \(channel): \(frequency) Hz, expected \(expected)")
                #expect(abs(amplitude - 0.2) < 0.01, "\(format) channel \(channel): amplitude \(amplitude)")
            }
            let counters = try #require(node.attribute("counters"))
            #expect((counters.mapValue?["callbacks"]?.intValue ?? 0) >= 48000 / 256)
            #expect(node.attribute("input_overflows") != nil)
            try node.close()
            input.close()
        }
    }

    @Test func restartsAfterStopWithIndexesFromZero() throws {
        let jack = try JackSimulator()
        defer { jack.stop() }
        let (node, input) = try captureNode(["nb_channel": .int(1), "sample_rate": .double(48000), "format": .string("float32"),
                                             "input_device_index": .string("jack_simple_client"), "chunksize": .int(128)])
        for _ in 0..<3 {
            try node.start()
            _ = try receive(input, frames: 4096, channels: 1)
            try node.stop()
            _ = try input.emptyQueue()
            #expect(!node.isRunning)
        }
        try node.close()
    }

    @Test func playsAnInputStreamThatAnotherNodeCapturesBack() throws {
        let jack = try JackSimulator(sine: false)
        defer { jack.stop() }
        // Player: a float32 stream of a 1 kHz tone, 0.5 amplitude, fed from a local output.
        let player = PyAudio(name: "speaker")
        try player.configure(["nb_channel": .int(1), "sample_rate": .double(48000), "format": .string("float32"),
                              "output_device_index": .string("system"), "chunksize": .int(256)])
        #expect(player.outputs.isEmpty, "a playback-only node has no output")
        let source = OutputStream()
        try source.configure(["protocol": .string("inproc"), "dtype": .string("float32"), "shape": .array([.int(-1), .int(1)]),
                              "sample_rate": .double(48000)])
        try player.input(named: "signals").connect(source.params.map)
        try player.initialize()
        let (recorder, captured) = try captureNode(["nb_channel": .int(1), "sample_rate": .double(48000), "format": .string("float32"),
                                                    "input_device_index": .string("system"), "chunksize": .int(256)])
        try player.start()
        try recorder.start()
        #expect(try source.waitForSubscribers(1, timeoutMs: 5000))
        // Route the player's JACK outputs to the recorder's JACK inputs.
        let ports = jack.ports()
        let playerPorts = ports.filter { $0.contains(":out") && !$0.hasPrefix("system:") }
        let recorderPorts = ports.filter { $0.contains(":in") && !$0.hasPrefix("system:") }
        #expect(!playerPorts.isEmpty && !recorderPorts.isEmpty, "ports: \(ports)")
        for p in playerPorts { for r in recorderPorts { try jack.connect(p, r) } }
        // Two seconds of tone, sent faster than real time: the player queues it.
        let tone = (0..<96000).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 48000)) }
        for start in stride(from: 0, to: tone.count, by: 4800) {
            try source.send(NDArray(dtype: .float32, shape: [4800, 1], values: Array(tone[start..<start + 4800])).view)
        }
        let samples = try receive(captured, frames: 72000, channels: 1)[0]
        try recorder.stop()
        try player.stop()
        // The tone arrives after the device latency: find where it starts and measure it there.
        let onset = try #require(samples.firstIndex { abs($0) > 0.1 }, "the played tone never reached the recorder")
        let tail = Array(samples[onset..<min(samples.count, onset + 48000)])
        let (frequency, amplitude) = measure(tail, rate: 48000)
        #expect(abs(frequency - 1000) < 2, "captured \(frequency) Hz")
        #expect(abs(amplitude - 0.5) < 0.02, "captured amplitude \(amplitude)")
        let counters = try #require(player.attribute("counters")?.mapValue)
        #expect((counters["silence_frames"]?.intValue ?? 0) > 0, "silence was played before the tone and after it")
        try recorder.close()
        try player.close()
    }

    @Test func badDevicesAndFormatsNameWhatExists() throws {
        let jack = try JackSimulator()
        defer { jack.stop() }
        let node = PyAudio(name: "bad")
        func message(_ kwargs: ValueMap) -> String {
            do { try node.configure(kwargs); return "" } catch { return error.message }
        }
        let badIndex = message(["input_device_index": .int(999)])
        #expect(badIndex.contains("999") && badIndex.contains("jack_simple_client"), "\(badIndex)")
        let badName = message(["input_device_index": .string("no such microphone")])
        #expect(badName.contains("no such microphone") && badName.contains("jack_simple_client"), "\(badName)")
        let badFormat = message(["input_device_index": .string("jack_simple_client"), "format": .string("int24")])
        #expect(badFormat.contains("int24") && badFormat.contains("float32"), "\(badFormat)")
        let tooMany = message(["input_device_index": .string("jack_simple_client"), "nb_channel": .int(8)])
        #expect(tooMany.contains("8") && tooMany.contains("2 input channels"), "\(tooMany)")
        let none = message([:])
        #expect(none.contains("input_device_index"), "\(none)")
        let devices = try PyAudio.listDeviceSpecs()
        #expect(devices.contains { $0.name == "jack_simple_client" && $0.maxInputChannels == 2 && $0.hostApiName.contains("JACK") })
    }

    /// Captures from jack_simple_client, runs `disappear`, and returns the node once it has
    /// stopped by itself, with its last_error.
    func captureUntilTheDeviceDisappears(_ jack: JackSimulator, _ disappear: () -> Void) throws -> (PyAudio, InputStream, String) {
        let (node, input) = try captureNode(["nb_channel": .int(2), "sample_rate": .double(48000), "format": .string("float32"),
                                             "input_device_index": .string("jack_simple_client"), "chunksize": .int(256)])
        try node.start()
        _ = try receive(input, frames: 4800, channels: 2)
        disappear()
        let deadline = monotonicSeconds() + 10
        while node.isRunning && monotonicSeconds() < deadline { sleepSeconds(0.02) }
        #expect(!node.isRunning, "the node stops when its device disappears")
        return (node, input, node.attribute("last_error")?.stringValue ?? "")
    }

    @Test func aClientThatDiesStopsTheNodeWithAClearError() throws {
        let jack = try JackSimulator()
        defer { jack.stop() }
        let (node, input, error) = try captureUntilTheDeviceDisappears(jack) { jack.killSineClient() }
        #expect(error.contains("jack_simple_client") && error.contains("disappeared"), "last_error: \(error)")
        // Once the client is back, the node starts again (indexes from 0).
        _ = try input.emptyQueue()
        try jack.startSineClient()
        try node.start()
        let next = try input.receive(timeoutMs: 5000)
        #expect(next.index == 256)
        try node.close()
    }

    @Test func aServerThatDiesStopsTheNodeWithAClearError() throws {
        let jack = try JackSimulator()
        let (node, _, error) = try captureUntilTheDeviceDisappears(jack) { jack.killServer() }
        #expect(error.contains("mic") && error.contains("stopped"), "last_error: \(error)")
        // The process and other nodes keep working.
        let other = NumpyDeviceBuffer(name: "still-alive")
        try other.configure(["nb_channel": .int(2), "sample_interval": .double(0.001), "chunksize": .int(10)])
        try other.output.configure(["protocol": .string("inproc")])
        let sink = InputStream()
        try sink.connect(try other.output.params.map)
        #expect(try other.output.waitForSubscribers(1, timeoutMs: 5000))
        try other.initialize()
        try other.start()
        #expect(try sink.receive(timeoutMs: 5000).rows == 10)
        try other.close()
        try node.close()
    }
}

func sleepSeconds(_ s: Double) {
    var t = timespec(tv_sec: Int(s), tv_nsec: Int((s - Double(Int(s))) * 1e9))
    nanosleep(&t, nil)
}
