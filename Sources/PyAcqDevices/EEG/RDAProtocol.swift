#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore

/// BrainVision Recorder "Remote Data Access" messages (PROTOCOL §14.4), little-endian:
/// a 24-byte header (16-byte GUID, u32 size of the whole message, u32 type) and a body.
/// Shared by the BrainAmpSocket client and the RDA simulator so both read the same layout.
public enum RDA {
    /// The GUID Recorder puts in front of every message (clients do not check it).
    public static let guid: [UInt8] = [0x8E, 0x45, 0x58, 0x43, 0x96, 0xC9, 0x86, 0x4C, 0xAF, 0x4A, 0x98, 0xBB, 0xF6, 0xC9, 0x14, 0x50]
    public static let headerSize = 24
    /// Larger sizes are a corrupt stream rather than a message (256 ch × 25 kHz float32 blocks
    /// of 1 s would be 25.6 MB).
    public static let maxMessageSize = 128 << 20
    public static let float32Port = 51244
    public static let int16Port = 51234

    public enum MessageType: UInt32, Sendable {
        case start = 1, int16Data = 2, stop = 3, float32Data = 4
        /// Sent by PyCorder and newer Recorders between data blocks.
        case keepAlive = 10000
    }

    public struct Start: Equatable, Sendable {
        public var channels: Int
        /// Microseconds between samples.
        public var sampleInterval: Double
        /// µV per unit, one per channel.
        public var resolutions: [Double]
        public var names: [String]
        public var sampleRate: Double { 1e6 / sampleInterval }

        public init(channels: Int, sampleInterval: Double, resolutions: [Double], names: [String]) {
            self.channels = channels
            self.sampleInterval = sampleInterval
            self.resolutions = resolutions
            self.names = names
        }
    }

    public struct Marker: Equatable, Sendable {
        /// Relative to the first sample of its block.
        public var position: UInt32
        public var points: UInt32
        /// −1: all channels.
        public var channel: Int32
        public var type: String
        public var description: String

        public init(position: UInt32, points: UInt32, channel: Int32, type: String, description: String) {
            self.position = position
            self.points = points
            self.channel = channel
            self.type = type
            self.description = description
        }
    }

    /// A data block's fixed part; samples start at `sampleOffset` in the body.
    public struct BlockHeader: Sendable {
        public var block: UInt32
        public var points: Int
        public var markerCount: Int
        public static let size = 12
    }

    // MARK: encoding (simulator)

    public static func message(_ type: UInt32, body: [UInt8]) -> [UInt8] {
        var out = guid
        out.reserveCapacity(headerSize + body.count)
        append(UInt32(headerSize + body.count), to: &out)
        append(type, to: &out)
        out += body
        return out
    }

    public static func startMessage(_ start: Start) -> [UInt8] {
        var body: [UInt8] = []
        append(UInt32(start.channels), to: &body)
        append(start.sampleInterval.bitPattern, to: &body)
        for r in start.resolutions { append(r.bitPattern, to: &body) }
        for name in start.names { body += Array(name.utf8) + [0] }
        return message(MessageType.start.rawValue, body: body)
    }

