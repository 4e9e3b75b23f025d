#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore
import Synchronization

/// Emotiv EPOC (consumer dongle) through its hidraw device, or any file or FIFO giving the
/// same 32-byte reports (PROTOCOL §14.4). `configure(device_handle='/dev/hidraw0',
/// serial=None)`: the serial (the AES key) is read from sysfs for a hidraw device unless given.
/// Outputs `signals` (14 × int16 14-bit levels), `impedances` (contact quality / 540, each
/// held until its sensor's next report) and `gyro` (X, Y), one row per report, 128 Hz. Reports
/// are only trusted once their counters count (4 in a row): with a wrong serial nothing is sent
/// and an error says so. Counter jumps (lost reports) are counted and skipped in the index.
public final class EmotivNode: Node, @unchecked Sendable {
    public override class var typeName: String { "Emotiv" }
    public override class var outputSpecs: [(String, ValueMap)] {
        [("signals", spec("int16", 14)), ("impedances", spec("float32", 14)), ("gyro", spec("int16", 2))]
    }

    static func spec(_ dtype: String, _ width: Int) -> ValueMap {
        ["streamtype": .string("analogsignal"), "dtype": .string(dtype), "shape": .array([.int(-1), .int(width)]),
         "sample_rate": .double(Emotiv.sampleRate), "nb_channel": .int(width)]
    }

    public private(set) var devicePath = "/dev/hidraw0"
    public private(set) var serial = ""
    private var key: [UInt8] = []
    private var thread: PosixThread?
    private let running = Atomic<Bool>(false)
    private let status = DeviceStatus(source: "Emotiv", counters: ["reports", "reports_dropped", "reports_undecodable", "errors"], flags: ["key_verified"])

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        if let unknown = kwargs.keys.first(where: { $0 != "device_handle" && $0 != "serial" }) {
            throw PyAcqError(.badParams, "Emotiv.configure() got an unexpected keyword '\(unknown)'", exceptionType: "TypeError")
        }
        devicePath = kwargs["device_handle"]?.stringValue ?? "/dev/hidraw0"
        if let given = kwargs["serial"]?.stringValue {
            serial = given
        } else {
            serial = try Self.sysfsSerial(devicePath)
        }
        guard let key = Emotiv.key(serial: serial) else {
            throw PyAcqError(.badParams, "Emotiv serial '\(serial)' is too short to make a key (needs ≥ 4 characters)", exceptionType: "ValueError")
        }
        self.key = key
        _ = try AES128ECB(key: key)
    }

    /// The dongle's serial: `realpath(/sys/class/hidraw/<hidrawN>)`, 4 levels up, file `serial`.
    static func sysfsSerial(_ device: String) throws(PyAcqError) -> String {
        let name = device.split(separator: "/").last.map(String.init) ?? device
        guard let resolved = realpath("/sys/class/hidraw/" + name, nil) else {
            throw PyAcqError(.io, "cannot find \(device) in /sys/class/hidraw (not a hidraw device?); pass serial='<the dongle serial>' to configure()", exceptionType: "OSError")
        }
        var parts = String(cString: resolved).split(separator: "/", omittingEmptySubsequences: false)
        free(resolved)
        parts.removeLast(min(4, parts.count))
        let file = parts.joined(separator: "/") + "/serial"
        guard let f = fopen(file, "r") else {
            throw PyAcqError(.io, "cannot read the serial number of \(device) from \(file); pass serial='…' to configure()", exceptionType: "OSError")
        }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, Int32(line.count), f) != nil else {
            throw PyAcqError(.io, "\(file) is empty; pass serial='…' to configure()", exceptionType: "OSError")
        }
        return String(cString: line).strippingBlanks
    }

    public override func outputConfigured(_ streamName: String) {
        let names: [String]
        switch streamName {
        case "signals": names = Emotiv.channelNames
        case "impedances": names = Emotiv.channelNames.map { "imp " + $0 }
        default: names = ["gyro0", "gyro1"]
        }
        try? output(named: streamName).setParam("channel_info", .array(names.map { .map(["name": .string($0)]) }))
    }

    public override func attribute(_ attributeName: String) -> Value? {
        attributeName == "serial" ? .string(serial) : status.attribute(attributeName)
    }

    public override func didStart() throws(PyAcqError) {
        let fd = open(devicePath, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw PyAcqError(.io, "cannot open Emotiv device \(devicePath): \(errorText())", exceptionType: "OSError") }
        let reader = EmotivReader(fd: fd, path: devicePath, serial: serial, cipher: try AES128ECB(key: key),
                                  outputs: (try output(named: "signals"), try output(named: "impedances"), try output(named: "gyro")),
                                  status: status)
        status.reset()
        running.store(true, ordering: .releasing)
        thread = PosixThread(name: "\(name)-emotiv") { [self] in
            reader.run(while: { running.load(ordering: .acquiring) })
            Glibc.close(fd)
        }
    }

    public override func didStop() throws(PyAcqError) {
        running.store(false, ordering: .releasing)
        thread?.join()
        thread = nil
    }
}

/// One start…stop of an Emotiv node: reads reports, checks the key, decodes, sends rows.
final class EmotivReader: @unchecked Sendable {
    let fd: Int32, path: String, serial: String, cipher: AES128ECB
    let outputs: (signals: OutputStream, impedances: OutputStream, gyro: OutputStream)
    let status: DeviceStatus
    private var impedance = [Float](repeating: 0, count: 14)
    /// Decrypted reports waiting for the key to prove right.
    private var unverified: [[UInt8]] = []
    private var verified = false
    private var lastCounter: Int?
    private var index = 0
    private var undecodableReported = false

