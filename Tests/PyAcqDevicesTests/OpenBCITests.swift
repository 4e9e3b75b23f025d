import PyAcqCore
import PyAcqDevices
import PyAcqProcess
import PyAcqRPC
import PyAcqTestSupport
import Testing

/// The packet decoder on its own: sign extension, fragmentation, resynchronisation.
@Suite struct OpenBCIDecoderTests {
    @Test func twentyFourBitTwosComplement() {
        let cases: [([UInt8], Int32)] = [
            ([0x7F, 0xFF, 0xFF], 8_388_607), ([0x7F, 0x00, 0x00], 8_323_072), ([0x80, 0x00, 0x00], -8_388_608),
            ([0xFF, 0xFF, 0xFF], -1), ([0x00, 0x00, 0x01], 1), ([0x00, 0x00, 0x00], 0),
        ]
        for (bytes, value) in cases { #expect(bytes.withUnsafeBufferPointer { OpenBCI.int24($0.baseAddress!) } == value) }
    }

    @Test func byteByByteEqualsWholeAndGarbageIsSkipped() {
        var stream: [UInt8] = []
        for k in 0..<20 {
            if k == 5 { stream += OpenBCISimulatorOptions.garbage }
            stream += OpenBCI.packet(sample: UInt8(k), channels: (0..<8).map { OpenBCITestSignal.count(row: k, channel: $0) },
                                     aux: (0..<3).map { OpenBCITestSignal.aux(row: k, axis: $0) })
        }
        var whole = OpenBCIDecoder(daisy: false), single = OpenBCIDecoder(daisy: false)
        let a = OpenBCIRows(width: 8), b = OpenBCIRows(width: 8)
        stream.withUnsafeBytes { whole.feed($0, into: a) }
        for byte in stream { [byte].withUnsafeBytes { single.feed($0, into: b) } }
        // The last packet waits for the next start byte only when out of step; here it is in step.
        #expect(a.count == 20 && b.count == 20)
        #expect(Array(a.channels) == Array(b.channels) && Array(a.aux) == Array(b.aux))
        #expect(Array(a.channels) == (0..<20).flatMap { k in (0..<8).map { OpenBCITestSignal.count(row: k, channel: $0) } })
        #expect(whole.bytesSkipped == OpenBCISimulatorOptions.garbage.count && whole.samplesDropped == 0)
    }
}

/// The OpenBCI node in a spawned NodeGroup reads a simulated board on a pseudo-terminal.
@Suite(.serialized) struct OpenBCITests {
    struct Running {
        let fixture: GraphFixture
        let node: ObjectProxy
        let chan: InputStream
        let aux: InputStream
    }

    static func startNode(path: String, scale: String) throws -> Running {
        let fixture = try GraphFixture()
        let group = try fixture.nodeGroup("eeg")
        let node = try #require(try group.attribute("create_node").invoke([.string("OpenBCI")], ["name": .string("bci")]).proxy)
        try node.call("configure", ["device_handle": .string(path), "scale": .string(scale)])
        for output in ["chan", "aux"] { _ = try node.outputStream(output).attribute("configure").invoke([], ["protocol": .string("tcp")]) }
        try node.call("initialize")
        let chan = try node.subscribe("chan"), aux = try node.subscribe("aux")
        try node.call("start")
        return Running(fixture: fixture, node: node, chan: chan, aux: aux)
    }

    /// Rows received up to `count` (by index): absolute row number → values.
    static func receive(_ input: InputStream, count: Int) throws -> [Int: [Double]] {
        var rows: [Int: [Double]] = [:]
        var index = 0
        while index < count {
            let chunk = try input.receive(timeoutMs: 10_000)
            let data = try #require(chunk.data).toNDArray()
            let values: [Double] = data.dtype == .int64 ? data.values(as: Int64.self).map(Double.init) : data.values(as: Float.self).map(Double.init)
            let width = data.shape[1]
            #expect(chunk.index - chunk.rows >= index, "index went back: \(chunk.index) after \(index)")
            for r in 0..<chunk.rows { rows[chunk.index - chunk.rows + r] = Array(values[(r * width)..<((r + 1) * width)]) }
            index = chunk.index
        }
        return rows
    }

    static func expectedChannels(row k: Int, width: Int, scale: String) -> [Double] {
        (0..<width).map { c in
            let count = OpenBCITestSignal.count(row: k, channel: c)
            return scale == "raw" ? Double(count) : Double(Float(count) * Float(OpenBCI.microvoltsPerCount(gain: 24)))
        }
    }

    static func expectedAux(row k: Int, scale: String) -> [Double] {
        (0..<3).map { a in
            let count = OpenBCITestSignal.aux(row: k, axis: a)
            return scale == "raw" ? Double(count) : Double(Float(count) * Float(OpenBCI.gPerCount))
        }
    }

