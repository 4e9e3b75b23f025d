import PyAcqCore
import PyAcqNodes
import PyAcqTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// DSP and recording nodes in one process: a source OutputStream feeds the node, an InputStream
/// reads what it emits. Numerical checks against scipy live in tests/python/test_dsp_scipy.py.
@Suite(.serialized) struct DSPNodeTests {
    init() { BuiltinNodes.register() }

    /// Wires `node`'s input(s) to fresh inproc outputs and its outputs to fresh inputs.
    final class Rig {
        var sources: [String: OutputStream] = [:]
        var sinks: [String: InputStream] = [:]
        let node: Node

        init(_ node: Node, sources specs: [String: ValueMap]) throws {
            self.node = node
            for (name, params) in specs {
                let out = OutputStream()
                var p = params
                p["protocol"] = .string("inproc")
                try out.configure(p)
                try node.input(named: name).connect(out.params.map)
                sources[name] = out
            }
            for (name, output) in node.outputs {
                try output.configure(["protocol": .string("inproc")])
                let input = InputStream()
                try input.connect(output.params.map)
                sinks[name] = input
                #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
            }
            try node.initialize()
            for out in sources.values { #expect(try out.waitForSubscribers(1, timeoutMs: 5000)) }
            try node.start()
        }

        func close() { try? node.close(); sources.values.forEach { $0.close() } }
    }

    static func column(_ values: [Double]) -> NDArray { NDArray(dtype: .float64, shape: [values.count, 1], values: values) }

    // MARK: SosFilter

    /// A plain scalar implementation of sosfilt to check the SIMD one.
    static func referenceSosfilt(_ x: [Double], channels: Int, sos: [[Double]]) -> [Double] {
        var y = x
        for c in 0..<channels {
            for s in sos {
                var z0 = 0.0, z1 = 0.0
                for r in 0..<(x.count / channels) {
                    let v = y[r * channels + c]
                    let out = s[0] * v + z0
                    z0 = s[1] * v - s[4] * out + z1
                    z1 = s[2] * v - s[5] * out
                    y[r * channels + c] = out
                }
            }
        }
        return y
    }

    static let sos: [[Double]] = [[0.2, 0.4, 0.2, 1, -0.5, 0.25], [1, -2, 1, 1, -1.6, 0.7], [0.5, 0, -0.5, 1, 0.1, 0.3]]

    @Test func sosFilterMatchesTheScalarReferenceAcrossChunks() throws {
        let channels = 7
        var rng = SystemRandomNumberGenerator()
        let signal = (0..<700 * channels).map { _ in Double.random(in: -1...1, using: &rng) }
        let node = try NodeRegistry.create("SosFilter", name: "sos")
        try node.configure(["coefficients": .ndarray(NDArray(dtype: .float64, shape: [3, 6], values: Self.sos.flatMap { $0 }))])
        let rig = try Rig(node, sources: ["signals": ["dtype": .string("float64"), "shape": .array([.int(-1), .int(channels)])]])
        defer { rig.close() }
        var sent = 0
        var got: [Double] = []
        for size in [1, 13, 250, 64, 372] {
            try rig.sources["signals"]!.send(NDArray(dtype: .float64, shape: [size, channels], values: Array(signal[(sent * channels)..<((sent + size) * channels)])).view)
            sent += size
            let chunk = try rig.sinks["signals"]!.receive(timeoutMs: 5000)
            #expect(chunk.index == sent)
            got += try #require(chunk.data).toNDArray().values(as: Double.self)
        }
        let want = Self.referenceSosfilt(signal, channels: channels, sos: Self.sos)
        #expect(zip(got, want).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) })
    }

    @Test func sosFilterRejectsBadCoefficients() throws {
        let node = try NodeRegistry.create("SosFilter", name: "bad")
        #expect { try node.configure(["coefficients": .ndarray(NDArray(dtype: .float64, shape: [2, 5]))]) } throws: { ($0 as? PyAcqError)?.message.contains("(n_sections, 6)") == true }
        #expect { try node.configure(["coefficients": .ndarray(NDArray(dtype: .float64, shape: [1, 6], values: [Double](arrayLiteral: 1, 0, 0, 1, .nan, 0)))]) } throws: { ($0 as? PyAcqError)?.message.contains("NaN") == true }
        #expect { try node.configure(["coefficients": .ndarray(NDArray(dtype: .float64, shape: [1, 6], values: [Double](arrayLiteral: 1, 0, 0, 2, 0, 0)))]) } throws: { ($0 as? PyAcqError)?.message.contains("a0") == true }
        #expect { try node.configure([:]) } throws: { ($0 as? PyAcqError)?.message.contains("coefficients") == true }
        #expect { try node.configure(["coefficients": .ndarray(NDArray(dtype: .float64, shape: [1, 6], values: [Double](arrayLiteral: 1, 0, 0, 1, 0, 0))), "engine": .string("gpu")]) } throws: { ($0 as? PyAcqError)?.message.contains("engine") == true }
    }

