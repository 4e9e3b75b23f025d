#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore

/// One start…stop of an Emotiv node, whatever the transport: reads reports from its source,
/// checks the key, decodes, sends rows. Reports are trusted once 4 counters in a row count; after
/// that a report whose counter jumps is held until the next one confirms the jump (lost reports)
/// or not (a report that did not decrypt: counted in `reports_undecodable` and skipped).
public final class EmotivReader: @unchecked Sendable {
    public struct Outputs {
        public let signals: OutputStream, impedances: OutputStream, gyro: OutputStream
        public init(signals: OutputStream, impedances: OutputStream, gyro: OutputStream) {
            self.signals = signals; self.impedances = impedances; self.gyro = gyro
        }
    }

    static let counterNames = ["reports", "reports_dropped", "reports_undecodable", "errors"]
    let source: any EmotivReportSource
    let sourceName: String, serial: String, cipher: AES128ECB
    let outputs: Outputs
    let status: DeviceStatus
    private var impedance = [Float](repeating: 0, count: 14)
    /// Decrypted reports waiting for the key to prove right.
    private var unverified: [[UInt8]] = []
    private var verified = false
    /// A report whose counter jumped, waiting for the next one to confirm it.
    private var jumped: [UInt8]?
    private var lastCounter: Int?
    private var index = 0
    private var undecodableReported = false

    init(source: any EmotivReportSource, sourceName: String, serial: String, cipher: AES128ECB, outputs: Outputs, status: DeviceStatus) {
        self.source = source; self.sourceName = sourceName; self.serial = serial; self.cipher = cipher
        self.outputs = outputs; self.status = status
    }

    /// A reader with its own counters (`attribute(_:)`), e.g. to drive a source outside a node.
    public convenience init(source: any EmotivReportSource, sourceName: String, serial: String, cipher: AES128ECB, outputs: Outputs) {
        self.init(source: source, sourceName: sourceName, serial: serial, cipher: cipher, outputs: outputs,
                  status: DeviceStatus(source: "Emotiv", counters: Self.counterNames, flags: ["key_verified"]))
    }

    /// The counters and errors of the node's attributes (`reports`, `recent_errors`, …).
    public func attribute(_ name: String) -> Value? { status.attribute(name) }

    /// Counters run 0…127 then a battery report (≥ 128): a cycle of 129 positions.
    static func position(_ counter: UInt8) -> Int { counter >= 128 ? 128 : Int(counter) }
    static func follows(_ counter: Int, _ previous: Int) -> Bool { counter == (previous + 1) % 129 }

    /// Reads until `keepGoing` says no or the source ends; closes the source.
    public func run(while keepGoing: () -> Bool) {
        let capacity = 4096
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        let plain = UnsafeMutablePointer<UInt8>.allocate(capacity: Emotiv.reportSize)
        defer { buffer.deallocate(); plain.deallocate(); source.close() }
        var filled = 0
        while keepGoing() {
            var rows = EmotivRows()
            let result = source.read(into: buffer + filled, capacity: capacity - filled, timeoutMs: 100)
            if case .bytes(let n) = result {
                filled += n
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
            } else {
                // The stream paused: no next report will confirm a jump, decide now.
                settleJump(into: &rows)
            }
            deliver(rows)
            switch result {
            case .bytes, .idle: break
            case .failed(let message): status.error(message)
            case .ended(let message):
                // Reported after what came before it is sent, so nothing received is lost.
                status.error(message)
                return
            }
        }
        var rows = EmotivRows()
        settleJump(into: &rows)
        deliver(rows)
    }

    private func deliver(_ rows: EmotivRows) {
        guard rows.count > 0 else { return }
        do throws(PyAcqError) { try send(rows) } catch { status.error(error.message) }
    }

    /// Sends trusted reports; holds back the first ones until 4 consecutive counters prove the key.
    private func accept(_ plain: [UInt8], into rows: inout EmotivRows) {
        status.add("reports")
        let counter = Self.position(plain[0])
        if verified {
            if let held = jumped {
                jumped = nil
                if Self.follows(counter, Self.position(held[0])) {
                    trust(held, into: &rows)
                    trust(plain, into: &rows)
                    return
                }
                status.add("reports_undecodable")
            }
            if let last = lastCounter, !Self.follows(counter, last) { jumped = plain; return }
            trust(plain, into: &rows)
            return
        }
        if let previous = unverified.last, !Self.follows(counter, Self.position(previous[0])) {
            status.add("reports_undecodable", unverified.count)
            unverified = []
            if status.count("reports_undecodable") >= 32 && !undecodableReported {
                undecodableReported = true
                status.error("reports from \(sourceName) do not decrypt with the key of serial '\(serial)' (their counter does not count); is it the serial of this dongle?")
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

    /// No report came to confirm a jump: keep the jumped report if the jump is a plausible loss.
    private func settleJump(into rows: inout EmotivRows) {
        guard let held = jumped, let last = lastCounter else { return }
        jumped = nil
        if (Self.position(held[0]) - last + 129) % 129 <= 8 { trust(held, into: &rows) } else { status.add("reports_undecodable") }
    }

    /// Decodes a report of the trusted stream, leaving a hole in the index for missing counters.
    private func trust(_ plain: [UInt8], into rows: inout EmotivRows) {
        let counter = Self.position(plain[0])
        if let last = lastCounter {
            let missing = (counter - last - 1 + 129) % 129
            if missing > 0 { rows.gaps.append((rows.count, missing)); status.add("reports_dropped", missing) }
        }
        lastCounter = counter
        decode(plain, into: &rows)
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
