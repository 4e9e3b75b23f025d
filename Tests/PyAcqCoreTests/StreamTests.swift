import CZeroMQ
import PyAcqCore
import PyAcqTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct StreamTests {
    /// A connected pair with the subscription in place, so nothing is lost to the slow joiner.
    func pair(_ params: ValueMap, inputSpec: ValueMap = [:]) throws -> (OutputStream, InputStream) {
        let output = OutputStream()
        try output.configure(params)
        let input = InputStream(spec: inputSpec)
        try input.connect(output.params.map)
        #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
        return (output, input)
    }

    func ramp(rows: Int, channels: Int, from start: Int) -> NDArray {
        NDArray(dtype: .float32, shape: [rows, channels],
                values: (0..<rows * channels).map { Float((start + $0 / channels) * 1000 + $0 % channels) })
    }

    @Test(arguments: ["tcp", "ipc", "inproc"], ["plaindata", "sharedmem"])
    func everySampleArrives(proto: String, mode: String) throws {
        let (output, input) = try pair(["protocol": .string(proto), "transfermode": .string(mode), "shape": .array([.int(-1), .int(16)]),
                                        "buffer_size": .int(4096)])
        defer { output.close(); input.close() }
        var index = 0
        for (n, rows) in [16, 1024, 1, 300, 2048].enumerated() {
            let chunk = ramp(rows: rows, channels: 16, from: index)
            try output.send(n % 2 == 0 ? chunk.view : chunk.view.toNDArray().view)
            index += rows
            let got = try input.receive(timeoutMs: 5000)
            #expect(got.index == index)
            #expect(floats(try #require(got.data)) == chunk.values(as: Float.self))
        }
        #expect(input.statistics.samplesLost == 0)
        #expect(input.statistics.samplesReceived == index)
        if proto == "tcp" {
            #expect(output.params["port"]?.stringValue.flatMap { Int($0) } != nil)
        } else {
            #expect(output.params["interface"]?.stringValue?.hasPrefix("pyacq_pipe_") == true)
        }
    }

    @Test func nonContiguousChunksKeepTheirValues() throws {
        let (output, input) = try pair(["protocol": .string("inproc"), "shape": .array([.int(-1), .int(3)])])
        let base = ramp(rows: 8, channels: 6, from: 0).view
        // Every other row, channels 1..3, rows reversed: strided, negative, offset.
        let strided = ArrayView(base: base.base + 7 * 24 + 4, dtype: .float32, shape: [4, 3], strides: [-48, 4], owner: base.owner)
        try output.send(strided)
        let got = try #require(try input.receive(timeoutMs: 5000).data)
        #expect(floats(got) == [7001, 7002, 7003, 5001, 5002, 5003, 3001, 3002, 3003, 1001, 1002, 1003])
        #expect(got.strides == [12, 4])
    }

    @Test func inputBufferKeepsHistory() throws {
        let (output, input) = try pair(["protocol": .string("inproc"), "shape": .array([.int(-1), .int(2)])])
        try input.setBuffer(size: 64)
        for i in 0..<10 { try output.send(ramp(rows: 10, channels: 2, from: i * 10).view) }
        for _ in 0..<10 { _ = try input.receive(timeoutMs: 5000, withData: false) }
        let history = try input.getData(start: 40, stop: 100)
        #expect(floats(history) == ramp(rows: 60, channels: 2, from: 40).values(as: Float.self))
        #expect(throws: PyAcqError.self) { try input.getData(start: 30, stop: 100) }
    }

    @Test func paramsFollowPyacqRules() throws {
        let output = OutputStream(spec: ["shape": .array([.int(-1), .int(4)]), "streamtype": .string("signals")])
        #expect(throws: PyAcqError.self) { try output.configure(["shape": .array([.int(-1), .int(5)])]) }
        #expect(throws: PyAcqError.self) { try output.configure(["transfermode": .string("sharedarray")]) }
        #expect(throws: PyAcqError.self) { try output.configure(["shape": .array([.int(0), .int(4)])]) }
        #expect(throws: PyAcqError.self) { try output.configure(["transfermode": .string("sharedmem")]) }
        #expect(throws: PyAcqError.self) { try output.configure(["dtype": .string("float31")]) }
        #expect(throws: PyAcqError.self) { try output.configure(["compression": .string("zip")]) }
        try output.configure(["transfertmode": .string("typo kept"), "sample_rate": .double(512)])
        #expect(output.params["transfertmode"] == .string("typo kept"))
        #expect(output.params["streamtype"] == .string("signals"))
        #expect(Array(output.params.map.keys.prefix(16)) == StreamParams.defaults.keys)

        let input = InputStream(spec: ["dtype": .string("int16")])
        #expect(throws: PyAcqError.self) { try input.connect(output.params.map) }
        let overriding = InputStream(spec: ["sample_rate": .double(1), "shape": .array([.int(-1), .int(4)])])
        try overriding.connect(output.params.map)
        #expect(overriding.params?["sample_rate"] == .double(1))
        output.close()
    }

    @Test func sendRejectsWrongChunks() throws {
        let (output, input) = try pair(["protocol": .string("inproc"), "shape": .array([.int(-1), .int(4)])])
        #expect { try output.send(NDArray(dtype: .int16, shape: [2, 4]).view) } throws: { ($0 as? PyAcqError)?.code == .dtype }
        #expect { try output.send(NDArray(dtype: .float32, shape: [2, 5]).view) } throws: { ($0 as? PyAcqError)?.code == .invalidArgument }
        #expect { try output.send(NDArray(dtype: .float32, shape: [8]).view) } throws: { ($0 as? PyAcqError)?.code == .invalidArgument }
        #expect { try output.send(NDArray(dtype: .float32, shape: [2, 4]).view, index: -1) } throws: { ($0 as? PyAcqError)?.code == .invalidArgument }
        try output.send(NDArray(dtype: .float32, shape: [2, 4]).view)
        #expect(try input.receive(timeoutMs: 5000).index == 2)
        let unconfigured = OutputStream()
        #expect { try unconfigured.send(NDArray(dtype: .float32, shape: [2, 4]).view) } throws: { ($0 as? PyAcqError)?.code == .state }
    }

    /// Malformed messages are rejected one by one, counted, and never stop later chunks.
    @Test func malformedMessagesAreCountedAndSkipped() throws {
        let publisher = try RawPublisher("malformed")
        let input = InputStream()
        try input.connect(publisher.params(dtype: .string("float32"), shape: [-1, 2], extra: ["compression": .string("blosc-lz4")]))
        try publisher.waitForSubscriber()
        let good = PlainDataHeader(index: 2, offset: 0, shape: [2, 2], strides: [8, 4])
        let payload = (0..<4).flatMap { withUnsafeBytes(of: Float($0).bitPattern.littleEndian, Array.init) }
        let compressedGood = try goodCompressedFrame(payload)
        var bad: [[[UInt8]]] = [
            [good.encoded],                                           // one frame
            [good.encoded, compressedGood, [1]],                      // three frames
            [Array(good.encoded.prefix(20)), compressedGood],         // short header
            [PlainDataHeader(index: 2, offset: 0, shape: [2, 2], strides: [8, 4]).encoded.dropLast(8) + [0, 0, 0, 0, 0, 0, 0, 0, 0], compressedGood],
            [PlainDataHeader(index: 2, offset: 0, shape: [200, 2], strides: [8, 4]).encoded, compressedGood],  // outside the data
            [PlainDataHeader(index: 2, offset: 12, shape: [2, 2], strides: [8, 4]).encoded, compressedGood],   // offset too far
            [PlainDataHeader(index: 2, offset: 0, shape: [2, 2], strides: [-8, 4]).encoded, compressedGood],   // negative reach
            [good.encoded, [0x02, 0x01, 0x21, 0x04, 0xff, 0xff, 0xff, 0x7f] + [UInt8](repeating: 0xab, count: 30)], // garbage blosc
            [good.encoded, Array(compressedGood.prefix(10))],          // truncated blosc
            [good.encoded, payload],                                  // not compressed at all
        ]
        var header = good.encoded
        header.replaceSubrange(0..<8, with: [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        bad.append([header, compressedGood])                          // absurd ndim
        for (n, frames) in bad.enumerated() {
            try publisher.socket.send(bytes: frames)
            try publisher.socket.send(bytes: [PlainDataHeader(index: 2 * (n + 1), offset: 0, shape: [2, 2], strides: [8, 4]).encoded, compressedGood])
        }
        var received = 0
        var failures = 0
        while received < bad.count {
            do {
                let chunk = try input.receive(timeoutMs: 5000)
                received += 1
                #expect(floats(try #require(chunk.data)) == [0, 1, 2, 3])
            } catch let error as PyAcqError where error.code == .malformed {
                failures += 1
                #expect(!error.message.isEmpty)
            }
        }
        #expect(failures == bad.count)
        #expect(input.statistics.malformedMessages == bad.count)
        #expect(input.statistics.chunksReceived == bad.count)
    }

    func goodCompressedFrame(_ payload: [UInt8]) throws -> [UInt8] {
        let output = OutputStream()
        try output.configure(["protocol": .string("inproc"), "shape": .array([.int(-1), .int(2)]), "compression": .string("blosc-lz4")])
        let sub = try rawSocket(ZMQ_SUB)
        try sub.setOption(ZMQ_SUBSCRIBE, bytes: [])
        try sub.connect(try output.params.url())
        #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
        let array = try NDArray(dtype: .float32, shape: [2, 2], bytes: payload.withUnsafeBytes { $0 })
        try output.send(array.view)
        return try #require(try sub.receiveMessage())[1].array
    }

    /// A consumer that never reads: the producer never blocks, its memory stays bounded by
    /// the high-water marks, and the consumer sees the loss in its counters.
    @Test func stalledConsumerCannotGrowTheProducer() throws {
        let (output, input) = try pair(["protocol": .string("tcp"), "shape": .array([.int(-1), .int(16)])])
        let chunk = NDArray(dtype: .float32, shape: [1024, 16])
        let before = residentBytes()
        for _ in 0..<6000 { try output.send(chunk.view) }  // 384 MiB offered
        let growth = residentBytes() - before
        #expect(growth < 300 << 20, "resident memory grew by \(growth >> 20) MiB")
        // Drain what was queued, then one more chunk makes any tail loss visible as a gap.
        while (try? input.receive(timeoutMs: 200, withData: false)) != nil {}
        try output.send(chunk.view)
        var last = 0
        while last < 6001 * 1024 { last = try input.receive(timeoutMs: 5000, withData: false).index }
        #expect(input.statistics.samplesReceived + input.statistics.samplesLost == last)
        #expect(input.statistics.samplesLost > 0)
        output.close()
    }

    func residentBytes() -> Int {
        let fields = ((try? readFile("/proc/self/statm")) ?? "").split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
