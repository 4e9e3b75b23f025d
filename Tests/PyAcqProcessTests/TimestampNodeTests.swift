import PyAcqCore
import PyAcqNodes
import PyAcqTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Timestamps follow the data through nodes and into recordings.
@Suite(.serialized) struct TimestampNodeTests {
    init() { BuiltinNodes.register() }

    @Test(arguments: ["StreamConverter", "SosFilter"])
    func nodesPassTheInputTimeOn(type: String) throws {
        let node = try NodeRegistry.create(type, name: "t")
        if type == "SosFilter" {
            try node.configure(["coefficients": .ndarray(NDArray(dtype: .float64, shape: [1, 6], values: [Double](arrayLiteral: 1, 0, 0, 1, 0, 0)))])
        } else {
            try node.configure([:])
        }
        let rig = try DSPNodeTests.Rig(node, sources: [type == "SosFilter" ? "signals" : "in": ["dtype": .string("float64"), "shape": .array([.int(-1), .int(2)])]])
        defer { rig.close() }
        let source = try #require(rig.sources.values.first)
        let sink = try #require(rig.sinks.values.first)
        for (n, stamp) in [100.25, 100.5, 101.0].enumerated() {
            try source.send(NDArray(dtype: .float64, shape: [4, 2], values: (0..<8).map { Double($0 + n) }).view, timestamp: stamp)
            let got = try sink.receive(timeoutMs: 5000)
            #expect(got.index == 4 * (n + 1))
            // One process, one clock: the time survives the hop through the node exactly.
            #expect(got.rawTimestamp == stamp)
            #expect(try #require(got.data).toNDArray().values(as: Double.self) == (0..<8).map { Double($0 + n) })
        }
    }

    @Test func recorderWritesTimestampsBesideTheData() throws {
        let dir = "/tmp/pyacq_test_rects_\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = try? Files.removeFiles(in: dir); rmdir(dir) }
        let stamped = OutputStream()
        try stamped.configure(["protocol": .string("tcp"), "dtype": .string("int16"), "shape": .array([.int(-1), .int(2)])])
        let plain = OutputStream()
        try plain.configure(["protocol": .string("inproc"), "dtype": .string("int16"), "shape": .array([.int(-1), .int(2)]),
                             "timestamps": .bool(false)])
        defer { stamped.close(); plain.close() }
        let node = try NodeRegistry.create("RawRecorder", name: "rec")
        try node.configure(["streams": .map(["eeg": .map(stamped.params.map), "aux": .map(plain.params.map)]), "dirname": .string(dir)])
        try node.initialize()
        #expect(try stamped.waitForSubscribers(1, timeoutMs: 5000))
        #expect(try plain.waitForSubscribers(1, timeoutMs: 5000))
        try node.start()
        let chunk = NDArray(dtype: .int16, shape: [3, 2], values: (0..<6).map { Int16($0) })
        try stamped.send(chunk.view, timestamp: 50.5)
        try stamped.send(chunk.view, timestamp: 51.5)
        try plain.send(chunk.view)
        let start = monotonicSeconds()
        while (try? readBytes(dir + "/eeg_timestamps.raw").count) != 48 && monotonicSeconds() - start < 5 { sleepSecondsForTest(0.005) }
        while (try? readBytes(dir + "/aux.raw").count) != 12 && monotonicSeconds() - start < 5 { sleepSecondsForTest(0.005) }
        try node.stop()
        try node.close()
        #expect(try readBytes(dir + "/eeg.raw").count == 24)
        let records = try readBytes(dir + "/eeg_timestamps.raw")
        #expect(records.count == 48)
        records.withUnsafeBytes { raw in
            #expect(raw.loadUnaligned(fromByteOffset: 0, as: Int64.self) == 3)
            #expect(raw.loadUnaligned(fromByteOffset: 16, as: Double.self) == 50.5)
            #expect(raw.loadUnaligned(fromByteOffset: 24, as: Int64.self) == 6)
            #expect(raw.loadUnaligned(fromByteOffset: 40, as: Double.self) == 51.5)
            // Same process: the local time is the raw one minus an offset bounded by its uncertainty.
            #expect(abs(raw.loadUnaligned(fromByteOffset: 8, as: Double.self) - 50.5) < 0.01)
        }
        #expect(!Files.exists(dir + "/aux_timestamps.raw"))
        let props = try readFile(dir + "/stream_properties.json")
        #expect(props.contains("\"file\": \"eeg_timestamps.raw\""))
        #expect(props.contains("\"round_trip\""))
    }
}
