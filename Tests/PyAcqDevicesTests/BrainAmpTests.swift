import PyAcqCore
import PyAcqDevices
import PyAcqProcess
import PyAcqRPC
import PyAcqTestSupport
import Testing

/// One `triggers` record (PROTOCOL §14.4: pos, points, channel int64, type S16, description S16).
struct TriggerRecord: Equatable {
    var pos: Int, points: Int, channel: Int, type: String, description: String

    static func decode(_ chunk: ReceivedChunk) throws -> [TriggerRecord] {
        let data = try #require(chunk.data).toNDArray()
        #expect(data.dtype.itemsize == 56)
        let bytes = Array(data.bytes)
        func int(_ at: Int) -> Int { bytes[at..<at + 8].reversed().reduce(0) { $0 << 8 | Int($1) } }
        func text(_ at: Int) -> String { String(decoding: bytes[at..<at + 16].prefix { $0 != 0 }, as: UTF8.self) }
        return (0..<data.shape[0]).map { k in
            let r = k * 56
            return TriggerRecord(pos: int(r), points: int(r + 8), channel: int(r + 16), type: text(r + 24), description: text(r + 40))
        }
    }
}

/// BrainAmpSocket in a spawned NodeGroup reads a simulator in another process; this process
/// checks every sample, index and marker.
@Suite(.serialized) struct BrainAmpTests {
    static let channels = 8, points = 20, rate = 1000.0, resolution = 0.1, markerEvery = 37

    /// Expected µV of absolute sample `i` when acquisitions of `segment` samples follow each other.
    static func expected(_ i: Int, channel c: Int, segment: Int) -> Float {
        RDATestSignal.microvolts(sample: i % segment, channel: c, base: resolution)
    }

    /// Markers of one acquisition of `length` samples starting at absolute `offset`.
    static func expectedMarkers(length: Int, offset: Int) -> [TriggerRecord] {
        var out: [TriggerRecord] = []
        var m = 1
        while m * markerEvery < length {
            let spec = RDATestSignal.marker(m, channels: channels)
            out.append(TriggerRecord(pos: offset + m * markerEvery, points: 1, channel: Int(spec.channel), type: spec.type,
                                     description: String(decoding: Array(spec.description.utf8.prefix(16)), as: UTF8.self)))
            m += 1
        }
        return out
    }

    static func newSegment(_ pos: Int) -> TriggerRecord { TriggerRecord(pos: pos, points: 1, channel: -1, type: "New Segment", description: "") }

    struct Running {
        let fixture: GraphFixture
        let node: ObjectProxy
        let signals: InputStream
        let triggers: InputStream
    }

    static func startNode(port: Int) throws -> Running {
        let fixture = try GraphFixture()
        let group = try fixture.nodeGroup("eeg")
        let node = try #require(try group.attribute("create_node").invoke([.string("BrainAmpSocket")], ["name": .string("amp")]).proxy)
        try node.call("configure", ["brainamp_host": .string("127.0.0.1"), "brainamp_port": .int(port), "reconnect_interval": .double(0.05)])
        for output in ["signals", "triggers"] { _ = try node.outputStream(output).attribute("configure").invoke([], ["protocol": .string("tcp")]) }
        try node.call("initialize")
        let signals = try node.subscribe("signals"), triggers = try node.subscribe("triggers")
        try node.call("start")
        return Running(fixture: fixture, node: node, signals: signals, triggers: triggers)
    }