    @Test(arguments: [(false, "raw"), (false, "uV"), (true, "uV"), (true, "raw")])
    func everySample(daisy: Bool, scale: String) throws {
        let simulator = try SimulatorProcess("openbci", (daisy ? ["--daisy"] : []) + ["--speed", "4"])
        let run = try Self.startNode(path: simulator.path, scale: scale)
        defer { run.fixture.close() }
        let width = daisy ? 16 : 8, rows = 400
        let params = try run.node.outputStream("chan").value("params")
        #expect(params["shape"] == .array([.int(-1), .int(width)]))
        #expect(params["sample_rate"] == .double(daisy ? 125 : 250))
        #expect(params["dtype"] == .string(scale == "raw" ? "int64" : "float32"))
        #expect(params["channel_info"].arrayValue?.count == width)
        #expect(try run.node.value("daisy") == .bool(daisy))
        let chan = try Self.receive(run.chan, count: rows), aux = try Self.receive(run.aux, count: rows)
        #expect(chan.count >= rows && aux.count >= rows)
        for k in 0..<rows {
            guard chan[k] == Self.expectedChannels(row: k, width: width, scale: scale) else {
                Issue.record("row \(k): \(chan[k] ?? []) expected \(Self.expectedChannels(row: k, width: width, scale: scale))"); break
            }
            guard aux[k] == Self.expectedAux(row: k, scale: scale) else { Issue.record("aux row \(k): \(aux[k] ?? [])"); break }
        }
        if scale == "raw" {
            // pyacq reads a first byte of 0x7F as negative; these counts must come out positive.
            #expect(chan[5]?.allSatisfy { $0 >= 8_323_072 } == true)
            #expect(chan[6]?.allSatisfy { $0 <= -8_388_000 } == true)
        }
        #expect(try run.node.value("samples_dropped") == .int(0))
        #expect(try run.node.value("bytes_skipped") == .int(0))
        try run.node.call("stop")
        _ = try simulator.waitForLine("stopped")
        try run.node.call("close")
    }

    /// Noise bytes, packets with a wrong end byte and packets never sent: counted, the index
    /// skips the missing samples, every sample that arrived is right.
    @Test func garbageCorruptAndDroppedPackets() throws {
        let simulator = try SimulatorProcess("openbci", ["--speed", "4", "--garbage-every", "7", "--corrupt-every", "50", "--drop-every", "31"])
        let run = try Self.startNode(path: simulator.path, scale: "raw")
        defer { run.fixture.close() }
        let rows = 600
        let chan = try Self.receive(run.chan, count: rows)
        let lost = (0..<rows).filter { $0 % 31 == 30 || $0 % 50 == 49 }
        #expect(Set(0..<rows).subtracting(chan.keys) == Set(lost))
        #expect(lost.allSatisfy { chan[$0] == nil })
        for (k, values) in chan where k < rows && values != Self.expectedChannels(row: k, width: 8, scale: "raw") {
            Issue.record("row \(k) is wrong: \(values)")
            break
        }
        try run.node.call("stop")
        // Counted up to the last row sent (a gap is only seen when the next row arrives).
        let last = try #require(try run.node.outputStream("chan").value("last_index").intValue)
        #expect(try run.node.value("samples_dropped") == .int((0..<last).filter { $0 % 31 == 30 || $0 % 50 == 49 }.count))
        #expect((try run.node.value("bytes_skipped").intValue ?? 0) >= (rows / 7 - 2) * OpenBCISimulatorOptions.garbage.count)
        #expect((try run.node.value("packets_corrupt").intValue ?? 0) >= rows / 50 - 1)
    }

    /// The board disappears: a clear error, everything sent before is there, the node keeps
    /// running (and would reopen the port if it came back).
    @Test func vanishingPortIsReported() throws {
        let simulator = try SimulatorProcess("openbci", ["--speed", "4", "--vanish-after", "100"])
        let run = try Self.startNode(path: simulator.path, scale: "raw")
        defer { run.fixture.close() }
        let chan = try Self.receive(run.chan, count: 100)
        #expect(chan.count == 100)
        _ = try simulator.waitForLine("vanishing")
        try eventually(5, "the vanished port to be reported") {
            (try run.node.value("recent_errors").arrayValue ?? []).contains {
                $0.stringValue?.contains("serial port \(simulator.path) vanished") == true
            }
        }
        #expect(try run.node.attribute("running").invoke().value == .bool(true))
        try run.node.call("stop")
    }

    @Test func configureErrorsNameThePort() throws {
        DeviceNodes.register()
        let node = try NodeRegistry.create("OpenBCI", name: "bci")
        #expect { try node.configure(["device_handle": .string("/dev/no-such-port")]) } throws: {
            ($0 as? PyAcqError)?.message.contains("cannot open serial port /dev/no-such-port") == true
        }
        #expect { try node.configure(["device_handle": .string("/dev/null")]) } throws: {
            ($0 as? PyAcqError)?.message.contains("/dev/null is not a serial port") == true
        }
        #expect { try node.configure(["scale": .string("mV")]) } throws: { ($0 as? PyAcqError)?.message.contains("'raw'") == true }
    }
}