    init(fd: Int32, path: String, serial: String, cipher: AES128ECB,
         outputs: (signals: OutputStream, impedances: OutputStream, gyro: OutputStream), status: DeviceStatus) {
        self.fd = fd; self.path = path; self.serial = serial; self.cipher = cipher; self.outputs = outputs; self.status = status
    }

    /// Counters run 0…127 then a battery report (≥ 128): a cycle of 129 positions.
    static func position(_ counter: UInt8) -> Int { counter >= 128 ? 128 : Int(counter) }

    func run(while keepGoing: () -> Bool) {
        let capacity = 4096
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        let plain = UnsafeMutablePointer<UInt8>.allocate(capacity: Emotiv.reportSize)
        defer { buffer.deallocate(); plain.deallocate() }
        var filled = 0
        var everRead = false
        var reported = false
        while keepGoing() {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) > 0 else { continue }
            let n = read(fd, buffer + filled, capacity - filled)
            if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            if n <= 0 {
                // A FIFO without a writer yet reads as end of file: only vanishing after data counts.
                if everRead && !reported {
                    status.error("Emotiv device \(path) vanished (\(n < 0 ? errorText() : "end of data")); is the dongle unplugged?")
                    reported = true
                }
                napSeconds(0.05)
                continue
            }
            everRead = true
            // hidraw may hand a report with its report-id byte in front.
            if filled == 0 && n == Emotiv.reportSize + 1 {
                memmove(buffer, buffer + 1, Emotiv.reportSize)
                filled = Emotiv.reportSize
            } else {
                filled += n
            }
            var rows = EmotivRows()
            var offset = 0
            while filled - offset >= Emotiv.reportSize {
                _ = cipher.apply(buffer + offset, plain, count: Emotiv.reportSize)
                accept(Array(UnsafeBufferPointer(start: plain, count: Emotiv.reportSize)), into: &rows)
                offset += Emotiv.reportSize
            }
            if offset > 0 {
                memmove(buffer, buffer + offset, filled - offset)
                filled -= offset
            }
            do throws(PyAcqError) { try send(rows) } catch { status.error(error.message) }
        }
    }

    /// Sends trusted reports; holds back the first ones until 4 consecutive counters prove the key.
    private func accept(_ plain: [UInt8], into rows: inout EmotivRows) {
        status.add("reports")
        let counter = Self.position(plain[0])
        if verified {
            if let last = lastCounter {
                let missing = (counter - last - 1 + 129) % 129
                if missing > 0 { rows.gaps.append((rows.count, missing)); status.add("reports_dropped", missing) }
            }
            lastCounter = counter
            decode(plain, into: &rows)
            return
        }
        if let previous = unverified.last, (Self.position(previous[0]) + 1) % 129 != counter {
            status.add("reports_undecodable", unverified.count)
            unverified = []
            if status.count("reports_undecodable") >= 32 && !undecodableReported {
                undecodableReported = true
                status.error("reports from \(path) do not decrypt with the key of serial '\(serial)' (their counter does not count); is it the serial of this dongle?")
            }
        }
        unverified.append(plain)
        guard unverified.count >= 4 else { return }
        verified = true
        status.set("key_verified", true)
        for report in unverified { decode(report, into: &rows) }
        lastCounter = Self.position(unverified[unverified.count - 1][0])
        unverified = []
    }

    private func decode(_ plain: [UInt8], into rows: inout EmotivRows) {
        plain.withUnsafeBufferPointer { p in
            guard let data = p.baseAddress else { return }
            if let channel = Emotiv.qualityChannel(counter: Int(plain[0])) {
                impedance[channel] = Float(Emotiv.level(data, Emotiv.qualityBits)) / 540
            }
            for bits in Emotiv.channelBits { rows.signals.append(Int16(Emotiv.level(data, bits))) }
        }
        rows.impedances += impedance
        rows.gyro += [Int16(plain[29]) - 106, Int16(plain[30]) - 105]
    }

    private func send(_ rows: EmotivRows) throws(PyAcqError) {
        var start = 0
        for gap in rows.gaps + [(row: rows.count, missing: 0)] {
            if gap.row > start {
                let count = gap.row - start
                index += count
                try outputs.signals.send(NDArray(dtype: .int16, shape: [count, 14], values: Array(rows.signals[(start * 14)..<(gap.row * 14)])).view, index: index)
                try outputs.impedances.send(NDArray(dtype: .float32, shape: [count, 14], values: Array(rows.impedances[(start * 14)..<(gap.row * 14)])).view, index: index)
                try outputs.gyro.send(NDArray(dtype: .int16, shape: [count, 2], values: Array(rows.gyro[(start * 2)..<(gap.row * 2)])).view, index: index)
            }
            index += gap.missing
            start = gap.row
        }
    }
}

struct EmotivRows {
    var signals: [Int16] = []
    var impedances: [Float] = []
    var gyro: [Int16] = []
    var gaps: [(row: Int, missing: Int)] = []
    var count: Int { gyro.count / 2 }
}

extension String {
    /// Without leading and trailing spaces, tabs and line ends.
    var strippingBlanks: String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        return String(String(self.drop(while: blank).reversed()).drop(while: blank).reversed())
    }
}
