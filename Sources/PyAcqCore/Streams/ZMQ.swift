import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// Thin, typed wrappers over libzmq. A socket belongs to one thread at a time (libzmq rule);
/// the owners of these objects (streams, RPC endpoints) serialise access themselves.
public enum ZMQ {
    /// One context per process, as pyacq has: `inproc://` endpoints only connect within it.
    nonisolated(unsafe) public static let context: UnsafeMutableRawPointer = {
        guard let ctx = zmq_ctx_new() else { fatalError("zmq_ctx_new failed") }
        return ctx
    }()

    static func lastError(_ what: String) -> PyAcqError {
        let code = zmq_errno()
        let text = String(cString: zmq_strerror(code))
        return PyAcqError(code == EAGAIN ? .timeout : .io, "\(what): \(text)")
    }
}

/// A received or outgoing ZeroMQ message frame. The zmq_msg_t lives at a fixed heap address
/// because libzmq stores small messages inside the struct itself.
public final class ZMQMessage: @unchecked Sendable {
    let msg: UnsafeMutablePointer<zmq_msg_t>

    public init() {
        msg = .allocate(capacity: 1)
        zmq_msg_init(msg)
    }

    /// A message of `size` bytes to be filled by the caller.
    public init(size: Int) throws(PyAcqError) {
        msg = .allocate(capacity: 1)
        guard zmq_msg_init_size(msg, size) == 0 else {
            msg.deallocate()
            throw ZMQ.lastError("zmq_msg_init_size(\(size))")
        }
    }

    /// A message that borrows `length` bytes at `start` without copying; `owner` is retained
    /// until libzmq is done with the data (possibly on its I/O thread).
    public init(borrowing start: UnsafeRawPointer, length: Int, owner: AnyObject) throws(PyAcqError) {
        msg = .allocate(capacity: 1)
        let hint = Unmanaged.passRetained(owner).toOpaque()
        let release: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
            if let hint { Unmanaged<AnyObject>.fromOpaque(hint).release() }
        }
        guard zmq_msg_init_data(msg, UnsafeMutableRawPointer(mutating: start), length, release, hint) == 0 else {
            Unmanaged<AnyObject>.fromOpaque(hint).release()
            msg.deallocate()
            throw ZMQ.lastError("zmq_msg_init_data")
        }
    }

    public convenience init(bytes: [UInt8]) throws(PyAcqError) {
        try self.init(size: bytes.count)
        bytes.withUnsafeBytes { if let b = $0.baseAddress { memcpy(data, b, $0.count) } }
    }

    deinit {
        zmq_msg_close(msg)
        msg.deallocate()
    }

    public var data: UnsafeMutableRawPointer { zmq_msg_data(msg) }
    public var size: Int { zmq_msg_size(msg) }
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: data, count: size) }
    public var array: [UInt8] { Array(bytes) }
}

public final class ZMQSocket: @unchecked Sendable {
    public let handle: UnsafeMutableRawPointer
    public private(set) var isClosed = false

    public init(type: Int32) throws(PyAcqError) {
        guard let h = zmq_socket(ZMQ.context, type) else { throw ZMQ.lastError("zmq_socket") }
        handle = h
    }

    deinit { close() }

    public func close() {
        if !isClosed {
            isClosed = true
            zmq_close(handle)
        }
    }

