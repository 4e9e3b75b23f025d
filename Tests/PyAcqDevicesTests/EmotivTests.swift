import PyAcqCore
import PyAcqDevices
import PyAcqProcess
import PyAcqRPC
import PyAcqTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct EmotivCryptoTests {
    /// The key layout of PROTOCOL §14.4 and a FIPS-197 AES-128 vector through libcrypto.
    @Test func keyAndCipher() throws {
        #expect(Emotiv.key(serial: "SN20120229000254") == Array("4\u{0}5T2\u{10}0B4\u{0}5H2\u{0}0P".utf8))
        let aes = try AES128ECB(key: unhex("000102030405060708090a0b0c0d0e0f"), encrypt: true)
        #expect(aes.apply(unhex("00112233445566778899aabbccddeeff")).map(hex) == "69c4e0d86a7b0430d8cdb78070b4c55a")
        let plain = EmotivTestSignal.plaintext(report: 42)
        let key = try #require(Emotiv.key(serial: "SN20120229000254"))
        let back = try AES128ECB(key: key).apply(try #require(AES128ECB(key: key, encrypt: true).apply(plain)))
        #expect(back == plain)
        plain.withUnsafeBufferPointer { p in
            for (c, bits) in Emotiv.channelBits.enumerated() { #expect(Emotiv.level(p.baseAddress!, bits) == EmotivTestSignal.level(report: 42, channel: c)) }
            #expect(Emotiv.level(p.baseAddress!, Emotiv.qualityBits) == EmotivTestSignal.quality(report: 42))
        }
    }
}

/// The Emotiv node in a spawned NodeGroup reads encrypted reports from a simulator's FIFO.
@Suite(.serialized) struct EmotivTests {
    static func start(_ fixture: GraphFixture, path: String, serial: String, group: ObjectProxy? = nil) throws -> ObjectProxy {
        let group = try group ?? fixture.nodeGroup("eeg")
        let node = try #require(try group.attribute("create_node").invoke([.string("Emotiv")], ["name": .string("epoc")]).proxy)
        try node.call("configure", ["device_handle": .string(path), "serial": .string(serial)])
        for output in ["signals", "impedances", "gyro"] { _ = try node.outputStream(output).attribute("configure").invoke([], ["protocol": .string("tcp")]) }
        try node.call("initialize")
        return node
    }

    static func fifo() -> String { "/tmp/pyacq-test-emotiv-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).fifo" }

    @Test func everyReportDecoded() throws {
        let path = Self.fifo()
        defer { unlink(path) }
        let simulator = try SimulatorProcess("emotiv", ["--path", path, "--speed", "8", "--drop-every", "97"])
        _ = simulator
        let fixture = try GraphFixture()
        defer { fixture.close() }
        let node = try Self.start(fixture, path: path, serial: "SN20120229000254")
        let signals = try node.subscribe("signals"), impedances = try node.subscribe("impedances"), gyro = try node.subscribe("gyro")
        try node.call("start")
        let reports = 300
        let got = try EmotivRows.collect(signals: signals, impedances: impedances, gyro: gyro, until: reports)
        // Reports never sent leave holes in the index; everything else is exact.
        let dropped = (0..<reports).filter { $0 % 97 == 96 }
        EmotivRows.check(got, reports: reports, missing: Set(dropped))
        #expect(try node.value("key_verified") == .bool(true))
        #expect(try node.value("reports_dropped") == .int(dropped.count))
        try node.call("stop")
    }

    /// A wrong serial: the reports do not decrypt; nothing is sent, an error says why, the node
    /// keeps running.
    @Test func wrongKeyIsReported() throws {
        let path = Self.fifo()
        defer { unlink(path) }
        let simulator = try SimulatorProcess("emotiv", ["--path", path, "--speed", "8", "--serial", "SN20120229000254"])
        _ = simulator
        let fixture = try GraphFixture()
        defer { fixture.close() }
        let node = try Self.start(fixture, path: path, serial: "SN99999999999999")
        let signals = try node.subscribe("signals")
        try node.call("start")
        try eventually(10, "the wrong key to be reported") {
            (try node.value("recent_errors").arrayValue ?? []).contains { $0.stringValue?.contains("do not decrypt with the key of serial 'SN99999999999999'") == true }
        }
        #expect(try signals.poll(timeoutMs: 50) == false)
        #expect(try node.value("key_verified") == .bool(false))
        #expect(try node.attribute("running").invoke().value == .bool(true))
        try node.call("stop")
    }

    /// The dongle goes away: a clear error naming it, the node keeps running.
    @Test func vanishingDeviceIsReported() throws {
        let path = Self.fifo()
        defer { unlink(path) }
        let simulator = try SimulatorProcess("emotiv", ["--path", path, "--speed", "8"])
        let fixture = try GraphFixture()
        defer { fixture.close() }
        let node = try Self.start(fixture, path: path, serial: "SN20120229000254")
        let signals = try node.subscribe("signals")
        try node.call("start")
        var index = 0
        while index < 50 { index = try signals.receive(timeoutMs: 10_000).index }
        simulator.kill()
        try eventually(10, "the vanished device to be reported") {
            (try node.value("recent_errors").arrayValue ?? []).contains { $0.stringValue?.contains("Emotiv device \(path) vanished") == true }
        }
        #expect(try node.attribute("running").invoke().value == .bool(true))
        try node.call("stop")
    }

    @Test func configureWithoutSerialOutsideSysfsSaysWhatToPass() throws {
        DeviceNodes.register()
        let node = try NodeRegistry.create("Emotiv", name: "epoc")
        #expect { try node.configure(["device_handle": .string("/tmp/not-a-hidraw")]) } throws: {
            ($0 as? PyAcqError)?.message.contains("pass serial=") == true
        }
        #expect { try node.configure(["device_handle": .string("/tmp/x"), "serial": .string("SN")]) } throws: {
            ($0 as? PyAcqError)?.message.contains("too short") == true
        }
    }
}

