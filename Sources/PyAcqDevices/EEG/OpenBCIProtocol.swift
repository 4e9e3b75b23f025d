/// OpenBCI Cyton serial packets (PROTOCOL §14.4): 33 bytes = 0xA0, sample number (u8),
/// 8 channels × 24-bit big-endian two's complement, 3 × i16 big-endian aux (accelerometer),
/// an end byte 0xC0…0xCF (0xC0: the aux bytes are accelerometer data). With a Daisy module the
/// board alternates packets: odd sample numbers carry channels 9–16, the next even one channels
/// 1–8; a pair makes one 16-channel sample at 125 Hz.
public enum OpenBCI {
    public static let packetSize = 33
    public static let startByte: UInt8 = 0xA0
    public static let sampleRate = 250.0
    /// µV per count at the default ADS1299 gain of 24: 4.5 V / gain / (2^23 − 1).
    public static func microvoltsPerCount(gain: Double) -> Double { 4.5 / gain / 8_388_607 * 1e6 }
    /// g per accelerometer count (LIS3DH at ±4 g, 16-bit left-justified 12-bit values).
    public static let gPerCount = 0.002 / 16

    /// A 24-bit big-endian two's complement value (the sign is bit 23: 0x80… is negative).
    @inline(__always)
    public static func int24(_ p: UnsafePointer<UInt8>) -> Int32 {
        Int32(bitPattern: UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8) >> 8
    }

    @inline(__always)
    public static func int16(_ p: UnsafePointer<UInt8>) -> Int16 {
        Int16(bitPattern: UInt16(p[0]) << 8 | UInt16(p[1]))
    }

    /// Encodes one packet (simulator).
    public static func packet(sample: UInt8, channels: [Int32], aux: [Int16], end: UInt8 = 0xC0) -> [UInt8] {
        var out: [UInt8] = [startByte, sample]
        for v in channels.prefix(8) {
            let u = UInt32(bitPattern: v)
            out += [UInt8(truncatingIfNeeded: u >> 16), UInt8(truncatingIfNeeded: u >> 8), UInt8(truncatingIfNeeded: u)]
        }
        for a in aux.prefix(3) { out += [UInt8(truncatingIfNeeded: UInt16(bitPattern: a) >> 8), UInt8(truncatingIfNeeded: UInt16(bitPattern: a))] }
        out.append(end)
        return out
    }
}

/// Decoded samples in flat buffers, written in place by the decoder (no allocation per
/// packet): row r has channel counts `channels[r·width ..< (r+1)·width]` and aux counts
/// `aux[3r ..< 3r+3]`; `gaps` lists rows before which samples were missing, with how many.
public final class OpenBCIRows {
    public let width: Int
    public private(set) var count = 0
    public var gaps: [(row: Int, missing: Int)] = []
    private var capacity = 0
    private var channelStorage: UnsafeMutablePointer<Int32>
    private var auxStorage: UnsafeMutablePointer<Int16>

    public init(width: Int) {
        self.width = width
        channelStorage = .allocate(capacity: 1)
        auxStorage = .allocate(capacity: 1)
        reserve(256)
    }

    deinit {
        channelStorage.deallocate()
        auxStorage.deallocate()
    }

    public var channels: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(start: channelStorage, count: count * width) }
    public var aux: UnsafeBufferPointer<Int16> { UnsafeBufferPointer(start: auxStorage, count: count * 3) }

    /// Room for `rows` more rows.
    func reserve(_ rows: Int) {
        guard count + rows > capacity else { return }
        let newCapacity = max(2 * capacity, count + rows)
        let c = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity * width)
        let a = UnsafeMutablePointer<Int16>.allocate(capacity: newCapacity * 3)
        c.update(from: channelStorage, count: count * width)
        a.update(from: auxStorage, count: count * 3)
        channelStorage.deallocate()
        auxStorage.deallocate()
        channelStorage = c
        auxStorage = a
        capacity = newCapacity
    }

    /// The next row's channel and aux slots (room must have been reserved).
    @inline(__always)
    func appendRow() -> (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int16>) {
        defer { count &+= 1 }
        return (channelStorage + count &* width, auxStorage + count &* 3)
    }

    public func removeAll() {
        count = 0
        gaps.removeAll(keepingCapacity: true)
    }
}

