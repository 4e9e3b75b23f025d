import CPyAcqSupport
import CZeroMQ
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The plaindata small-chunk path (issue 17): as few allocations and copies per chunk as raw
/// libzmq's `zmq_send` of the same two frames. The header frame is encoded once per shape,
/// strides and offset and only its index word rewritten per chunk; the data is copied once
/// into a message whose bytes count against the queue budget until libzmq frees it.
final class PlainDataSender {
    private let header = UnsafeMutableRawPointer.allocate(byteCount: 8 * (3 + 2 * PlainDataHeader.maxDimensions), alignment: 8)
    private var headerLength = 0
    private var encodedShape: [Int] = []
    private var encodedStrides: [Int] = []
    private var encodedOffset = -1

    /// Chunks up to this size are copied rather than lent to libzmq (lending costs two more
    /// allocations than it saves below it).
    static let copyLimit = 1 << 16

    /// The data frame being sent (reused: libzmq takes its content at each send).
    private let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
    private let note = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 8)

    deinit {
        header.deallocate()
        message.deallocate()
        note.deallocate()
    }

    /// The header frame for this chunk (PROTOCOL §9), re-encoded only when its layout changed.
    private func headerFrame(index: Int, offset: Int, shape: [Int], strides: [Int]) -> UnsafeRawBufferPointer {
        if shape != encodedShape || strides != encodedStrides || offset != encodedOffset {
            let bytes = PlainDataHeader(index: index, offset: offset, shape: shape, strides: strides).encoded
            bytes.withUnsafeBytes { header.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            headerLength = bytes.count
            encodedShape = shape
            encodedStrides = strides
            encodedOffset = offset
        }
        header.storeBytes(of: UInt64(index).bigEndian, toByteOffset: 8, as: UInt64.self)
        return UnsafeRawBufferPointer(start: header, count: headerLength)
    }

    /// Sends header + a copy of `data` (the chunk's contiguous block) when the budget allows;
    /// false when it does not (nothing sent).
    func send(_ data: UnsafeRawBufferPointer, index: Int, offset: Int, shape: [Int], strides: [Int],
              budget: QueueBudget, on socket: ZMQSocket) throws(PyAcqError) -> Bool {
        guard let block = budget.trackedCopy(of: data) else { return false }
        let frame = headerFrame(index: index, offset: offset, shape: shape, strides: strides)
        let hint = Unmanaged.passRetained(budget).toOpaque()
        guard zmq_msg_init_data(message, block, data.count, QueueBudget.releaseTrackedCopy, hint) == 0 else {
            QueueBudget.releaseTrackedCopy(block, hint)
            throw ZMQ.lastError("zmq_msg_init_data")
        }
        while zmq_send(socket.handle, frame.baseAddress, frame.count, ZMQ_SNDMORE) < 0 {
            if zmq_errno() == EINTR { continue }
            zmq_msg_close(message)
            throw ZMQ.lastError("zmq_send")
        }
        while zmq_msg_send(message, socket.handle, 0) < 0 {
            if zmq_errno() == EINTR { continue }
            zmq_msg_close(message)
            throw ZMQ.lastError("zmq_msg_send")
        }
        return true
    }

    /// A sharedmem notification (PROTOCOL §11.4) as a message of its own (a stamping output
    /// sends it to two sockets).
    static func notificationFrame(index: Int, rows: Int) throws(PyAcqError) -> ZMQMessage {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(index).bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(rows).bigEndian) { bytes.append(contentsOf: $0) }
        return try ZMQMessage(bytes: bytes)
    }

    /// A sharedmem notification (PROTOCOL §11.4), sent from a reused 16-byte buffer.
    func sendNotification(index: Int, rows: Int, on socket: ZMQSocket) throws(PyAcqError) {
        note.storeBytes(of: UInt64(index).bigEndian, as: UInt64.self)
        note.storeBytes(of: UInt64(rows).bigEndian, toByteOffset: 8, as: UInt64.self)
        while zmq_send(socket.handle, note, 16, 0) < 0 {
            if zmq_errno() == EINTR { continue }
            throw ZMQ.lastError("zmq_send")
        }
    }
}

extension QueueBudget {
    /// A malloc'd copy of `bytes` counted against the budget (its size stored just before the
    /// data, for `releaseTrackedCopy`); nil when over budget.
    func trackedCopy(of bytes: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer? {
        let n = bytes.count
        let after = held.add(n, ordering: .acquiringAndReleasing).newValue
        if after > limit && after != n {
            held.subtract(n, ordering: .acquiringAndReleasing)
            return nil
        }
        guard let block = malloc(16 + max(n, 1)) else {
            held.subtract(n, ordering: .acquiringAndReleasing)
            return nil
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
        free(block)
    }
}