    /// A data message (type 4 for float32 samples, 2 for int16); `samples` already holds the
    /// little-endian sample bytes, sample-major.
    public static func dataMessage(block: UInt32, points: Int, samples: [UInt8], int16: Bool, markers: [Marker]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(BlockHeader.size + samples.count + markers.count * 48)
        append(block, to: &body)
        append(UInt32(points), to: &body)
        append(UInt32(markers.count), to: &body)
        body += samples
        for m in markers {
            let text = Array(m.type.utf8) + [0] + Array(m.description.utf8) + [0]
            append(UInt32(16 + text.count), to: &body)
            append(m.position, to: &body)
            append(m.points, to: &body)
            append(UInt32(bitPattern: m.channel), to: &body)
            body += text
        }
        return message(int16 ? MessageType.int16Data.rawValue : MessageType.float32Data.rawValue, body: body)
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    // MARK: decoding (client)

    static func load<T: FixedWidthInteger>(_ type: T.Type, _ body: UnsafeRawBufferPointer, at offset: Int) -> T {
        T(littleEndian: body.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    public static func parseStart(_ body: UnsafeRawBufferPointer) throws(PyAcqError) -> Start {
        guard body.count >= 12 else { throw malformed("start message of \(body.count) bytes (needs ≥ 12)") }
        let channels = Int(load(UInt32.self, body, at: 0))
        let interval = Double(bitPattern: load(UInt64.self, body, at: 4))
        guard channels > 0, channels <= 65536, body.count >= 12 + 8 * channels else {
            throw malformed("start message announces \(channels) channels in \(body.count) bytes")
        }
        guard interval > 0, interval.isFinite else { throw malformed("start message has sampling interval \(interval) µs") }
        let resolutions = (0..<channels).map { Double(bitPattern: load(UInt64.self, body, at: 12 + 8 * $0)) }
        let names = strings(body, from: 12 + 8 * channels)
        let padded = (0..<channels).map { $0 < names.count && !names[$0].isEmpty ? names[$0] : "ch\($0)" }
        return Start(channels: channels, sampleInterval: interval, resolutions: resolutions, names: padded)
    }

    /// Checks a data message against the channel count and returns its fixed part.
    public static func parseBlockHeader(_ body: UnsafeRawBufferPointer, channels: Int, sampleSize: Int) throws(PyAcqError) -> BlockHeader {
        guard body.count >= BlockHeader.size else { throw malformed("data message of \(body.count) bytes (needs ≥ 12)") }
        let header = BlockHeader(block: load(UInt32.self, body, at: 0), points: Int(load(UInt32.self, body, at: 4)),
                                 markerCount: Int(load(UInt32.self, body, at: 8)))
        let needed = BlockHeader.size + header.points * channels * sampleSize
        guard needed <= body.count else {
            throw malformed("data block \(header.block) announces \(header.points) points × \(channels) channels but has \(body.count - BlockHeader.size) bytes of samples")
        }
        return header
    }

    /// The markers following the samples; a marker overrunning the message is an error.
    public static func parseMarkers(_ body: UnsafeRawBufferPointer, from start: Int, count: Int) throws(PyAcqError) -> [Marker] {
        var markers: [Marker] = []
        var offset = start
        for k in 0..<count {
            guard offset + 16 <= body.count else { throw malformed("marker \(k) of \(count) starts past the end of its message") }
            let size = Int(load(UInt32.self, body, at: offset))
            guard size >= 16, offset + size <= body.count else { throw malformed("marker \(k) has size \(size), past the end of its message") }
            let texts = strings(UnsafeRawBufferPointer(rebasing: body[(offset + 16)..<(offset + size)]), from: 0)
            markers.append(Marker(position: load(UInt32.self, body, at: offset + 4), points: load(UInt32.self, body, at: offset + 8),
                                  channel: load(Int32.self, body, at: offset + 12),
                                  type: texts.first ?? "", description: texts.count > 1 ? texts[1] : ""))
            offset += size
        }
        return markers
    }

    /// Consecutive NUL-terminated strings (a last one without NUL is kept too).
    static func strings(_ body: UnsafeRawBufferPointer, from start: Int) -> [String] {
        guard start < body.count else { return [] }
        return body[start...].split(separator: 0, omittingEmptySubsequences: false).dropLast(body.last == 0 ? 1 : 0)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    static func malformed(_ what: String) -> PyAcqError {
        PyAcqError(.malformed, "malformed RDA message: \(what)", exceptionType: "ValueError")
    }
}

/// Reassembles RDA messages from a TCP stream however it is fragmented.
public final class RDAMessageReader {
    private var buffer: UnsafeMutableRawPointer
    private var capacity = 1 << 16
    private var filled = 0
    /// Length of the message handed out last; dropped at the next call.
    private var consumed = 0

    public init() { buffer = .allocate(byteCount: capacity, alignment: 16) }
    deinit { buffer.deallocate() }

    /// Bytes of an incomplete message received so far (for error reports).
    public var partialBytes: Int { filled - consumed }

    /// Forgets any partial message (after a reconnection).
    public func reset() { filled = 0; consumed = 0 }

    /// The next whole message (type, body valid until the next call) or nil when `timeoutMs`
    /// passes first; throws at end of stream or on a size that cannot be a message.
    public func next(from connection: TCPConnection, timeoutMs: Int) throws(PyAcqError) -> (type: UInt32, body: UnsafeRawBufferPointer)? {
        if consumed > 0 {
            if filled > consumed { memmove(buffer, buffer + consumed, filled - consumed) }
            filled -= consumed
            consumed = 0
        }
        while true {
            if filled >= RDA.headerSize {
                let size = Int(UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
                guard size >= RDA.headerSize, size <= RDA.maxMessageSize else {
                    throw RDA.malformed("message size \(size) (must be 24…\(RDA.maxMessageSize))")
                }
                if filled >= size {
                    consumed = size
                    let type = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
                    return (type, UnsafeRawBufferPointer(start: buffer + RDA.headerSize, count: size - RDA.headerSize))
                }
                if capacity < size { grow(to: size) }
            }
            if capacity - filled < 4096 { grow(to: capacity * 2) }
            guard let n = try connection.read(into: buffer + filled, count: capacity - filled, timeoutMs: timeoutMs) else { return nil }
            guard n > 0 else {
                throw PyAcqError(.io, filled > 0 ? "connection closed in the middle of a message (\(filled) bytes of it received)" : "connection closed by the recorder",
                                 exceptionType: "ConnectionError")
            }
            filled += n
        }
    }

    private func grow(to size: Int) {
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        bigger.copyMemory(from: buffer, byteCount: filled)
        buffer.deallocate()
        buffer = bigger
        capacity = size
    }
}