    public func setOption(_ option: Int32, _ value: Int32) throws(PyAcqError) {
        var v = value
        guard zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQ.lastError("zmq_setsockopt(\(option))")
        }
    }

    public func setOption(_ option: Int32, bytes: [UInt8]) throws(PyAcqError) {
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw ZMQ.lastError("zmq_setsockopt(\(option))") }
    }

    public func bind(_ endpoint: String) throws(PyAcqError) {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQ.lastError("cannot bind \(endpoint)") }
    }

    public func connect(_ endpoint: String) throws(PyAcqError) {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQ.lastError("cannot connect to \(endpoint)") }
    }

    public var lastEndpoint: String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return "" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Sends the frames as one multipart message; each message is consumed.
    public func send(_ frames: [ZMQMessage], dontWait: Bool = false) throws(PyAcqError) {
        for (i, frame) in frames.enumerated() {
            var flags: Int32 = i < frames.count - 1 ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            while zmq_msg_send(frame.msg, handle, flags) < 0 {
                if zmq_errno() == EINTR { continue }
                throw ZMQ.lastError("zmq_msg_send")
            }
        }
    }

    public func send(bytes frames: [[UInt8]], dontWait: Bool = false) throws(PyAcqError) {
        var messages: [ZMQMessage] = []
        for f in frames { messages.append(try ZMQMessage(bytes: f)) }
        try send(messages, dontWait: dontWait)
    }

    /// Waits up to `timeoutMs` (-1 = forever) for the socket to become readable.
    public func poll(timeoutMs: Int) throws(PyAcqError) -> Bool {
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        while true {
            let rc = zmq_poll(&item, 1, timeoutMs)
            if rc >= 0 { return rc > 0 }
            if zmq_errno() == EINTR { continue }
            throw ZMQ.lastError("zmq_poll")
        }
    }

    /// Receives every frame of the next message; nil when `dontWait` and nothing is queued.
    public func receiveMessage(dontWait: Bool = false) throws(PyAcqError) -> [ZMQMessage]? {
        var frames: [ZMQMessage] = []
        while true {
            let frame = ZMQMessage()
            while zmq_msg_recv(frame.msg, handle, dontWait && frames.isEmpty ? ZMQ_DONTWAIT : 0) < 0 {
                let err = zmq_errno()
                if err == EINTR { continue }
                if err == EAGAIN && frames.isEmpty { return nil }
                throw ZMQ.lastError("zmq_msg_recv")
            }
            frames.append(frame)
            if zmq_msg_more(frame.msg) == 0 { return frames }
        }
    }
}

/// The frames of one received message, received in place: libzmq writes each message into the
/// same `zmq_msg_t` slots, so a steady stream of chunks allocates nothing here. A view into a
/// frame keeps this object alive; its receiver reuses it only when nothing else holds it.
public final class ReceivedFrames: @unchecked Sendable {
    /// Frames kept; a longer message's extra frames are received and dropped, but counted.
    static let capacity = 4
    private let slots: UnsafeMutablePointer<zmq_msg_t>
    private let scratch: UnsafeMutablePointer<zmq_msg_t>
    /// Frames of the last message (may exceed `capacity` for a malformed one).
    public private(set) var count = 0

    public init() {
        slots = .allocate(capacity: Self.capacity)
        scratch = .allocate(capacity: 1)
        for i in 0..<Self.capacity { zmq_msg_init(slots + i) }
        zmq_msg_init(scratch)
    }

    deinit {
        for i in 0..<Self.capacity { zmq_msg_close(slots + i) }
        zmq_msg_close(scratch)
        slots.deallocate()
        scratch.deallocate()
    }

    /// Frame `i` (< min(count, capacity)); valid while this object lives and is not reused.
    public func bytes(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: zmq_msg_data(slots + i), count: zmq_msg_size(slots + i) - (i == 0 ? firstTrailer : 0))
    }

    /// Bytes at the end of the first frame that the caller consumed (`bytes(0)` leaves them out).
    private var firstTrailer = 0

    /// Forgets the last frame (a trailer the caller consumed).
    func dropLast() { count -= 1 }

    /// The last `n` bytes of the first frame, from then on left out of `bytes(0)`; nil when the
    /// first frame is shorter.
    func takeTrailerOfFirst(_ n: Int) -> UnsafeRawBufferPointer? {
        let whole = bytes(0)
        guard count > 0, whole.count >= n else { return nil }
        firstTrailer += n
        return UnsafeRawBufferPointer(rebasing: whole[(whole.count - n)...])
    }

    /// Receives the next message. False when none came: `dontWait` and nothing queued, or the
    /// socket's receive timeout (ZMQ_RCVTIMEO) passed.
    func receive(from socket: ZMQSocket, dontWait: Bool) throws(PyAcqError) -> Bool {
        count = 0
        firstTrailer = 0
        while true {
            let slot = count < Self.capacity ? slots + count : scratch
            while zmq_msg_recv(slot, socket.handle, count == 0 && dontWait ? ZMQ_DONTWAIT : 0) < 0 {
                let err = zmq_errno()
                if err == EINTR { continue }
                if err == EAGAIN && count == 0 { return false }
                throw ZMQ.lastError("zmq_msg_recv")
            }
            count += 1
            if zmq_msg_more(slot) == 0 { return true }
        }
    }
}
