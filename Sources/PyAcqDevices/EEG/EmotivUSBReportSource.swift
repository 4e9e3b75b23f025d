import CLibUSB
import PyAcqCore

/// The lowest call of the USB transport: one interrupt IN transfer (libusb's
/// `libusb_interrupt_transfer`). The libusb implementation is `LibUSBDongle`; tests put a stand-in
/// fed by the simulator's reports here, so everything above it is the code a dongle runs.
public protocol USBInterruptEndpoint: AnyObject {
    /// Reads at most `length` bytes: libusb's status (0 or a `LIBUSB_ERROR_*`) and, in
    /// `transferred`, the bytes received (which may be > 0 even on a timeout).
    func interruptTransfer(_ buffer: UnsafeMutablePointer<UInt8>, length: Int32, transferred: inout Int32, timeoutMs: UInt32) -> Int32
    /// Gives the interface back (and the kernel driver its device) and closes it.
    func close()
}

/// Emotiv reports over an interrupt IN endpoint: one 32-byte report per transfer (the endpoint's
/// packet size, so a transfer never spans two reports).
public final class EmotivUSBReportSource: EmotivReportSource {
    let endpoint: any USBInterruptEndpoint
    /// "1234:ed02 at bus 3 address 5", for messages.
    public let dongle: String
    private var failuresInARow = 0
    static let failuresBeforeGivingUp = 20

    public init(endpoint: any USBInterruptEndpoint, dongle: String) {
        self.endpoint = endpoint
        self.dongle = dongle
    }

    static func name(_ status: Int32) -> String { String(cString: libusb_error_name(status)) }

    public func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int, timeoutMs: Int32) -> EmotivRead {
        var transferred: Int32 = 0
        let status = endpoint.interruptTransfer(buffer, length: Int32(min(capacity, Emotiv.reportSize)), transferred: &transferred, timeoutMs: UInt32(max(timeoutMs, 1)))
        if status == 0 || transferred > 0 {
            failuresInARow = 0
            return transferred > 0 ? .bytes(Int(transferred)) : .idle
        }
        switch status {
        case LIBUSB_ERROR_TIMEOUT.rawValue, LIBUSB_ERROR_INTERRUPTED.rawValue:
            return .idle
        case LIBUSB_ERROR_NO_DEVICE.rawValue:
            return .ended("the Emotiv dongle \(dongle) is gone (LIBUSB_ERROR_NO_DEVICE: unplugged or reset); reading stopped, the reports received before it are kept; plug it back and start the node again")
        default:
            failuresInARow += 1
            let what = "reading the Emotiv dongle \(dongle) failed (\(Self.name(status)))"
            if failuresInARow >= Self.failuresBeforeGivingUp {
                return .ended("\(what) \(failuresInARow) times in a row; reading stopped, the reports received before are kept")
            }
            napSeconds(0.01)
            return .failed(what)
        }
    }

    public func close() { endpoint.close() }
}
