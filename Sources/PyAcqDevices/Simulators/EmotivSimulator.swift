#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore

/// What an Emotiv simulator sends in report k (from each reader's start): channel levels,
/// contact-quality level, gyro bytes, counter (0…127, then a battery report).
public enum EmotivTestSignal {
    public static func level(report k: Int, channel c: Int) -> Int { (k * 37 + c * 1171) % 16384 }
    public static func counter(report k: Int) -> UInt8 { k % 129 == 128 ? 0x80 | 57 : UInt8(k % 129) }
    public static func gyro(report k: Int) -> (UInt8, UInt8) { (UInt8(truncatingIfNeeded: k * 3 + 90), UInt8(truncatingIfNeeded: k * 5 + 100)) }
    /// The quality level as sent (O1's two lowest bits share its bits 3 and 4).
    public static func quality(report k: Int) -> Int {
        let o1 = level(report: k, channel: Emotiv.channelNames.firstIndex(of: "O1") ?? 0)
        return ((k * 97 + 5) % 16384) & ~0b11000 | (o1 & 0b11) << 3
    }

    /// The 32 plaintext bytes of report k.
    public static func plaintext(report k: Int) -> [UInt8] {
        var data = [UInt8](repeating: 0, count: Emotiv.reportSize)
        data[0] = counter(report: k)
        Emotiv.setLevel(quality(report: k), Emotiv.qualityBits, in: &data)
        for (c, bits) in Emotiv.channelBits.enumerated() { Emotiv.setLevel(level(report: k, channel: c), bits, in: &data) }
        (data[29], data[30]) = gyro(report: k)
        return data
    }
}

public struct EmotivSimulatorOptions: Sendable {
    public var serial = "SN20120229000254"
    /// 1 = real time (128 reports/s), 0 = as fast as the reader takes them.
    public var speed = 1.0
    /// Fault injection: every n-th report is never sent (0: off).
    public var dropEvery = 0
    public init() {}
}

/// The reports a dongle with serial `serial` sends: `EmotivTestSignal` encrypted with its key.
/// The FIFO simulator writes them; tests feed them to the USB transport's endpoint stand-in.
public final class EmotivReportGenerator: @unchecked Sendable {
    private let cipher: AES128ECB

    public init(serial: String) throws(PyAcqError) {
        guard let key = Emotiv.key(serial: serial) else {
            throw PyAcqError(.badParams, "serial '\(serial)' is too short (≥ 4 characters)", exceptionType: "ValueError")
        }
        cipher = try AES128ECB(key: key, encrypt: true)
    }

    public func encrypted(report k: Int) -> [UInt8] {
        cipher.apply(EmotivTestSignal.plaintext(report: k)) ?? []
    }
}

/// An EPOC dongle stand-in: encrypted reports on a FIFO, streamed to each reader that opens it.
public final class EmotivSimulator: @unchecked Sendable {
    public let options: EmotivSimulatorOptions
    public let path: String
    private let reports: EmotivReportGenerator
    private let onEvent: @Sendable (String) -> Void

    public init(options: EmotivSimulatorOptions, path: String, onEvent: @escaping @Sendable (String) -> Void = { _ in }) throws(PyAcqError) {
        reports = try EmotivReportGenerator(serial: options.serial)
        self.options = options
        self.path = path
        self.onEvent = onEvent
        unlink(path)
        guard mkfifo(path, 0o600) == 0 else { throw PyAcqError(.io, "cannot create FIFO \(path): \(errorText())") }
    }

    deinit { unlink(path) }

    /// Serves readers one after the other, forever.
    public func run() {
        signal(SIGPIPE, SIG_IGN)
        while true {
            let fd = open(path, O_WRONLY | O_CLOEXEC)  // waits for a reader
            guard fd >= 0 else { return }
            onEvent("reader connected")
            let t0 = monotonicSeconds()
            var k = 0
            while true {
                if options.speed > 0 {
                    let due = t0 + Double(k + 1) / Emotiv.sampleRate / options.speed
                    let wait = due - monotonicSeconds()
                    if wait > 0 { napSeconds(wait) }
                }
                if options.dropEvery == 0 || k % options.dropEvery != options.dropEvery - 1 {
                    let report = reports.encrypted(report: k)
                    let n = report.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    if n != report.count { break }
                }
                k += 1
            }
            close(fd)
            onEvent("reader gone after \(k) reports")
        }
    }
}
