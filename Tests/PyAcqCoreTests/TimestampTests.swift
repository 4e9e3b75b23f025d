import CZeroMQ
import PyAcqCore
import PyAcqTestSupport
import Testing

@Suite(.serialized) struct TimestampTests {
    func pair(_ params: ValueMap, inputSpec: ValueMap = [:]) throws -> (OutputStream, InputStream) {
        try StreamTests().pair(params, inputSpec: inputSpec)
    }

    func chunk(_ rows: Int) -> NDArray {
        NDArray(dtype: .float32, shape: [rows, 2], values: (0..<rows * 2).map { Float($0) })
    }

    @Test(arguments: ["tcp", "ipc", "inproc"], ["plaindata", "sharedmem"])
    func stampsArriveInEveryMode(proto: String, mode: String) throws {
        let (output, input) = try pair(["protocol": .string(proto), "transfermode": .string(mode),
                                        "shape": .array([.int(-1), .int(2)]), "buffer_size": .int(1024)])
        defer { output.close(); input.close() }
        #expect(input.receivesTimestamps)
        // A second consumer counts too (repeated subscriptions reach the producer).
        let other = InputStream()
        defer { other.close() }
        try other.connect(output.params.map)
        #expect(try output.waitForSubscribers(2, timeoutMs: 5000))
        let offset = try input.clockOffset(timeoutMs: 5000)
        // Same process, same clock: the estimate brackets 0.
        #expect(abs(offset.offset) <= offset.uncertainty + 1e-9)
        try output.send(chunk(4).view, timestamp: 1234.5)
        var got = try input.receive(timeoutMs: 5000)
        #expect(got.index == 4)
        #expect(got.rawTimestamp == 1234.5)
        #expect(abs(try #require(got.timestamp) - (1234.5 - offset.offset)) < 1e-9)
        #expect(floats(try #require(got.data)) == chunk(4).values(as: Float.self))
        // Stamped at send when the producer gives no time.
        let before = StreamClock.now()
        try output.send(chunk(3).view)
        let after = StreamClock.now()
        got = try input.receive(timeoutMs: 5000)
        let raw = try #require(got.rawTimestamp)
        #expect(raw >= before && raw <= after)
        #expect(input.lastTimestamp?.raw == raw)
        // A reservation committed with a time.
        let reservation = try output.reserve(rows: 2)
        reservation.data.initializeMemory(as: Float.self, repeating: 7, count: 4)
        try output.commit(timestamp: 99)
        got = try input.receive(timeoutMs: 5000)
        #expect(got.index == 9)
        #expect(got.rawTimestamp == 99)
    }

    /// pyacq consumers subscribe to the plain endpoint: exactly pyacq's frames, no stamp.
    @Test(arguments: ["plaindata", "sharedmem"])
    func plainEndpointKeepsPyacqFrames(mode: String) throws {
        let output = OutputStream()
        try output.configure(["protocol": .string("tcp"), "transfermode": .string(mode), "shape": .array([.int(-1), .int(2)]),
                              "buffer_size": .int(64)])
        defer { output.close() }
        guard case .map(let info)? = output.params["timestamps"] else { Issue.record("no timestamps announcement"); return }
        #expect(info["version"] == .int(2))
        let sub = try ZMQSocket(type: ZMQ_SUB)
        defer { sub.close() }
        try sub.setOption(ZMQ_SUBSCRIBE, bytes: [])
        try sub.connect(try StreamParams(output.params.map).url())
        #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
        try output.send(chunk(3).view, timestamp: 5)
        #expect(try sub.poll(timeoutMs: 5000))
        let frames = try #require(try sub.receiveMessage())
        if mode == "plaindata" {
            #expect(frames.count == 2)
            #expect(frames[0].size == 8 * (3 + 2 * 2))
            #expect(frames[1].size == 3 * 2 * 4)
        } else {
            #expect(frames.count == 1)
            #expect(frames[0].array == [0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3])
        }
    }

