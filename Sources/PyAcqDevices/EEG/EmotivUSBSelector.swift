import PyAcqCore

/// Which Emotiv dongle to open over libusb, from the node's `device_handle`:
/// `'usb'` (the first EPOC dongle found), `'usb:1234:ed02'` (vendor:product in hex, as lsusb
/// prints it), `'usb:3/5'` (bus/device numbers, as lsusb prints them); `serial=` chooses among
/// several dongles.
public struct EmotivUSBSelector: Equatable, Sendable {
    public struct ID: Equatable, Sendable {
        public let vendor: UInt16, product: UInt16
        public init(vendor: UInt16, product: UInt16) { self.vendor = vendor; self.product = product }
        public var text: String { hex4(vendor) + ":" + hex4(product) }
    }

    /// EPOC consumer dongles: the first ones (1234:ed02) and later ones (21a1:0001).
    public static let epocDongles = [ID(vendor: 0x1234, product: 0xed02), ID(vendor: 0x21a1, product: 0x0001)]
    /// The EPOC streams its reports on interface 1 ("Emotiv RAW DATA"), interrupt IN endpoint 0x82.
    static let interface: Int32 = 1
    static let endpoint: UInt8 = 0x82

    public var ids = epocDongles
    public var bus: UInt8?
    public var address: UInt8?
    public var serial: String?

    /// Any EPOC dongle.
    public init() {}

    /// nil when `handle` is a path (hidraw, FIFO, file) rather than a USB selection.
    public static func parse(_ handle: String) throws(PyAcqError) -> EmotivUSBSelector? {
        guard handle == "usb" || handle.hasPrefix("usb:") else { return nil }
        var selector = EmotivUSBSelector()
        if handle == "usb" { return selector }
        let rest = handle.dropFirst(4)
        let bad = PyAcqError(.badParams, "Emotiv device_handle '\(handle)': expected 'usb', 'usb:VVVV:PPPP' (vendor:product in hex, e.g. 'usb:1234:ed02') or 'usb:BUS/DEVICE' (numbers as lsusb prints them, e.g. 'usb:3/5')", exceptionType: "ValueError")
        let idParts = rest.split(separator: ":", omittingEmptySubsequences: false)
        let placeParts = rest.split(separator: "/", omittingEmptySubsequences: false)
        if idParts.count == 2, let v = UInt16(idParts[0], radix: 16), let p = UInt16(idParts[1], radix: 16) {
            selector.ids = [ID(vendor: v, product: p)]
        } else if placeParts.count == 2, let b = UInt8(placeParts[0]), let a = UInt8(placeParts[1]) {
            (selector.bus, selector.address) = (b, a)
        } else {
            throw bad
        }
        return selector
    }

    /// "1234:ed02 or 21a1:0001 at bus 3 address 5", for messages.
    public var text: String {
        ids.map(\.text).joined(separator: " or ") + (bus.map { " at bus \($0) address \(address ?? 0)" } ?? "")
    }
}

func hex4(_ v: UInt16) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}
