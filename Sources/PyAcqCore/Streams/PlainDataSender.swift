import CPyAcqSupport
import CZeroMQ
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The plaindata small-chunk path (issue 17): as few allocations and copies per chunk as raw
/// libzmq's `zmq_send` of the same two frames. The header frame is encoded once per layout and
/// only its index word rewritten per chunk; the data is copied once into a message whose bytes
/// count against the queue budget until libzmq frees it. A stamping output sends that same
/// message (shared by reference) to its stamped endpoint too, the stamp after the header.
final class PlainDataSender {
    /// Where a stamping output's chunk also goes, and the time it carries.
    struct Stamp {
        let socket: ZMQSocket
        let time: Double
    }

    /// The header frame, with room for the stamp the stamped endpoint's copy ends with.
    private let header = UnsafeMutableRawPointer.allocate(byteCount: 8 * (4 + 2 * PlainDataHeader.maxDimensions), alignment: 8)
    private var headerLength = 0
    private var encodedShape: [Int] = []
    private var encodedStrides: [Int] = []
    private var encodedOffset = -1
    /// Rows of the cached header when it describes a C-order chunk of `rowShape` (-1: it does not).
    private var encodedRows = -1

    /// Trailing dimensions and item size of the stream's chunks (set at configure), for headers
    /// of C-order chunks described by their row count alone.
    private var rowShape: [Int] = []
    private var itemsize = 1

    /// Chunks up to this size are copied rather than lent to libzmq (lending costs two more
    /// allocations than it saves below it).
    static let copyLimit = 1 << 16

    /// The data frame being sent, and its by-reference copy for the stamped endpoint (reused:
    /// libzmq takes their content at each send).
    private let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 2)
    /// A sharedmem notification, with room for the stamp.
    private let note = UnsafeMutableRawPointer.allocate(byteCount: 24, alignment: 8)

    deinit {
        header.deallocate()
        message.deallocate()
        note.deallocate()
    }

    /// The layout of the stream's chunks after the first axis (PROTOCOL §8.2 `shape[1:]`, dtype).
    func setRowLayout(rowShape: [Int], itemsize: Int) {
        self.rowShape = rowShape
        self.itemsize = itemsize
        encodedRows = -1
        encodedOffset = -1
    }

    /// The header frame for this chunk (PROTOCOL §9), re-encoded only when its layout changed.
    private func headerFrame(index: Int, offset: Int, shape: [Int], strides: [Int]) -> UnsafeRawBufferPointer {
        if encodedRows >= 0 || shape != encodedShape || strides != encodedStrides || offset != encodedOffset {
            encode(PlainDataHeader(index: index, offset: offset, shape: shape, strides: strides))
        }
        return withIndex(index)
    }

    /// The header frame of a C-order chunk of `rows` rows of the stream's row layout.
    private func headerFrame(index: Int, rows: Int) -> UnsafeRawBufferPointer {
        if rows != encodedRows {
            let shape = [rows] + rowShape
            encode(PlainDataHeader(index: index, offset: 0, shape: shape, strides: cStrides(shape: shape, itemsize: itemsize)))
            encodedRows = rows
        }
        return withIndex(index)
    }

    private func encode(_ layout: PlainDataHeader) {
        let bytes = layout.encoded
        bytes.withUnsafeBytes { header.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        headerLength = bytes.count
        encodedShape = layout.shape
        encodedStrides = layout.strides
        encodedOffset = layout.offset
        encodedRows = -1
    }

    private func withIndex(_ index: Int) -> UnsafeRawBufferPointer {
        header.storeBytes(of: UInt64(index).bigEndian, toByteOffset: 8, as: UInt64.self)
        return UnsafeRawBufferPointer(start: header, count: headerLength)
    }

    /// Sends header + a copy of `data` (the chunk's contiguous block) when the budget allows;
    /// false when it does not (nothing sent).
    func send(_ data: UnsafeRawBufferPointer, index: Int, offset: Int, shape: [Int], strides: [Int],
              budget: QueueBudget, on socket: ZMQSocket?, stamp: Stamp?) throws(PyAcqError) -> Bool {
        try send(data, header: headerFrame(index: index, offset: offset, shape: shape, strides: strides),
                 budget: budget, on: socket, stamp: stamp)
    }

    /// The same for a C-order chunk of `rows` rows of the stream's row layout (no arrays built
    /// while the row count stays the same).
    func send(_ data: UnsafeRawBufferPointer, index: Int, rows: Int,
              budget: QueueBudget, on socket: ZMQSocket?, stamp: Stamp?) throws(PyAcqError) -> Bool {
        try send(data, header: headerFrame(index: index, rows: rows), budget: budget, on: socket, stamp: stamp)
    }

    /// Sends the chunk to `socket` and, stamped, to `stamp`'s. `socket` is nil only beside a
    /// `stamp` (a stamping output whose plain endpoint nobody listens to).
    private func send(_ data: UnsafeRawBufferPointer, header frame: UnsafeRawBufferPointer,
                      budget: QueueBudget, on socket: ZMQSocket?, stamp: Stamp?) throws(PyAcqError) -> Bool {
        guard let block = budget.trackedCopy(of: data) else { return false }
        let hint = Unmanaged.passRetained(budget).toOpaque()
        guard zmq_msg_init_data(message, block, data.count, QueueBudget.releaseTrackedCopy, hint) == 0 else {
            QueueBudget.releaseTrackedCopy(block, hint)
            throw ZMQ.lastError("zmq_msg_init_data")
        }
        if let stamp {
            // Both endpoints: the stamped one gets a by-reference copy of the message.
            let stamped = socket == nil ? message : message + 1
            if socket != nil {
                zmq_msg_init(stamped)
                guard zmq_msg_copy(stamped, message) == 0 else {
                    zmq_msg_close(message)
                    throw ZMQ.lastError("zmq_msg_copy")
                }
            }
            do throws(PyAcqError) {
                try Self.send(withStamp(frame, stamp), on: stamp.socket, flags: ZMQ_SNDMORE)
                try Self.send(stamped, on: stamp.socket, flags: 0)
            } catch {
                zmq_msg_close(stamped)
                if socket != nil { zmq_msg_close(message) }
                throw error
            }
        }
        guard let socket else { return true }
        do throws(PyAcqError) {
            try Self.send(frame, on: socket, flags: ZMQ_SNDMORE)
            try Self.send(message, on: socket, flags: 0)
        } catch {
            zmq_msg_close(message)
            throw error
        }
        return true
    }

    /// A sharedmem notification (PROTOCOL §11.4), sent from a reused 16-byte buffer (and to the
    /// stamped endpoint with the stamp after it).
    func sendNotification(index: Int, rows: Int, on socket: ZMQSocket, stamp: Stamp?) throws(PyAcqError) {
        note.storeBytes(of: UInt64(index).bigEndian, as: UInt64.self)
        note.storeBytes(of: UInt64(rows).bigEndian, toByteOffset: 8, as: UInt64.self)
        let frame = UnsafeRawBufferPointer(start: note, count: 16)
        if let stamp { try Self.send(withStamp(frame, stamp), on: stamp.socket, flags: 0) }
        try Self.send(frame, on: socket, flags: 0)
    }

    /// `frame` (the header or notification buffer, which has room after it) followed by the
    /// stamp: the stamped endpoint's first frame (README "Protocol notes: timestamps").
    private func withStamp(_ frame: UnsafeRawBufferPointer, _ stamp: Stamp) -> UnsafeRawBufferPointer {
        let start = UnsafeMutableRawPointer(mutating: frame.baseAddress!)
        start.storeBytes(of: stamp.time.bitPattern.bigEndian, toByteOffset: frame.count, as: UInt64.self)
        return UnsafeRawBufferPointer(start: start, count: frame.count + 8)
    }

    /// zmq_send of bytes libzmq copies.
    private static func send(_ bytes: UnsafeRawBufferPointer, on socket: ZMQSocket, flags: Int32) throws(PyAcqError) {
        while zmq_send(socket.handle, bytes.baseAddress, bytes.count, flags) < 0 {
            if zmq_errno() != EINTR { throw ZMQ.lastError("zmq_send") }
        }
    }

    /// zmq_msg_send of a message whose content libzmq takes (on failure the caller still owns it).
    private static func send(_ message: UnsafeMutablePointer<zmq_msg_t>, on socket: ZMQSocket, flags: Int32) throws(PyAcqError) {
        while zmq_msg_send(message, socket.handle, flags) < 0 {
            if zmq_errno() != EINTR { throw ZMQ.lastError("zmq_msg_send") }
        }
    }
}

