#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore

/// The deterministic counts an OpenBCI simulator sends: row k (from each `b`) of channel c
/// (0–7 board, 8–15 Daisy) and aux axis a. The channel values sweep the whole 24-bit range, so
/// both signs and the 0x7F… / 0x80… boundary appear.
public enum OpenBCITestSignal {
    public static func count(row k: Int, channel c: Int) -> Int32 {
        // Rows that sit on the sign boundary: first byte 0x7F (positive) and 0x80 (negative).
        if k % 16 == 5 { return 8_323_072 + Int32(k % 4096 * 16 + c) }
        if k % 16 == 6 { return -8_388_608 + Int32(k % 4096 * 16 + c) }
        return Int32((k % 16_777_216 * 7919 + c * 1_000_003) % 16_777_216) - 8_388_608
    }

    public static func aux(row k: Int, axis a: Int) -> Int16 { Int16(truncatingIfNeeded: k * 13 + a * 1000 - 1500) }
}

public struct OpenBCISimulatorOptions: Sendable {
    public var daisy = false
    /// 1 = real time (250 packets/s), 0 = as fast as the line takes them.
    public var speed = 1.0
    /// Fault injection (0: off): noise bytes before every n-th row, a wrong end byte on every
    /// n-th row, every n-th row never sent, the port closing after n rows.
    public var garbageEvery = 0
    public var corruptEvery = 0
    public var dropEvery = 0
    public var vanishAfter = 0
    public init() {}

    /// Noise with start bytes in it, as a line glitch or a half-read text reply would leave.
    public static let garbage: [UInt8] = [0x00, 0xA0, 0xFF, 0xA0, 0x55, 0xC0, 0x0D, 0x0A]
}

/// An OpenBCI Cyton (optionally with Daisy) on a pseudo-terminal: answers `v` with its banner,
/// streams packets after `b` until `s`, ignores other commands.
public final class OpenBCISimulator: @unchecked Sendable {
    public let options: OpenBCISimulatorOptions
    public let path: String
    private let master: Int32
    private let slave: Int32
    private let onEvent: @Sendable (String) -> Void

    public init(options: OpenBCISimulatorOptions, onEvent: @escaping @Sendable (String) -> Void = { _ in }) throws(PyAcqError) {
        self.options = options
        self.onEvent = onEvent
        // posix_openpt/unlockpt/ptsname are hidden from Swift's Glibc: the same through /dev/ptmx.
        let m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0, number: UInt32 = 0
        guard m >= 0, ioctl(m, Self.TIOCSPTLCK, &unlock) == 0, ioctl(m, Self.TIOCGPTN, &number) == 0 else {
            throw PyAcqError(.io, "cannot create a pseudo-terminal: \(errorText())")
        }
        master = m
        path = "/dev/pts/\(number)"
        // Keep the terminal side open ourselves (raw), so it lives across clients.
        slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        var t = termios()
        tcgetattr(slave, &t)
        cfmakeraw(&t)
        tcsetattr(slave, TCSANOW, &t)
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close(master)
        close(slave)
    }

    static let TIOCSPTLCK: UInt = 0x4004_5431
    static let TIOCGPTN: UInt = 0x8004_5430

    public var banner: String {
        "OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\n" + (options.daisy ? "On Daisy ADS1299 Device ID: 0x3E\n" : "")
            + "LIS3DH Device ID: 0x33\nFirmware: v3.1.2 (simulated)\n$$$"
    }

    /// Serves until `vanishAfter` rows were sent (then returns, closing the terminal) or forever.
    public func run() {
        var streaming = false
        var row = 0, packet = 0
        var t0 = 0.0
        let packetsPerRow = options.daisy ? 2 : 1
        var command = [UInt8](repeating: 0, count: 256)
        while true {
            let due = streaming && options.speed > 0 ? t0 + Double(packet + packetsPerRow) / OpenBCI.sampleRate / options.speed : 0
            let wait = streaming ? max(0, Int((due - monotonicSeconds()) * 1000)) : 100
            var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, Int32(wait)) > 0 {
                let n = read(master, &command, command.count)
                for byte in command.prefix(max(0, n)) {
                    switch byte {
                    case UInt8(ascii: "v"):
                        streaming = false
                        write(Array(banner.utf8))
                        onEvent("reset")
                    case UInt8(ascii: "b"):
                        streaming = true
                        row = 0; packet = 0
                        t0 = monotonicSeconds()
                        onEvent("streaming")
                    case UInt8(ascii: "s"):
                        streaming = false
                        onEvent("stopped after \(row) rows")
                    default: break
                    }
                }
                continue
            }
            guard streaming, monotonicSeconds() >= due else { continue }
            if options.vanishAfter > 0 && row == options.vanishAfter {
                // Closing the terminal discards what the reader has not read yet: let it read.
                napSeconds(0.3)
                onEvent("vanishing after \(row) rows")
                return
            }
            write(packets(row: row, packet: packet))
            row += 1
            packet += packetsPerRow
        }
    }

    /// The bytes for one row (one packet, or the Daisy and board packets), faults included.
    func packets(row k: Int, packet: Int) -> [UInt8] {
        let o = options
        var out: [UInt8] = []
        if o.garbageEvery > 0 && k % o.garbageEvery == o.garbageEvery - 1 { out += OpenBCISimulatorOptions.garbage }
        if o.dropEvery > 0 && k % o.dropEvery == o.dropEvery - 1 { return out }
        let aux = (0..<3).map { OpenBCITestSignal.aux(row: k, axis: $0) }
        let end: UInt8 = o.corruptEvery > 0 && k % o.corruptEvery == o.corruptEvery - 1 ? 0x00 : 0xC0
        if o.daisy {
            let daisy = (8..<16).map { OpenBCITestSignal.count(row: k, channel: $0) }
            out += OpenBCI.packet(sample: UInt8(truncatingIfNeeded: packet + 1), channels: daisy, aux: aux)
        }
        let board = (0..<8).map { OpenBCITestSignal.count(row: k, channel: $0) }
        out += OpenBCI.packet(sample: UInt8(truncatingIfNeeded: o.daisy ? packet + 2 : packet), channels: board, aux: aux, end: end)
        return out
    }

    /// Writes what the terminal takes within 100 ms (a real line drops what nobody reads).
    private func write(_ bytes: [UInt8]) {
        var sent = 0
        let deadline = monotonicSeconds() + 0.1
        while sent < bytes.count && monotonicSeconds() < deadline {
            let n = bytes[sent...].withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
            if n > 0 { sent += n; continue }
            var p = pollfd(fd: master, events: Int16(POLLOUT), revents: 0)
            _ = poll(&p, 1, 10)
        }
    }
}
