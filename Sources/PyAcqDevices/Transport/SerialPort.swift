#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore

/// A serial port (or pseudo-terminal) in raw mode, 8N1, through termios. Reads wait at most a
/// timeout so acquisition threads can notice a stop; a port that disappears (USB dongle pulled,
/// simulator gone) becomes an error naming the port.
public final class SerialPort: @unchecked Sendable {
    public let path: String
    private var fd: Int32

    public init(path: String, baud: Int = 115200) throws(PyAcqError) {
        self.path = path
        fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw PyAcqError(.io, "cannot open serial port \(path): \(errorText())", exceptionType: "OSError")
        }
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else {
            let text = errorText()
            Glibc.close(fd)
            throw PyAcqError(.io, "\(path) is not a serial port: \(text)", exceptionType: "OSError")
        }
        cfmakeraw(&t)
        t.c_cflag |= tcflag_t(CLOCAL | CREAD)
        t.c_cflag &= ~tcflag_t(PARENB | CSTOPB | CSIZE)
        t.c_cflag |= tcflag_t(CS8)
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        let speed = Self.speed(baud)
        guard let speed else {
            Glibc.close(fd)
            throw PyAcqError(.badParams, "unsupported baud rate \(baud)", exceptionType: "ValueError")
        }
        cfsetispeed(&t, speed)
        cfsetospeed(&t, speed)
        guard tcsetattr(fd, TCSANOW, &t) == 0 else {
            let text = errorText()
            Glibc.close(fd)
            throw PyAcqError(.io, "cannot configure serial port \(path): \(text)", exceptionType: "OSError")
        }
        tcflush(fd, TCIOFLUSH)
    }

    static func speed(_ baud: Int) -> speed_t? {
        switch baud {
        case 9600: return speed_t(B9600)
        case 57600: return speed_t(B57600)
        case 115200: return speed_t(B115200)
        case 230400: return speed_t(B230400)
        default: return nil
        }
    }

    deinit { close() }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Reads up to `count` bytes: 0 when nothing arrived within `timeoutMs`.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int, timeoutMs: Int) throws(PyAcqError) -> Int {
        guard fd >= 0 else { throw PyAcqError(.closed, "serial port \(path) is closed") }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&p, 1, Int32(timeoutMs))
        if ready == 0 || (ready < 0 && errno == EINTR) { return 0 }
        let n = Glibc.read(fd, buffer, count)
        if n > 0 { return n }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return 0 }
        // Readable with nothing to read, or EIO: the other end is gone.
        let reason = n < 0 ? errorText() : "hang-up"
        throw PyAcqError(.io, "serial port \(path) vanished (\(reason)); is the device unplugged?", exceptionType: "OSError")
    }

    public func write(_ text: String) throws(PyAcqError) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n > 0 { sent += n; continue }
            if n < 0 && (errno == EAGAIN || errno == EINTR) {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, 100)
                continue
            }
            throw PyAcqError(.io, "writing to serial port \(path): \(errorText())", exceptionType: "OSError")
        }
    }

    /// Reads text until it contains `marker` or `timeoutMs` passes; returns what was read.
    public func readText(until marker: String, timeoutMs: Int) throws(PyAcqError) -> String {
        var bytes: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 1)
        defer { chunk.deallocate() }
        let deadline = monotonicSeconds() + Double(timeoutMs) / 1000
        while monotonicSeconds() < deadline {
            guard let base = chunk.baseAddress else { break }
            let n = try read(into: base, count: chunk.count, timeoutMs: 50)
            bytes += chunk[0..<n]
            let text = String(decoding: bytes, as: UTF8.self)
            if text.contains(marker) { return text }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