/// Finds packets in the serial byte stream and turns them into samples. While in step (the
/// previous packet was good) a packet is accepted when its end byte is right; after garbage it
/// must also be followed by a start byte, so a 0xA0 inside garbage or inside sample data is not
/// taken for a packet. Skipped bytes, bad packets and jumps of the sample number are counted.
public struct OpenBCIDecoder {
    public let daisy: Bool
    public var width: Int { daisy ? 16 : 8 }

    public private(set) var bytesSkipped = 0
    /// Packets that started in step but had a wrong end byte.
    public private(set) var packetsCorrupt = 0
    /// Samples missing according to the sample numbers (a Daisy pair counts once).
    public private(set) var samplesDropped = 0
    public private(set) var packetsDecoded = 0
    /// Daisy halves that found no partner.
    public private(set) var halvesOrphaned = 0

    private var pending: [UInt8] = []
    private var inStep = false
    private var lastSample: Int?
    /// Sample number of the last packet accepted (either half for Daisy).
    private var lastPacket: UInt8 = 0
    private var daisyHalf = [Int32](repeating: 0, count: 8)
    private var daisyHalfSample: UInt8?

    public init(daisy: Bool) { self.daisy = daisy }

    /// Feeds received bytes, appending complete rows to `rows`.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into rows: OpenBCIRows) {
        pending.append(contentsOf: bytes)
        var i = 0
        let n = pending.count
        rows.reserve(n / OpenBCI.packetSize + 1)
        pending.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            while i < n {
                guard base[i] == OpenBCI.startByte else {
                    bytesSkipped += 1
                    inStep = false
                    i += 1
                    continue
                }
                guard i + OpenBCI.packetSize <= n else { break }
                var accepted = base[i + OpenBCI.packetSize - 1] & 0xF0 == 0xC0
                if accepted && !inStep && !(1...4).contains(base[i + 1] &- lastPacket) {
                    // Out of step and not one of the next sample numbers: believe it only if
                    // another packet starts right after it.
                    guard i + OpenBCI.packetSize < n else { break }
                    accepted = base[i + OpenBCI.packetSize] == OpenBCI.startByte
                }
                guard accepted else {
                    // Not a packet after all: skip this start byte and look for the next.
                    if inStep { packetsCorrupt += 1 }
                    bytesSkipped += 1
                    inStep = false
                    i += 1
                    continue
                }
                inStep = true
                decode(base + i, into: rows)
                i &+= OpenBCI.packetSize
            }
        }
        if i == n { pending.removeAll(keepingCapacity: true) } else if i > 0 { pending.removeFirst(i) }
    }

    @inline(__always)
    private mutating func decode(_ p: UnsafePointer<UInt8>, into rows: OpenBCIRows) {
        packetsDecoded &+= 1
        let sample = p[1]
        lastPacket = sample
        if daisy && sample & 1 == 1 {
            if daisyHalfSample != nil { halvesOrphaned += 1 }
            daisyHalfSample = sample
            for c in 0..<8 { daisyHalf[c] = OpenBCI.int24(p + 2 + 3 * c) }
            return
        }
        if daisy {
            guard let half = daisyHalfSample, half &+ 1 == sample else {
                if daisyHalfSample != nil { halvesOrphaned += 1 }
                daisyHalfSample = nil
                halvesOrphaned += 1
                return
            }
            daisyHalfSample = nil
        }
        // Sample numbers step by 1 (Cyton) or 2 per pair (Daisy), modulo 256.
        let step = daisy ? 2 : 1
        if let last = lastSample {
            let missing = (Int(sample) - last + 256) % 256 / step - 1
            if missing > 0 {
                samplesDropped += missing
                rows.gaps.append((rows.count, missing))
            }
        }
        lastSample = Int(sample)
        let (channels, aux) = rows.appendRow()
        for c in 0..<8 { channels[c] = OpenBCI.int24(p + (2 &+ 3 &* c)) }
        if daisy { for c in 0..<8 { channels[8 + c] = daisyHalf[c] } }
        aux[0] = OpenBCI.int16(p + 26)
        aux[1] = OpenBCI.int16(p + 28)
        aux[2] = OpenBCI.int16(p + 30)
    }
}
