import CLibUSB
import PyAcqCore
import PyAcqDevices
import PyAcqProcess
import PyAcqRPC
import PyAcqTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The USB transport's lowest call replaced by the simulator's real encrypted report stream:
/// one report per interrupt transfer, with timeouts, a transient I/O error, a report encrypted
/// with another dongle's key, and LIBUSB_ERROR_NO_DEVICE after the last report.
final class SimulatedInterruptEndpoint: USBInterruptEndpoint, @unchecked Sendable {
    let reports: Int, wrongKeyAt: Int, ioErrorAtCall: Int
    private let dongle: EmotivReportGenerator, other: EmotivReportGenerator
    private var next = 0, calls = 0
    private(set) var closed = false
    private(set) var lengthsAsked = Set<Int32>()

    init(serial: String, reports: Int, wrongKeyAt: Int, ioErrorAtCall: Int) throws {
        self.reports = reports; self.wrongKeyAt = wrongKeyAt; self.ioErrorAtCall = ioErrorAtCall
        dongle = try EmotivReportGenerator(serial: serial)
        other = try EmotivReportGenerator(serial: "SN99999999999999")
    }

    func interruptTransfer(_ buffer: UnsafeMutablePointer<UInt8>, length: Int32, transferred: inout Int32, timeoutMs: UInt32) -> Int32 {
        calls += 1
        lengthsAsked.insert(length)
        transferred = 0
        if next >= reports { return LIBUSB_ERROR_NO_DEVICE.rawValue }
        if calls % 7 == 0 { return LIBUSB_ERROR_TIMEOUT.rawValue }
        if calls == ioErrorAtCall { return LIBUSB_ERROR_IO.rawValue }
        let report = next == wrongKeyAt ? other.encrypted(report: next) : dongle.encrypted(report: next)
        let n = min(Int(length), report.count)
        report.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: n) }
        transferred = Int32(n)
        next += 1
        // libusb may report a timeout with the bytes of a transfer that did complete.
        return next % 11 == 0 ? LIBUSB_ERROR_TIMEOUT.rawValue : 0
    }

    func close() { closed = true }
}

@Suite(.serialized) struct EmotivUSBTests {
    static let serial = "SN20120229000254"

    static func output(_ dtype: String, _ width: Int) throws -> (OutputStream, InputStream) {
        let out = OutputStream(spec: [:], name: "emotiv-\(dtype)-\(width)")
        try out.configure(["protocol": .string("inproc"), "dtype": .string(dtype), "shape": .array([.int(-1), .int(width)]), "sample_rate": .double(128)])
        let sink = InputStream()
        try sink.connect(out.params.map)
        #expect(try out.waitForSubscribers(1, timeoutMs: 5000))
        return (out, sink)
    }