extension QueueBudget {
    /// A copy of `bytes` counted against the budget, in a block from the recycled ones or a new
    /// one (its size and capacity stored just before the data, for `releaseTrackedCopy`); nil
    /// when over budget.
    func trackedCopy(of bytes: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer? {
        let n = bytes.count
        guard take(n) else { return nil }
        let block: UnsafeMutableRawPointer
        if let reused = recycled.take(atLeast: n) {
            block = reused
        } else {
            guard let fresh = malloc(16 + max(n, 1)) else {
                held.subtract(n, ordering: .acquiringAndReleasing)
                return nil
            }
            fresh.storeBytes(of: max(n, 1), toByteOffset: 8, as: Int.self)
            block = fresh
        }
        block.storeBytes(of: n, as: Int.self)
        if n > 0 { pyacqCopy(block + 16, bytes.baseAddress!, n) }
        return block + 16
    }

    /// libzmq's free function for a tracked copy (hint: the retained budget); may run on
    /// libzmq's I/O thread.
    static let releaseTrackedCopy: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { data, hint in
        guard let data, let hint else { return }
        let block = data - 16
        let budget = Unmanaged<QueueBudget>.fromOpaque(hint).takeRetainedValue()
        budget.held.subtract(block.load(as: Int.self), ordering: .acquiringAndReleasing)
        budget.recycled.give(block)
    }
}

/// Blocks of released tracked copies, for the next chunks. libzmq frees a copy on the
/// consumer's or its I/O thread: a malloc on the producer's thread after such a free misses
/// its thread cache every time (~450 instructions a chunk); a recycled block costs a lock.
/// A block is `malloc(16 + capacity)`: size at +0, capacity at +8, data at +16.
final class RecycledBlocks: @unchecked Sendable {
    private let lock = Lock()
    private var blocks: [UnsafeMutableRawPointer] = []
    /// Blocks kept at most, and the largest kept: a pool of bigger ones (large caller-memory
    /// chunks) would hold too much memory between chunks.
    static let maxBlocks = 64
    static let maxCapacity = PlainDataSender.copyLimit

    init() { blocks.reserveCapacity(Self.maxBlocks) }

    deinit { for block in blocks { free(block) } }

    /// A block holding at least `n` bytes, or nil.
    func take(atLeast n: Int) -> UnsafeMutableRawPointer? {
        lock.withLock {
            guard let last = blocks.last, last.load(fromByteOffset: 8, as: Int.self) >= n else { return nil }
            return blocks.removeLast()
        }
    }

    func give(_ block: UnsafeMutableRawPointer) {
        let kept = block.load(fromByteOffset: 8, as: Int.self) <= Self.maxCapacity && lock.withLock { () -> Bool in
            guard blocks.count < Self.maxBlocks else { return false }
            blocks.append(block)
            return true
        }
        if !kept { free(block) }
    }
}
