import CLibUSB
import PyAcqCore

/// An Emotiv dongle opened with libusb: found by vendor/product id (or bus/address, or serial),
/// kernel driver detached from the report interface, interface claimed. Closing gives everything
/// back (the kernel's hidraw node returns).
public final class LibUSBDongle: USBInterruptEndpoint, @unchecked Sendable {
    private let context: OpaquePointer
    private let handle: OpaquePointer
    private var endpointAddress: UInt8 = EmotivUSBSelector.endpoint
    private var claimed = false
    private var detached = false
    private var closed = false
    /// "1234:ed02 at bus 3 address 5".
    public let description: String
    /// From the USB string descriptor ("" when the dongle has none).
    public let serial: String

    /// Finds and opens the dongle; with `claim`, readies interface 1 for interrupt transfers.
    public init(_ selector: EmotivUSBSelector, claim: Bool) throws(PyAcqError) {
        var ctx: OpaquePointer?
        let rc = libusb_init(&ctx)
        guard rc == 0, let ctx else {
            throw PyAcqError(.io, "libusb could not start (\(Self.name(rc))), so the Emotiv dongle (\(selector.text)) cannot be looked for", exceptionType: "OSError")
        }
        context = ctx
        do throws(PyAcqError) {
            (handle, description, serial) = try Self.open(selector, ctx)
        } catch {
            libusb_exit(ctx)
            throw error
        }
        if claim {
            do throws(PyAcqError) { try claimReportInterface() } catch {
                close()
                throw error
            }
        }
    }

    deinit { close() }

    static func name(_ rc: Int32) -> String { String(cString: libusb_error_name(rc)) }
    static func ids(_ d: libusb_device_descriptor) -> EmotivUSBSelector.ID { .init(vendor: d.idVendor, product: d.idProduct) }

    /// The first dongle the selector matches, opened; its description and serial.
    private static func open(_ selector: EmotivUSBSelector, _ ctx: OpaquePointer) throws(PyAcqError) -> (OpaquePointer, String, String) {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(ctx, &list)
        guard count >= 0, let list else {
            throw PyAcqError(.io, "libusb cannot list USB devices (\(name(Int32(count)))) to find the Emotiv dongle (\(selector.text))", exceptionType: "OSError")
        }
        defer { libusb_free_device_list(list, 1) }
        var refusals: [String] = []
        var serialsSeen: [String] = []
        var found = 0
        for i in 0..<count {
            guard let device = list[i] else { continue }
            var d = libusb_device_descriptor()
            guard libusb_get_device_descriptor(device, &d) == 0, selector.ids.contains(ids(d)) else { continue }
            let bus = libusb_get_bus_number(device), address = libusb_get_device_address(device)
            if let b = selector.bus, b != bus || selector.address != address { continue }
            found += 1
            let place = "\(ids(d).text) at bus \(bus) address \(address)"
            var h: OpaquePointer?
            let rc = libusb_open(device, &h)
            guard rc == 0, let h else {
                refusals.append("cannot open the Emotiv dongle \(place): \(name(rc))" + (rc == LIBUSB_ERROR_ACCESS.rawValue ? " (permission denied: add a udev rule such as SUBSYSTEM==\"usb\", ATTRS{idVendor}==\"\(hex4(d.idVendor))\", ATTRS{idProduct}==\"\(hex4(d.idProduct))\", MODE=\"0666\" in /etc/udev/rules.d/99-emotiv.rules, then replug the dongle)" : ""))
                continue
            }
            let serial = readSerial(h, d)
            if let wanted = selector.serial, wanted != serial {
                serialsSeen.append("\(place): '\(serial)'")
                libusb_close(h)
                continue
            }
            return (h, place, serial)
        }
        if let refusal = refusals.first { throw PyAcqError(.io, refusal, exceptionType: "PermissionError") }
        if found > 0, let wanted = selector.serial {
            throw PyAcqError(.io, "no Emotiv dongle (\(selector.text)) has serial '\(wanted)'; found \(serialsSeen.joined(separator: ", "))", exceptionType: "OSError")
        }
        throw PyAcqError(.io, "no Emotiv dongle found over USB: no device \(selector.text) among the \(count) USB devices libusb sees; is the dongle plugged in (lsusb lists it)? A hidraw node can be given instead: device_handle='/dev/hidrawN'", exceptionType: "OSError")
    }

