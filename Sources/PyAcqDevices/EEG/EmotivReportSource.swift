#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore

/// What one read of an Emotiv report source gave.
public enum EmotivRead: Equatable, Sendable {
    /// This many bytes were written at the buffer.
    case bytes(Int)
    /// Nothing this time (timeout, a FIFO with no writer yet); ask again.
    case idle
    /// A problem worth an error; the source may recover, so reading goes on.
    case failed(String)
    /// The device is gone for good: reading stops (what was received is kept).
    case ended(String)
}

/// Where the encrypted 32-byte Emotiv reports come from (a hidraw device or FIFO, or the dongle
/// over libusb). The decoder (`EmotivReader`) is the same for all of them.
public protocol EmotivReportSource: AnyObject {
    /// Waits up to `timeoutMs` for bytes and writes at most `capacity` of them at `buffer`.
    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int, timeoutMs: Int32) -> EmotivRead
    /// Releases the device (called once, on the reading thread, when reading is over).
    func close()
}

/// A hidraw device, a file or a FIFO (pyacq's `device_handle='/dev/hidraw0'`, and the simulator).
final class EmotivFileSource: EmotivReportSource {
    let path: String
    private let fd: Int32
    private var delivered = 0
    private var vanishReported = false

    init(path: String) throws(PyAcqError) {
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw PyAcqError(.io, "cannot open Emotiv device \(path): \(errorText())", exceptionType: "OSError") }
        self.path = path
    }

    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int, timeoutMs: Int32) -> EmotivRead {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, timeoutMs) > 0 else { return .idle }
        let n = Glibc.read(fd, buffer, capacity)
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return .idle }
        if n <= 0 {
            let why = n < 0 ? errorText() : "end of data"
            napSeconds(0.05)
            // A FIFO without a writer yet reads as end of file: only vanishing after data counts.
            guard delivered > 0 && !vanishReported else { return .idle }
            vanishReported = true
            return .failed("Emotiv device \(path) vanished (\(why)); is the dongle unplugged?")
        }
        // hidraw may hand a report with its report-id byte in front.
        if delivered % Emotiv.reportSize == 0 && n == Emotiv.reportSize + 1 {
            memmove(buffer, buffer + 1, Emotiv.reportSize)
            delivered += Emotiv.reportSize
            return .bytes(Emotiv.reportSize)
        }
        delivered += n
        return .bytes(n)
    }

    func close() { Glibc.close(fd) }
}