    @Test func stampsCanBeSwitchedOffOnEitherSide() throws {
        var (output, input) = try pair(["protocol": .string("tcp"), "shape": .array([.int(-1), .int(2)])],
                                       inputSpec: ["timestamps": .bool(false)])
        #expect(!input.receivesTimestamps)
        try output.send(chunk(2).view, timestamp: 3)
        var got = try input.receive(timeoutMs: 5000)
        #expect(got.timestamp == nil && got.rawTimestamp == nil && got.index == 2)
        #expect(throws: PyAcqError.self) { try input.clockOffset(timeoutMs: 0) }
        output.close(); input.close()
        (output, input) = try pair(["protocol": .string("tcp"), "shape": .array([.int(-1), .int(2)]), "timestamps": .bool(false)])
        defer { output.close(); input.close() }
        #expect(output.params["timestamps"] == .bool(false))
        try output.send(chunk(2).view, timestamp: 3)
        got = try input.receive(timeoutMs: 5000)
        #expect(got.rawTimestamp == nil && got.index == 2)
    }

    /// A node handler's output inherits the time of the input chunk it processes.
    @Test func threadCurrentStampsUnstampedSends() throws {
        let (output, input) = try pair(["protocol": .string("inproc"), "shape": .array([.int(-1), .int(2)])])
        defer { output.close(); input.close(); StreamTimestamps.threadCurrent = nil }
        StreamTimestamps.threadCurrent = 42
        try output.send(chunk(1).view)
        #expect(try input.receive(timeoutMs: 5000).rawTimestamp == 42)
        try output.send(chunk(1).view, timestamp: 43)
        #expect(try input.receive(timeoutMs: 5000).rawTimestamp == 43)
    }

    @Test func estimatorKeepsTheShortestRoundTrip() throws {
        // Peer clock is local + 10; probe 2 is the least delayed and asymmetric.
        let samples = [ClockProbeSample(sent: 0, peer: 10.004, received: 0.010),
                       ClockProbeSample(sent: 1, peer: 11.0005, received: 1.002),
                       ClockProbeSample(sent: 2, peer: 12.003, received: 2.006)]
        var i = 0
        let estimate = try ClockOffsetEstimator.estimate(probes: 3) { () throws(PyAcqError) in defer { i += 1 }; return samples[i] }
        #expect(abs(estimate.roundTrip - 0.002) < 1e-12)
        #expect(abs(estimate.offset - 9.9995) < 1e-9)
        #expect(abs(estimate.uncertainty - 0.001) < 1e-12)
        #expect(abs(estimate.offset - 10) <= estimate.uncertainty)
        #expect(throws: PyAcqError.self) { try ClockOffsetEstimator.estimate(probes: 0) { () throws(PyAcqError) in samples[0] } }
    }

    /// A stamped endpoint that sends a message without its stamp: that message is reported as
    /// malformed, the next good one arrives. Version 2 producers put the stamp at the end of the
    /// first frame; version 1 ones (earlier libpyacq) in a last frame, which still reads.
    @Test(arguments: [1, 2])
    func missingStampIsCountedNotFatal(version: Int) throws {
        let pub = try ZMQSocket(type: ZMQ_XPUB)
        defer { pub.close() }
        try pub.bind("tcp://127.0.0.1:*")
        let port = String(pub.lastEndpoint.split(separator: ":").last ?? "")
        let input = InputStream()
        defer { input.close() }
        try input.connect(["protocol": .string("tcp"), "interface": .string("127.0.0.1"), "port": .string("1"),
                           "transfermode": .string("plaindata"), "dtype": .string("float32"), "shape": .array([.int(-1), .int(2)]),
                           "timestamps": .map(["version": .int(version), "interface": .string("127.0.0.1"), "port": .string(port)])])
        #expect(try pub.poll(timeoutMs: 5000))  // the subscription
        _ = try pub.receiveMessage()
        let header = PlainDataHeader(index: 1, offset: 0, shape: [1, 2], strides: [8, 4]).encoded
        let data = [UInt8](repeating: 0, count: 8)
        try pub.send(bytes: [header, data])
        #expect(throws: PyAcqError.self) { try input.receive(timeoutMs: 5000) }
        #expect(input.statistics.malformedMessages == 1)
        var stamp: [UInt8] = []
        withUnsafeBytes(of: (2.5).bitPattern.bigEndian) { stamp.append(contentsOf: $0) }
        try pub.send(bytes: version == 1 ? [header, data, stamp] : [header + stamp, data])
        let got = try input.receive(timeoutMs: 5000)
        #expect(got.rawTimestamp == 2.5 && got.timestamp == 2.5 && got.index == 1)
    }
}