    /// Receives `signals` from index `start` until `start + count`; checks indexes are contiguous.
    static func receiveSignals(_ input: InputStream, from start: Int = 0, count: Int) throws -> [Float] {
        var values: [Float] = []
        var index = start
        while index < start + count {
            let chunk = try input.receive(timeoutMs: 10_000)
            #expect(chunk.index == index + chunk.rows, "index \(chunk.index) after \(index)")
            index = chunk.index
            values += floats(try #require(chunk.data))
        }
        return values
    }

    static func receiveTriggers(_ input: InputStream, count: Int) throws -> [TriggerRecord] {
        var records: [TriggerRecord] = []
        while records.count < count {
            let chunk = try input.receive(timeoutMs: 10_000)
            records += try TriggerRecord.decode(chunk)
            #expect(chunk.index == records.count, "triggers index \(chunk.index) after \(records.count) markers")
        }
        return records
    }

    static func check(_ values: [Float], from start: Int, segment: Int) {
        for (k, v) in values.enumerated() {
            let i = start + k / channels, c = k % channels
            guard v == expected(i, channel: c, segment: segment) else {
                Issue.record("sample \(i) channel \(c) is \(v), expected \(expected(i, channel: c, segment: segment))")
                return
            }
        }
    }

    /// Two acquisitions (stop, new start on the same connection) with markers, keep-alives and
    /// PyCorder's opening message; float32, int16 scaled by per-channel resolutions, and float32
    /// written in 7-byte TCP pieces.
    @Test(arguments: [("float32", 0), ("int16", 0), ("float32", 7)])
    func everySampleAndMarker(dtype: String, fragment: Int) throws {
        let blocks = 50, segment = blocks * Self.points
        let simulator = try SimulatorProcess("brainamp", [
            "--port", "0", "--channels", "\(Self.channels)", "--rate", "\(Self.rate)", "--block-points", "\(Self.points)",
            "--dtype", dtype, "--resolution", "\(Self.resolution)", "--marker-every", "\(Self.markerEvery)", "--keepalive", "0.01",
            "--blocks", "\(blocks)", "--segments", "2", "--preamble", "--fragment", "\(fragment)",
        ])
        let run = try Self.startNode(port: simulator.port)
        defer { run.fixture.close() }
        #expect(try run.node.outputStream("signals").value("params")["sample_rate"] == .double(Self.rate))
        #expect(try run.node.outputStream("signals").value("params")["channel_info"].arrayValue?.first?["name"] == .string("Ch1"))
        let values = try Self.receiveSignals(run.signals, count: 2 * segment)
        #expect(values.count == 2 * segment * Self.channels)
        Self.check(values, from: 0, segment: segment)
        let markers = Self.expectedMarkers(length: segment, offset: 0) + [Self.newSegment(segment)] + Self.expectedMarkers(length: segment, offset: segment)
        let received = try Self.receiveTriggers(run.triggers, count: markers.count)
        #expect(received == markers)
        #expect(received.contains { $0.type == "Comment" && $0.description.utf8.count == 16 })
        try eventually(5, "the second stop message") { try run.node.value("stops_received") == .int(2) }
        #expect(try run.node.value("acquiring") == .bool(false))
        #expect(try run.node.value("segments") == .int(1))
        #expect(try run.node.value("blocks_missed") == .int(0))
        #expect(try run.node.value("errors") == .int(0))
        #expect((try run.node.value("messages_skipped").intValue ?? 0) >= 1)
        #expect(run.signals.statistics.samplesLost == 0)
        if dtype == "int16" {
            #expect(try run.node.value("resolutions").arrayValue?.prefix(3) == [.double(0.1), .double(0.2), .double(0.30000000000000004)])
        }
        try run.node.call("stop")
        try run.node.call("close")
    }

    /// The recorder dies in the middle of a block: the node reports it, keeps every complete
    /// block, reconnects when a recorder is back on the port and marks the new segment.
    @Test func recorderKilledMidBlockThenRestarted() throws {
        let before = 30, segment = 1_000_000
        let first = try SimulatorProcess("brainamp", [
            "--port", "0", "--channels", "\(Self.channels)", "--block-points", "\(Self.points)", "--resolution", "\(Self.resolution)",
            "--truncate-after", "\(before)",
        ])
        let run = try Self.startNode(port: first.port)
        defer { run.fixture.close() }
        _ = try first.waitForLine("fault: truncated")
        let head = try Self.receiveSignals(run.signals, count: before * Self.points)
        first.kill()
        try eventually(5, "the broken connection to be reported") {
            (try run.node.value("recent_errors").arrayValue ?? []).contains { $0.stringValue?.contains("middle of a message") == true }
        }
        #expect(try run.node.value("blocks_received") == .int(before))
        let second = try SimulatorProcess("brainamp", [
            "--port", "\(first.port)", "--channels", "\(Self.channels)", "--block-points", "\(Self.points)", "--resolution", "\(Self.resolution)",
        ])
        _ = second
        let start = before * Self.points
        let tail = try Self.receiveSignals(run.signals, from: start, count: 20 * Self.points)
        Self.check(head, from: 0, segment: segment)
        // After the restart the recorder's signal starts again at its sample 0.
        for (k, v) in tail.enumerated() where v != Self.expected(k / Self.channels, channel: k % Self.channels, segment: segment) {
            Issue.record("sample \(start + k / Self.channels) after the restart is \(v)")
            break
        }
        let marker = try Self.receiveTriggers(run.triggers, count: 1)
        #expect(marker == [Self.newSegment(start)])
        #expect((try run.node.value("reconnects").intValue ?? 0) >= 1)
        #expect(try run.node.attribute("running").invoke().value == .bool(true))
        #expect(run.signals.statistics.samplesLost == 0)
        try run.node.call("stop")
    }

    /// A header whose size cannot be a message: reported, connection dropped, acquisition
    /// resumes on a new connection.
    @Test func impossibleMessageSizeIsReportedAndSurvived() throws {
        let blocks = 10, segment = blocks * Self.points
        let simulator = try SimulatorProcess("brainamp", [
            "--port", "0", "--channels", "\(Self.channels)", "--block-points", "\(Self.points)", "--resolution", "\(Self.resolution)",
            "--bad-size-after", "\(blocks)", "--speed", "4",
        ])
        let run = try Self.startNode(port: simulator.port)
        defer { run.fixture.close() }
        let values = try Self.receiveSignals(run.signals, count: 2 * segment + Self.points)
        Self.check(values, from: 0, segment: segment)
        let marker = try Self.receiveTriggers(run.triggers, count: 1)
        #expect(marker == [Self.newSegment(segment)])
        #expect((try run.node.value("recent_errors").arrayValue ?? []).contains { $0.stringValue?.contains("message size 5") == true })
        try run.node.call("stop")
    }

    /// Blocks the recorder skipped (block counter jumps): counted, and the index skips their
    /// samples so every sample that arrives sits at its true position.
    @Test func skippedBlocksKeepTheTimeAxis() throws {
        let simulator = try SimulatorProcess("brainamp", [
            "--port", "0", "--channels", "\(Self.channels)", "--block-points", "\(Self.points)", "--resolution", "\(Self.resolution)",
            "--skip-block-every", "7", "--speed", "4",
        ])
        let run = try Self.startNode(port: simulator.port)
        defer { run.fixture.close() }
        var seen = Set<Int>()
        var index = 0
        while index < 60 * Self.points {
            let chunk = try run.signals.receive(timeoutMs: 10_000)
            let values = floats(try #require(chunk.data))
            let start = chunk.index - chunk.rows
            #expect(start % Self.points == 0 && start >= index)
            Self.check(values, from: start, segment: 1_000_000)
            seen.insert(start / Self.points)
            index = chunk.index
        }
        try run.node.call("stop")
        let blocks = index / Self.points
        #expect(seen == Set((0..<blocks).filter { $0 % 7 != 6 }))
        #expect(try run.node.value("blocks_missed") == .int(blocks / 7))
    }

    @Test func configureErrorsSayWhatIsWrong() throws {
        DeviceNodes.register()
        let node = try NodeRegistry.create("BrainAmpSocket", name: "amp")
        // A port nobody listens on (bound then closed at once).
        let port = try TCPListener(port: 0).port
        #expect { try node.configure(["brainamp_host": .string("127.0.0.1"), "brainamp_port": .int(port)]) } throws: {
            let message = ($0 as? PyAcqError)?.message ?? ""
            return message.contains("127.0.0.1:\(port)") && message.contains("Remote Data Access")
        }
        #expect { try node.configure(["brainamp_prot": .int(1)]) } throws: { ($0 as? PyAcqError)?.message.contains("brainamp_prot") == true }
        #expect { try node.configure(["brainamp_port": .int(70000)]) } throws: { ($0 as? PyAcqError)?.code == .badParams }
    }
}