    /// The shared decoder over the USB report source: every sample, gyro and contact quality
    /// exact; the wrong-key report counted and skipped; the I/O error reported and survived; the
    /// dongle vanishing ends the reading with an error naming it, keeping every report before it.
    @Test func transferLoopDecodesTheSimulatorStream() throws {
        let reports = 400, wrongKeyAt = 150
        let endpoint = try SimulatedInterruptEndpoint(serial: Self.serial, reports: reports, wrongKeyAt: wrongKeyAt, ioErrorAtCall: 40)
        // The wrong-key report decrypts to a counter that does not pass for a plausible loss.
        let key = try #require(Emotiv.key(serial: Self.serial))
        let garbage = try #require(try AES128ECB(key: key).apply(EmotivReportGenerator(serial: "SN99999999999999").encrypted(report: wrongKeyAt)))
        let garbagePosition = garbage[0] >= 128 ? 128 : Int(garbage[0])
        #expect((garbagePosition - (wrongKeyAt - 1) % 129 + 129) % 129 > 8)

        let (signals, signalsIn) = try Self.output("int16", 14), (impedances, impedancesIn) = try Self.output("float32", 14), (gyro, gyroIn) = try Self.output("int16", 2)
        let reader = EmotivReader(source: EmotivUSBReportSource(endpoint: endpoint, dongle: "1234:ed02 at bus 1 address 7"),
                                  sourceName: "the Emotiv dongle 1234:ed02 at bus 1 address 7", serial: Self.serial,
                                  cipher: try AES128ECB(key: key), outputs: .init(signals: signals, impedances: impedances, gyro: gyro))
        let thread = PosixThread(name: "emotiv-usb-test") { reader.run(while: { true }) }
        let got = try EmotivRows.collect(signals: signalsIn, impedances: impedancesIn, gyro: gyroIn, until: reports)
        thread.join()  // the reading ended by itself at LIBUSB_ERROR_NO_DEVICE

        EmotivRows.check(got, reports: reports, missing: [wrongKeyAt])
        #expect(endpoint.closed)
        #expect(endpoint.lengthsAsked == [32])  // one report per transfer: the endpoint's packet size
        #expect(reader.attribute("reports") == .int(reports))
        #expect(reader.attribute("reports_undecodable") == .int(1))
        #expect(reader.attribute("reports_dropped") == .int(1))
        #expect(reader.attribute("key_verified") == .bool(true))
        let errors = (reader.attribute("recent_errors")?.arrayValue ?? []).compactMap(\.stringValue)
        #expect(errors == [
            "reading the Emotiv dongle 1234:ed02 at bus 1 address 7 failed (LIBUSB_ERROR_IO)",
            "the Emotiv dongle 1234:ed02 at bus 1 address 7 is gone (LIBUSB_ERROR_NO_DEVICE: unplugged or reset); reading stopped, the reports received before it are kept; plug it back and start the node again",
        ])
        for stream in [signals, impedances, gyro] { stream.close() }
    }

    /// The real libusb, in a machine with no Emotiv dongle: configure() names the vendor:product
    /// it looked for; the node group survives and its other Emotiv node (on the simulator's FIFO)
    /// keeps streaming without a gap.
    @Test func absentDongleIsReportedAndTheGraphKeepsRunning() throws {
        let path = EmotivTests.fifo()
        defer { unlink(path) }
        let simulator = try SimulatorProcess("emotiv", ["--path", path, "--speed", "8"])
        _ = simulator
        let fixture = try GraphFixture()
        defer { fixture.close() }
        let group = try fixture.nodeGroup("eeg")
        let fifoNode = try EmotivTests.start(fixture, path: path, serial: Self.serial, group: group)
        let signals = try fifoNode.subscribe("signals")
        try fifoNode.call("start")
        var index = 0
        while index < 20 { index = try signals.receive(timeoutMs: 10_000).index }

        let usbNode = try #require(try group.attribute("create_node").invoke([.string("Emotiv")], ["name": .string("epoc-usb")]).proxy)
        func configureError(_ kwargs: ValueMap) -> String {
            do {
                try usbNode.call("configure", kwargs)
                return "(no error)"
            } catch {
                return (error as? PyAcqError)?.message ?? "\(error)"
            }
        }
        let absent = "no Emotiv dongle found over USB: no device 1234:ed02 or 21a1:0001 among the "
        let message = configureError(["device_handle": .string("usb")])
        #expect(message.contains(absent), "\(message)")
        #expect(message.contains("is the dongle plugged in (lsusb lists it)? A hidraw node can be given instead: device_handle='/dev/hidrawN'"), "\(message)")
        let byID = configureError(["device_handle": .string("usb:21a1:0001"), "serial": .string(Self.serial)])
        #expect(byID.contains("no Emotiv dongle found over USB: no device 21a1:0001 among the "), "\(byID)")
        let byPlace = configureError(["device_handle": .string("usb:3/5")])
        #expect(byPlace.contains("no device 1234:ed02 or 21a1:0001 at bus 3 address 5 among the "), "\(byPlace)")
        let malformed = configureError(["device_handle": .string("usb:ed02")])
        #expect(malformed.contains("Emotiv device_handle 'usb:ed02': expected 'usb', 'usb:VVVV:PPPP'"), "\(malformed)")

        // The group still answers and the other node never missed a report.
        let after = index
        while index < after + 64 {
            let chunk = try signals.receive(timeoutMs: 10_000)
            #expect(chunk.index - chunk.rows == index)
            index = chunk.index
        }
        #expect(try fifoNode.value("reports_dropped") == .int(0))
        #expect(try usbNode.attribute("configured").invoke().value == .bool(false))
        try fifoNode.call("stop")
    }

    @Test func deviceHandleSelectsTheTransport() throws {
        #expect(try EmotivUSBSelector.parse("/dev/hidraw0") == nil)
        #expect(try EmotivUSBSelector.parse("usb") == EmotivUSBSelector())
        let byID = try #require(try EmotivUSBSelector.parse("usb:1234:ED02"))
        #expect(byID.ids == [.init(vendor: 0x1234, product: 0xed02)] && byID.bus == nil)
        let byPlace = try #require(try EmotivUSBSelector.parse("usb:3/15"))
        #expect(byPlace.ids == EmotivUSBSelector.epocDongles && byPlace.bus == 3 && byPlace.address == 15)
        #expect(byPlace.text == "1234:ed02 or 21a1:0001 at bus 3 address 15")
        for bad in ["usb:", "usb:1234", "usb:12345:1", "usb:a/b", "usb:3/5/1"] {
            #expect(throws: PyAcqError.self) { try EmotivUSBSelector.parse(bad) }
        }
    }
}