    private static func readSerial(_ h: OpaquePointer, _ d: libusb_device_descriptor) -> String {
        guard d.iSerialNumber != 0 else { return "" }
        var text = [UInt8](repeating: 0, count: 256)
        let n = libusb_get_string_descriptor_ascii(h, d.iSerialNumber, &text, Int32(text.count))
        return n > 0 ? String(decoding: text[0..<Int(n)], as: UTF8.self) : ""
    }

    /// Checks interface 1 has an interrupt IN endpoint (0x82 on the EPOC), detaches the kernel's
    /// HID driver from it and claims it.
    private func claimReportInterface() throws(PyAcqError) {
        let interface = EmotivUSBSelector.interface
        guard let address = Self.interruptIn(libusb_get_device(handle), interface: interface) else {
            throw PyAcqError(.io, "the Emotiv dongle \(description) has no interrupt IN endpoint on interface \(interface); is it an EPOC dongle?", exceptionType: "OSError")
        }
        endpointAddress = address
        if libusb_kernel_driver_active(handle, interface) == 1 {
            let rc = libusb_detach_kernel_driver(handle, interface)
            guard rc == 0 else {
                throw PyAcqError(.io, "cannot detach the kernel driver from interface \(interface) of the Emotiv dongle \(description): \(Self.name(rc))", exceptionType: "OSError")
            }
            detached = true
        }
        let rc = libusb_claim_interface(handle, interface)
        guard rc == 0 else {
            let why = rc == LIBUSB_ERROR_BUSY.rawValue ? " (another program holds it)" : ""
            throw PyAcqError(.io, "cannot claim interface \(interface) of the Emotiv dongle \(description): \(Self.name(rc))\(why)", exceptionType: "OSError")
        }
        claimed = true
    }

    /// The interrupt IN endpoint of `interface` (0x82 preferred), from the active configuration.
    static func interruptIn(_ device: OpaquePointer?, interface: Int32) -> UInt8? {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        guard let device, libusb_get_active_config_descriptor(device, &config) == 0, let config else { return nil }
        defer { libusb_free_config_descriptor(config) }
        var found: [UInt8] = []
        for i in 0..<Int(config.pointee.bNumInterfaces) {
            let alternates = config.pointee.interface[i]
            for a in 0..<Int(alternates.num_altsetting) {
                let setting = alternates.altsetting[a]
                guard Int32(setting.bInterfaceNumber) == interface else { continue }
                for e in 0..<Int(setting.bNumEndpoints) {
                    let endpoint = setting.endpoint[e]
                    if endpoint.bEndpointAddress & 0x80 != 0 && endpoint.bmAttributes & 0x3 == UInt8(LIBUSB_TRANSFER_TYPE_INTERRUPT.rawValue) {
                        found.append(endpoint.bEndpointAddress)
                    }
                }
            }
        }
        return found.contains(EmotivUSBSelector.endpoint) ? EmotivUSBSelector.endpoint : found.first
    }

    public func interruptTransfer(_ buffer: UnsafeMutablePointer<UInt8>, length: Int32, transferred: inout Int32, timeoutMs: UInt32) -> Int32 {
        libusb_interrupt_transfer(handle, endpointAddress, buffer, length, &transferred, timeoutMs)
    }

    public func close() {
        guard !closed else { return }
        closed = true
        if claimed { libusb_release_interface(handle, EmotivUSBSelector.interface) }
        if detached { libusb_attach_kernel_driver(handle, EmotivUSBSelector.interface) }
        libusb_close(handle)
        libusb_exit(context)
    }
}