    // MARK: triggers

    func events(_ rig: Rig, from chunks: [[Double]], rate: Double = 1000) throws -> [Int] {
        var found: [Int] = []
        for chunk in chunks {
            try rig.sources["signals"]!.send(Self.column(chunk).view)
        }
        // One more flat chunk lets withheld samples be decided, then the sink is drained.
        let sink = rig.sinks["events"]!
        while let got = try? sink.receive(timeoutMs: 300) { found += try #require(got.data).toNDArray().values(as: Int64.self).map { Int($0) } }
        return found
    }

    func trigger(_ params: ValueMap) throws -> Rig {
        let node = try NodeRegistry.create("AnalogTrigger", name: "trig")
        try node.configure([:])
        for (k, v) in params { try node.setParameter(k, v) }
        return try Rig(node, sources: ["signals": ["dtype": .string("float64"), "shape": .array([.int(-1), .int(1)]), "sample_rate": .double(1000)]])
    }

    @Test func risingAndFallingEdgesAcrossChunkBorders() throws {
        // Crossings up at 5 and 17, down at 11 and 23; chunk borders at 5, 12 and 20.
        var signal = [Double](repeating: 0, count: 30)
        for k in 5..<11 { signal[k] = 1 }
        for k in 17..<23 { signal[k] = 1 }
        let chunks = [Array(signal[0..<5]), Array(signal[5..<12]), Array(signal[12..<20]), Array(signal[20..<30])]
        let up = try trigger(["threshold": .double(0.5), "front": .string("+")])
        #expect(try events(up, from: chunks) == [5, 17])
        up.close()
        let down = try trigger(["threshold": .double(0.5), "front": .string("-")])
        #expect(try events(down, from: chunks) == [11, 23])
        down.close()
    }

    @Test func debounceModesDropShortGlitches() throws {
        // At 1 kHz with debounce_time 5 ms (5 samples): a 2-sample glitch at 10, a clean step at 30
        // after a quiet stretch, and a step at 50 preceded by a glitch at 46.
        var signal = [Double](repeating: 0, count: 80)
        signal[10] = 1; signal[11] = 1
        for k in 30..<45 { signal[k] = 1 }
        signal[46] = 1
        for k in 50..<70 { signal[k] = 1 }
        let chunks = stride(from: 0, to: 80, by: 16).map { Array(signal[$0..<min($0 + 16, 80)]) } + [[Double](repeating: 0, count: 16)]
        let plain = try trigger(["threshold": .double(0.5), "debounce_mode": .string("no-debounce")])
        let plainEvents = try events(plain, from: chunks)
        #expect(plainEvents == [10, 30, 46, 50])
        plain.close()
        let after = try trigger(["threshold": .double(0.5), "debounce_mode": .string("after-stable"), "debounce_time": .double(0.005)])
        #expect(try events(after, from: chunks) == [30, 50])
        after.close()
        let before = try trigger(["threshold": .double(0.5), "debounce_mode": .string("before-stable"), "debounce_time": .double(0.005)])
        #expect(try events(before, from: chunks) == [30])
        before.close()
    }

    @Test func triggerParametersAreValidated() throws {
        let node = try NodeRegistry.create("AnalogTrigger", name: "t")
        #expect { try node.setParameter("debounce_mode", .string("sometimes")) } throws: { ($0 as? PyAcqError)?.message.contains("after-stable") == true }
        #expect { try node.setParameter("front", .string("up")) } throws: { ($0 as? PyAcqError)?.code == .badParams }
        #expect { try node.setParameter("gain", .double(2)) } throws: { ($0 as? PyAcqError)?.message.contains("threshold") == true }
    }

    @Test func digitalTriggerFollowsOneBit() throws {
        let node = try NodeRegistry.create("DigitalTrigger", name: "dig")
        try node.configure([:])
        try node.setParameter("channel", .int(10))  // byte 1, bit 2
        let rig = try Rig(node, sources: ["signals": ["dtype": .string("uint8"), "shape": .array([.int(-1), .int(2)]), "sample_rate": .double(100)]])
        defer { rig.close() }
        var rows: [UInt8] = []
        for k in 0..<20 { rows += [0xff, (k >= 7 && k < 12) ? 0b100 : 0b011] }
        try rig.sources["signals"]!.send(NDArray(dtype: .uint8, shape: [20, 2], values: rows).view)
        let got = try rig.sinks["events"]!.receive(timeoutMs: 5000)
        #expect(try #require(got.data).toNDArray().values(as: Int64.self) == [7])
        #expect(got.index == 1)
    }

    // MARK: accumulator

    @Test func accumulatorStacksWindowsAroundEvents() throws {
        let node = try NodeRegistry.create("TriggerAccumulator", name: "acc")
        try node.configure(["max_stack_size": .int(4)])
        let rig = try Rig(node, sources: [
            "signals": ["dtype": .string("float64"), "shape": .array([.int(-1), .int(2)]), "sample_rate": .double(100)],
            "events": ["dtype": .string("int64"), "shape": .array([.int(-1)])],
        ])
        defer { rig.close() }
        try node.setParameter("left_sweep", .double(-0.02))
        try node.setParameter("right_sweep", .double(0.03))
        try node.setParameter("stack_size", .int(2))
        // Events first (their windows wait), then a signal whose value encodes sample and channel.
        try rig.sources["events"]!.send(NDArray(dtype: .int64, shape: [3], values: [Int64](arrayLiteral: 10, 40, 99)).view)
        try rig.sources["signals"]!.send(NDArray(dtype: .float64, shape: [100, 2], values: (0..<200).map { Double($0 / 2 * 10 + $0 % 2) }).view)
        var waited = monotonicSeconds()
        while node.attribute("total_trig") != .int(2) && monotonicSeconds() - waited < 5 { sleepSecondsForTest(0.005) }
        #expect(node.attribute("total_trig") == .int(2))  // 99 + 3 > 100: not yet
        guard case .ndarray(let stack)? = node.attribute("stack") else { Issue.record("no stack"); return }
        #expect(stack.shape == [2, 2, 5])
        let values = stack.values(as: Double.self)
        #expect(Array(values[0..<5]) == [80, 90, 100, 110, 120])        // event 10, channel 0: samples 8..12
        #expect(Array(values[15..<20]) == [381, 391, 401, 411, 421])    // event 40, channel 1
        waited = monotonicSeconds()
        try rig.sources["signals"]!.send(NDArray(dtype: .float64, shape: [10, 2], values: (200..<220).map { Double($0 / 2 * 10 + $0 % 2) }).view)
        while node.attribute("total_trig") != .int(3) && monotonicSeconds() - waited < 5 { sleepSecondsForTest(0.005) }
        #expect(node.attribute("total_trig") == .int(3))
    }

    // MARK: recorder

    @Test func recorderWritesPyacqLayout() throws {
        let dir = "/tmp/pyacq_test_rec_\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = try? Files.removeFiles(in: dir); rmdir(dir) }
        let source = OutputStream()
        try source.configure(["protocol": .string("inproc"), "dtype": .string("int16"), "shape": .array([.int(-1), .int(3)]),
                              "sample_rate": .double(500), "channel_info": .array([.map(["name": .string("é")])])])
        let node = try NodeRegistry.create("RawRecorder", name: "rec")
        try node.configure(["streams": .map(["eeg": .map(source.params.map)]), "dirname": .string(dir)])
        try node.initialize()
        #expect(try source.waitForSubscribers(1, timeoutMs: 5000))
        try node.start()
        let chunk = NDArray(dtype: .int16, shape: [4, 3], values: (0..<12).map { Int16($0) })
        try source.send(chunk.view, index: 104)
        try source.send(chunk.view, index: 108)
        var waited = monotonicSeconds()
        while (try? readBytes(dir + "/eeg.raw").count) != 48 && monotonicSeconds() - waited < 5 { sleepSecondsForTest(0.005) }
        try node.stop()
        try node.close()
        #expect(try readBytes(dir + "/eeg.raw").count == 48)
        let props = try readFile(dir + "/stream_properties.json")
        #expect(props.contains("\"start_index\": 100"))
        #expect(props.hasPrefix("{\n    \"eeg\": {\n        \"channel_info\": ["))
        #expect(props.contains("\"pyacq_version\": \"0.2.0-dev\""))
        // An existing recording is refused unless overwrite is asked for.
        let again = try NodeRegistry.create("RawRecorder", name: "rec2")
        #expect { try again.configure(["streams": .array([.map(source.params.map)]), "dirname": .string(dir)]) } throws: { ($0 as? PyAcqError)?.message.contains("overwrite") == true }
        let unwritable = try NodeRegistry.create("RawRecorder", name: "rec3")
        try unwritable.configure(["streams": .array([.map(source.params.map)]), "dirname": .string("/proc/no/such/dir")])
        #expect { try unwritable.initialize() } throws: { ($0 as? PyAcqError)?.message.contains("/proc/no/such/dir") == true }
        source.close()
    }
}

func sleepSecondsForTest(_ s: Double) {
    var t = timespec(tv_sec: 0, tv_nsec: Int(s * 1e9))
    var r = timespec()
    nanosleep(&t, &r)
}
