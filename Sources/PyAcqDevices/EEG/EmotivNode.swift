#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore
import Synchronization

/// Emotiv EPOC (consumer dongle, PROTOCOL §14.4). `configure(device_handle='/dev/hidraw0',
/// serial=None)`, where `device_handle` is, as in pyacq, a hidraw device (or any file or FIFO giving
/// the same 32-byte reports, like `pyacq simulate emotiv`), or the dongle itself over libusb:
/// `'usb'` (the first EPOC dongle: 1234:ed02 or 21a1:0001), `'usb:1234:ed02'` (vendor:product, hex),
/// `'usb:3/5'` (bus/device numbers as lsusb prints them). The serial (the AES key) is read from
/// sysfs for a hidraw device, from the USB serial-number descriptor over libusb, unless given;
/// over libusb a given serial also picks the dongle among several. Outputs `signals` (14 × int16
/// 14-bit levels), `impedances` (contact quality / 540, each held until its sensor's next report)
/// and `gyro` (X, Y), one row per report, 128 Hz. Reports are only trusted once their counters
/// count (4 in a row): with a wrong serial nothing is sent and an error says so. Counter jumps
/// (lost reports) are counted and skipped in the index; a report that does not decrypt is counted
/// in `reports_undecodable` and skipped. A dongle unplugged mid-run ends the reading with an error
/// naming it; what was received is kept.
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
    /// Set when `device_handle` selects the dongle over libusb.
    public private(set) var usb: EmotivUSBSelector?
    private var key: [UInt8] = []
    private var thread: PosixThread?
    private let running = Atomic<Bool>(false)
    private let status = DeviceStatus(source: "Emotiv", counters: EmotivReader.counterNames, flags: ["key_verified"])

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        if let unknown = kwargs.keys.first(where: { $0 != "device_handle" && $0 != "serial" }) {
            throw PyAcqError(.badParams, "Emotiv.configure() got an unexpected keyword '\(unknown)'", exceptionType: "TypeError")
        }
        devicePath = kwargs["device_handle"]?.stringValue ?? "/dev/hidraw0"
        let given = kwargs["serial"]?.stringValue
        usb = try EmotivUSBSelector.parse(devicePath)
        if var selector = usb {
            // Looked up now so a missing dongle is reported by configure(), as a missing hidraw is.
            selector.serial = given
            usb = selector
            let dongle = try LibUSBDongle(selector, claim: false)
            serial = given ?? dongle.serial
            dongle.close()
            guard !serial.isEmpty else {
                throw PyAcqError(.badParams, "the Emotiv dongle \(dongle.description) has no serial-number descriptor; pass serial='<the dongle serial>' to configure()", exceptionType: "ValueError")
            }
        } else if let given {
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
        let outputs = EmotivReader.Outputs(signals: try output(named: "signals"), impedances: try output(named: "impedances"), gyro: try output(named: "gyro"))
        let cipher = try AES128ECB(key: key)
        let source: any EmotivReportSource, sourceName: String
        if let usb {
            let dongle = try LibUSBDongle(usb, claim: true)
            source = EmotivUSBReportSource(endpoint: dongle, dongle: dongle.description)
            sourceName = "the Emotiv dongle \(dongle.description)"
        } else {
            source = try EmotivFileSource(path: devicePath)
            sourceName = devicePath
        }
        let reader = EmotivReader(source: source, sourceName: sourceName, serial: serial, cipher: cipher, outputs: outputs, status: status)
        status.reset()
        running.store(true, ordering: .releasing)
        thread = PosixThread(name: "\(name)-emotiv") { [self] in
            reader.run(while: { running.load(ordering: .acquiring) })
        }
    }

    public override func didStop() throws(PyAcqError) {
        running.store(false, ordering: .releasing)
        thread?.join()
        thread = nil
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line ends.
    var strippingBlanks: String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        return String(String(self.drop(while: blank).reversed()).drop(while: blank).reversed())
    }
}