/// Rows of the three Emotiv outputs by sample index, checked against the simulator's signal.
enum EmotivRows {
    typealias Row = (sig: [Int16], imp: [Float], gyro: [Int16])

    /// Receives from the three outputs until index `reports` is reached.
    static func collect(signals: InputStream, impedances: InputStream, gyro: InputStream, until reports: Int) throws -> [Int: Row] {
        var got: [Int: Row] = [:]
        var index = 0
        while index < reports {
            let s = try signals.receive(timeoutMs: 10_000), i = try impedances.receive(timeoutMs: 10_000), g = try gyro.receive(timeoutMs: 10_000)
            #expect(s.index == i.index && s.index == g.index && s.index - s.rows >= index)
            let sv = try #require(s.data).toNDArray().values(as: Int16.self), iv = try #require(i.data).toNDArray().values(as: Float.self)
            let gv = try #require(g.data).toNDArray().values(as: Int16.self)
            for r in 0..<s.rows {
                got[s.index - s.rows + r] = (Array(sv[(r * 14)..<(r * 14 + 14)]), Array(iv[(r * 14)..<(r * 14 + 14)]), Array(gv[(r * 2)..<(r * 2 + 2)]))
            }
            index = s.index
        }
        return got
    }

    /// Every report below `reports` is present and exact (14 levels, held contact qualities,
    /// gyro) except the `missing` ones, which leave holes.
    static func check(_ got: [Int: Row], reports: Int, missing: Set<Int>) {
        #expect(Set(0..<reports).subtracting(got.keys) == missing)
        var held = [Float](repeating: 0, count: 14)
        for k in 0..<reports {
            if let channel = Emotiv.qualityChannel(counter: Int(EmotivTestSignal.counter(report: k))), !missing.contains(k) {
                held[channel] = Float(EmotivTestSignal.quality(report: k)) / 540
            }
            guard let row = got[k] else { continue }
            let expected = (0..<14).map { Int16(EmotivTestSignal.level(report: k, channel: $0)) }
            let (gx, gy) = EmotivTestSignal.gyro(report: k)
            guard row.sig == expected, row.imp == held, row.gyro == [Int16(gx) - 106, Int16(gy) - 105] else {
                Issue.record("report \(k): \(row) expected \(expected) \(held)")
                return
            }
        }
    }
}
