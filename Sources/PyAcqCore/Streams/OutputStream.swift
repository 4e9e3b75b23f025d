import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// The producing end of a stream (PROTOCOL §8–§11). It binds an XPUB socket — identical to PUB
/// on the wire — so it can count subscribers and a producer can wait for its consumers instead
/// of losing the first chunks to ZeroMQ's slow-joiner effect.
public final class OutputStream: @unchecked Sendable {
    public let spec: ValueMap
    public let name: String
    public private(set) var params = StreamParams(StreamParams.defaults)
    /// Index of the last sample sent + 1.
    public private(set) var lastIndex = 0
    public private(set) var chunksSent = 0
    /// Chunks (and their samples) not sent because consumers left `max_queued_bytes` queued.
    public private(set) var chunksDropped = 0
    public private(set) var samplesDropped = 0
    /// Default of the `max_queued_bytes` param: chunk data a plaindata producer may have queued
    /// for each slow consumer before it drops chunks (counted in `samplesDropped`).
    public static let defaultMaxQueuedBytes = 256 << 20
    /// Plaindata bytes libzmq holds for consumers now, the most it held since configure, and
    /// the bound per consumer (`max_queued_bytes`).
    public var queuedBytes: Int { lock.withLock { budget.heldBytes } }
    public var queuedBytesPeak: Int { lock.withLock { budget.peakBytes } }
    public var maxQueuedBytes: Int { lock.withLock { budget.perConsumer } }
    private var budget = QueueBudget(perConsumer: OutputStream.defaultMaxQueuedBytes)
    private let plainSender = PlainDataSender()

    private let lock = Lock()
    private var socket: ZMQSocket?
    private var ring: RingBuffer?
    /// Socket-free wake-up of libpyacq sharedmem consumers (nil: notification messages only).
    private var wakeup: SharedMemWakeup?
    private var dtype = DType.float32

    /// The stream's dtype as configured (parsed once).
    public var streamDType: DType { lock.withLock { dtype } }
    private var shape: [Int] = [-1, 1]
    private var compression = ""
    private var isClosed = false
    /// The stamped endpoint for libpyacq consumers (Time/StreamTimestamps.swift); nil when off.
    private var stamper: TimestampPublisher?

    /// Outgoing queue limit per subscriber, in messages (QueueLimits). Beyond it ZeroMQ drops
    /// chunks for that subscriber alone (the consumer sees the gap in the indexes).
    public private(set) var consumerQueueMessages = QueueLimits.producerMessagesVariable

    /// Params used when configure does not give them (between pyacq's defaults and the spec):
    /// a converter's output inherits its input's dtype, shape and rate this way.
    public var inheritedDefaults: ValueMap = [:]

    /// Called after every successful configure (nodes add keys such as `channel_info`).
    public var onConfigured: ((OutputStream) -> Void)?

    public init(spec: ValueMap = [:], name: String = "") {
        self.spec = spec
        self.name = name
    }

    /// Sets a descriptive param (e.g. `channel_info`) after configure; structural keys
    /// (protocol, transfermode, dtype, shape, ports, buffers) cannot change this way.
    public func setParam(_ key: String, _ value: Value) throws(PyAcqError) {
        let structural: Set<String> = ["protocol", "interface", "port", "transfermode", "dtype", "shape", "compression",
                                       "buffer_size", "double", "axisorder", "fill", "shm_id"]
        guard !structural.contains(key) else { throw PyAcqError(.badParams, "'\(key)' can only be set through configure()") }
        lock.withLock { params[key] = value }
    }

    deinit { close() }

    public var isConfigured: Bool { lock.withLock { socket != nil } }

    /// The shared ring of a sharedmem stream (nil for plaindata).
    public var sharedRing: RingBuffer? { lock.withLock { ring } }

    /// Builds params from defaults, the spec and `kwargs` (PROTOCOL §8.2), binds the socket and
    /// for sharedmem creates the shared ring. Configuring again replaces the previous socket.
    public func configure(_ kwargs: ValueMap) throws(PyAcqError) {
        try lock.withLock { () throws(PyAcqError) in
            var map = StreamParams.defaults
            for (k, v) in inheritedDefaults { map[k] = v }
            for (k, v) in spec { map[k] = v }
            for (k, v) in kwargs {
                if let fixed = spec[k], !fixed.looselyEquals(v) {
                    throw PyAcqError(.badParams, "stream param '\(k)' is fixed to \(fixed) by this stream's spec; got \(v)")
                }
                map[k] = v
            }
            var p = StreamParams(map)
            let proto = try p.protocolName()
            let mode = try p.transferMode()
            let newDtype = try p.dtype()
            let newShape = try p.shape()
            let newCompression = try p.compression()
            if case .array(let fields)? = p["dtype"] {
                // Python tuples arrive as lists; keep pairs as 2-element lists (PROTOCOL §13.2).
                p["dtype"] = .array(fields)
            }
            let maxQueued = try p.int("max_queued_bytes", default: Self.defaultMaxQueuedBytes)
            guard maxQueued > 0 else { throw PyAcqError(.badParams, "max_queued_bytes must be > 0, got \(maxQueued)") }
            var newRing: RingBuffer?
            var newWakeup: SharedMemWakeup?
            if mode == "sharedmem" {
                let size = try p.int("buffer_size", default: 0)
                guard size > 0 else { throw PyAcqError(.badParams, "transfermode 'sharedmem' needs buffer_size > 0 (ring length in samples)") }
                if newShape[0] > size { throw PyAcqError(.badParams, "buffer_size \(size) is smaller than the fixed chunk length \(newShape[0])") }
                let rowShape = Array(newShape.dropFirst())
                let isDouble = try p.bool("double", default: false)
                let bytes = try RingBuffer.sharedByteCount(length: size, rowShape: rowShape, dtype: newDtype, double: isDouble)
                let shm = try SharedMemory(creating: bytes)
                newRing = try RingBuffer(sharedMemory: shm, length: size, rowShape: rowShape, dtype: newDtype,
                                         double: isDouble, fill: p.fill, axisOrder: p.axisOrder())
                p["shm_id"] = .string(shm.path)
                newWakeup = SharedMemWakeup.offer(in: &p, ringLength: size, chunkRows: newShape[0])
            }
            if proto != "tcp" {
                p["interface"] = .string("pyacq_pipe_" + Posix.randomName(length: 24, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
            }
            let url = try p.url()
            let sock = try ZMQSocket(type: ZMQ_XPUB)
            try sock.setOption(ZMQ_LINGER, 1000)
            let chunkBytes = QueueLimits.chunkBytes(shape: newShape, itemsize: newDtype.itemsize)
            let queueMessages = mode == "sharedmem" ? QueueLimits.notificationMessages
                : QueueLimits.producerMessages(chunkBytes: chunkBytes, maxQueuedBytes: maxQueued)
            try sock.setOption(ZMQ_SNDHWM, queueMessages)
            try sock.setOption(ZMQ_XPUB_VERBOSER, 1)
            try sock.bind(url)
            let endpoint = sock.lastEndpoint
            if let colon = endpoint.lastIndex(of: ":") {
                p["port"] = .string(String(endpoint[endpoint.index(after: colon)...]))
            }
            var newStamper: TimestampPublisher?
            if StreamTimestamps.enabled(p[StreamTimestamps.paramKey]) {
                newStamper = try TimestampPublisher(protocolName: proto, interface: map["interface"]?.stringValue ?? "127.0.0.1",
                                                    queueMessages: queueMessages)
                p[StreamTimestamps.paramKey] = .map(newStamper?.announced ?? [:])
            }
            stamper?.close()
            stamper = newStamper
            socket?.close()
            removeIPCPipe()
            ring?.sharedMemory?.removeFile()
            wakeup?.retire()
            wakeup = newWakeup
            isClosed = false
            socket = sock
            ring = newRing
            params = p
            dtype = newDtype
            shape = newShape
            compression = mode == "plaindata" ? newCompression : ""
            lastIndex = 0
            chunksSent = 0
            chunksDropped = 0
            samplesDropped = 0
            budget = QueueBudget(perConsumer: QueueLimits.producerBytes(chunkBytes: chunkBytes, maxQueuedBytes: maxQueued))
            consumerQueueMessages = queueMessages
            plainSender.setRowLayout(rowShape: Array(newShape.dropFirst()), itemsize: newDtype.itemsize)
            acceptedDTypeText = []
            plainSubscribers = 0
            stampedSubscribers = 0
            subscriptionsReadAt = -.infinity
            pending = nil
        }
        onConfigured?(self)
    }

    /// Sends one chunk whose first axis is time; `index` defaults to `lastIndex + rows`.
    /// `timestamp`: stream-clock time of the chunk's last sample (default: the input chunk this
    /// thread is processing, else now).
    public func send(_ chunk: ArrayView, index: Int? = nil, timestamp: Double? = nil) throws(PyAcqError) {
        try lock.withLock { () throws(PyAcqError) in
            let socket = try configuredSocket()
            guard pending == nil else { throw PyAcqError(.state, "output stream \(displayName)has reserved rows; commit() them before sending") }
            try checkChunk(chunk)
            try publish(chunk, index: try validIndex(index, rows: chunk.shape[0]), timestamp: timestamp, on: socket)
        }
    }

    /// The index after a chunk of `rows` rows: `index`, or the previous one + rows.
    private func validIndex(_ index: Int?, rows: Int) throws(PyAcqError) -> Int {
        let newIndex = index ?? (lastIndex + rows)
        guard newIndex >= 0, newIndex < 1 << 62 else { throw PyAcqError(.invalidArgument, "stream index must be in [0, 2^62), got \(newIndex)") }
        return newIndex
    }

    /// Writes a checked chunk into the ring (then notifies) or sends it as plaindata within the
    /// queue budget; the one path of `send` and of a committed reservation.
    private func publish(_ chunk: ArrayView, index newIndex: Int, timestamp: Double?, on socket: ZMQSocket) throws(PyAcqError) {
        let rows = chunk.shape[0]
        if let ring {
            try ring.newChunk(chunk, index: newIndex)
            try notify(index: newIndex, rows: rows, timestamp: timestamp, on: socket)
            return
        }
        if compression.isEmpty, let block = chunk.contiguousBlock,
           chunk.owner == nil || block.length <= PlainDataSender.copyLimit {
            // Caller memory or small chunks: one copy, cached header (PlainDataSender).
            let sent = try withinBudget { () throws(PyAcqError) in
                try plainSender.send(UnsafeRawBufferPointer(start: block.start, count: block.length), index: newIndex,
                                     offset: block.offset, shape: chunk.shape, strides: chunk.strides,
                                     budget: budget, on: plainEndpoint(socket), stamp: stamp(timestamp))
            }
            return sent ? counted(index: newIndex) : drop(rows: rows, index: newIndex)
        }
        let frames = try plainDataFrames(chunk, index: newIndex)
        var admitted: ZMQMessage?
        guard try withinBudget({ () throws(PyAcqError) in admitted = try budget.admit(frames[1]); return admitted != nil }),
              let data = admitted else { return drop(rows: rows, index: newIndex) }
        try emit([frames[0], data], timestamp: timestamp, on: socket)
        counted(index: newIndex)
    }

    private func counted(index newIndex: Int) {
        lastIndex = newIndex
        chunksSent += 1
    }

    /// The stamped endpoint and the chunk's time, for a stamping output.
    private func stamp(_ timestamp: Double?) -> PlainDataSender.Stamp? {
        stamper.map { PlainDataSender.Stamp(socket: $0.socket, time: StreamTimestamps.resolve(timestamp)) }
    }

    // MARK: caller memory (the C ABI's send)

    /// Sends a C-order chunk of caller memory (`shape`: `ndim` values, `strides` nil or the
    /// C-order ones) without building a view or any array while its row count stays the same:
    /// the small-chunk path of closed-loop producers. Returns false, having done nothing, for
    /// anything else (a ring, compression, another layout or dtype): the caller then `send`s a view.
    public func sendCallerChunk(_ data: UnsafeRawPointer?, dtype dtypeText: UnsafePointer<CChar>?, ndim: Int,
                                shape: UnsafePointer<Int64>, strides: UnsafePointer<Int64>?,
                                index: Int?, timestamp: Double?) throws(PyAcqError) -> Bool {
        try lock.withLock { () throws(PyAcqError) -> Bool in
            guard let socket, ring == nil, compression.isEmpty, pending == nil, ndim == self.shape.count,
                  dtypeText.map(acceptsDType) ?? true else { return false }
            let rows = Int(shape[0])
            guard rows >= 0, self.shape[0] <= 0 || rows == self.shape[0] else { return false }
            // C-order strides, as cStrides computes them, and the byte count, overflow-checked.
            var step = dtype.itemsize
            for axis in stride(from: ndim - 1, through: 1, by: -1) {
                guard self.shape[axis] > 0, Int(shape[axis]) == self.shape[axis] else { return false }
                if let strides, Int(strides[axis]) != step { return false }
                step *= self.shape[axis]
            }
            if let strides, rows > 0, Int(strides[0]) != step { return false }
            let (byteCount, overflow) = rows.multipliedReportingOverflow(by: step)
            guard !overflow, byteCount == 0 || data != nil else { return false }
            let newIndex = try validIndex(index, rows: rows)
            let bytes = UnsafeRawBufferPointer(start: byteCount == 0 ? nil : data, count: byteCount)
            let sent = try withinBudget { () throws(PyAcqError) in
                try plainSender.send(bytes, index: newIndex, rows: rows, budget: budget, on: plainEndpoint(socket), stamp: stamp(timestamp))
            }
            if sent { counted(index: newIndex) } else { drop(rows: rows, index: newIndex) }
            return true
        }
    }

    /// The dtype text of the last caller chunk that matched the stream's (parsed once).
    private var acceptedDTypeText: [CChar] = []

    private func acceptsDType(_ text: UnsafePointer<CChar>) -> Bool {
        if !acceptedDTypeText.isEmpty, acceptedDTypeText.withUnsafeBufferPointer({ strcmp($0.baseAddress!, text) == 0 }) { return true }
        guard let parsed = String(validatingCString: text), (try? DType(parsing: parsed)) == dtype else { return false }
        acceptedDTypeText = Array(parsed.utf8CString)
        return true
    }

    /// `attempt`, tried again if it found the budget full and more consumers (each with its own
    /// share) subscribed since the count was last read: subscriptions are read on this slow path
    /// only, never per chunk.
    private func withinBudget(_ attempt: () throws(PyAcqError) -> Bool) throws(PyAcqError) -> Bool {
        if try attempt() { return true }
        let before = budget.consumers
        drainSubscriptions()
        return budget.consumers > before ? try attempt() : false
    }

    /// Counts a chunk the queue budget did not let through (consumers see the index gap).
    private func drop(rows: Int, index newIndex: Int) {
        if chunksDropped == 0 || chunksDropped.isMultiple(of: 1000) {
            Diagnostics.report(30, "output stream \(displayName)dropped a chunk: consumers left \(budget.heldBytes) bytes queued (max_queued_bytes \(budget.perConsumer) per consumer)")
        }
        chunksDropped += 1
        samplesDropped += rows
        lastIndex = newIndex
    }

    /// Tells sharedmem consumers that rows up to `index` are in the ring.
    /// Readers on the wake-up page find the chunk (and its time) there; the others get the
    /// §11.4 message, stamped for libpyacq readers of a stamping output.
    private func notify(index newIndex: Int, rows: Int, timestamp: Double?, on socket: ZMQSocket) throws(PyAcqError) {
        let time = (wakeup != nil || stamper != nil) ? StreamTimestamps.resolve(timestamp) : .nan
        wakeup?.publish(index: newIndex, rows: rows, timestamp: time)
        try plainSender.sendNotification(index: newIndex, rows: rows, on: socket,
                                         stamp: stamper.map { PlainDataSender.Stamp(socket: $0.socket, time: time) })
        counted(index: newIndex)
    }

    /// Sends a chunk's frames to pyacq consumers and, stamped, to libpyacq ones.
    private func emit(_ frames: [ZMQMessage], timestamp: Double?, on socket: ZMQSocket) throws(PyAcqError) {
        try stamper?.send(frames, timestamp: StreamTimestamps.resolve(timestamp))
        try socket.send(frames)
    }

    private var displayName: String { name.isEmpty ? "" : "'\(name)' " }

    private func configuredSocket() throws(PyAcqError) -> ZMQSocket {
        guard let socket else {
            if isClosed { throw PyAcqError(.closed, "output stream \(displayName)is closed") }
            throw PyAcqError(.state, "output stream \(displayName)is not configured; call configure() first")
        }
        return socket
    }

    // MARK: zero-copy production

    /// Rows a producer fills in place between `reserve` and `commit` (C order, `byteCount` bytes).
    public struct Reservation: @unchecked Sendable {
        public let data: UnsafeMutableRawPointer
        public let rows: Int
        public let index: Int
        public let byteCount: Int
    }

    /// An open reservation: rows inside the shared ring, or a buffer that becomes the message
    /// (plaindata) or is copied into a ring whose rows are not contiguous. Holding the ring or
    /// buffer keeps the memory valid even if the stream closes before the commit.
    private enum PendingWrite {
        case ring(RingBuffer, rows: Int, index: Int)
        case buffer(AlignedBuffer, rows: Int, index: Int)
    }
    private var pending: PendingWrite?

    /// Reserves `rows` rows ending at `index` (default `lastIndex + rows`) for the producer to
    /// write in place: for sharedmem they are the ring's own rows when contiguous, for plaindata
    /// the memory that is sent. Exactly one reservation may be open; `commit()` publishes it.
    public func reserve(rows: Int, index: Int? = nil) throws(PyAcqError) -> Reservation {
        try lock.withLock { () throws(PyAcqError) in
            _ = try configuredSocket()
            guard pending == nil else { throw PyAcqError(.state, "output stream \(displayName)already has reserved rows; commit() them first") }
            guard rows >= 0 else { throw PyAcqError(.invalidArgument, "cannot reserve \(rows) rows") }
            if shape[0] > 0 && rows != shape[0] {
                throw PyAcqError(.invalidArgument, "this stream's chunks have \(shape[0]) rows (shape \(shape)); cannot reserve \(rows)")
            }
            let newIndex = try validIndex(index, rows: rows)
            let byteCount = try Extent.byteCount(shape: [rows] + shape.dropFirst(), itemsize: dtype.itemsize, "\(rows) reserved rows")
            if let ring, ring.canWriteInPlace(rows: rows, index: newIndex) {
                let start = try ring.beginInPlace(rows: rows, index: newIndex)
                pending = .ring(ring, rows: rows, index: newIndex)
                return Reservation(data: start, rows: rows, index: newIndex, byteCount: byteCount)
            }
            let buffer = try AlignedBuffer(allocating: max(byteCount, 1), for: "\(rows) reserved rows")
            pending = .buffer(buffer, rows: rows, index: newIndex)
            return Reservation(data: buffer.pointer, rows: rows, index: newIndex, byteCount: byteCount)
        }
    }

    /// Publishes the reserved rows to every consumer (`timestamp` as in `send`).
    public func commit(timestamp: Double? = nil) throws(PyAcqError) {
        try lock.withLock { () throws(PyAcqError) in
            guard let write = pending else { throw PyAcqError(.state, "output stream \(displayName)has no reserved rows to commit") }
            pending = nil
            let socket = try configuredSocket()
            switch write {
            case .ring(let reserved, let rows, let index):
                reserved.commitInPlace(rows: rows, index: index)
                try notify(index: index, rows: rows, timestamp: timestamp, on: socket)
            case .buffer(let buffer, let rows, let index):
                let view = ArrayView(base: buffer.pointer, dtype: dtype, shape: [rows] + shape.dropFirst(), owner: buffer)
                try publish(view, index: index, timestamp: timestamp, on: socket)
            }
        }
    }

    /// reserve + fill + commit, for producers that write a chunk in one go (audio callbacks).
    public func sendRows(_ rows: Int, index: Int? = nil, timestamp: Double? = nil, fill: (UnsafeMutableRawPointer) -> Void) throws(PyAcqError) {
        let reservation = try reserve(rows: rows, index: index)
        fill(reservation.data)
        try commit(timestamp: timestamp)
    }

    private func checkChunk(_ chunk: ArrayView) throws(PyAcqError) {
        guard chunk.dtype == dtype else {
            throw PyAcqError(.dtype, "chunk dtype \(chunk.dtype) does not match the stream dtype \(dtype)")
        }
        guard chunk.ndim == shape.count else {
            throw PyAcqError(.invalidArgument, "chunk has \(chunk.ndim) dimensions, the stream shape \(shape) has \(shape.count)")
        }
        for axis in 0..<shape.count where shape[axis] > 0 && chunk.shape[axis] != shape[axis] {
            throw PyAcqError(.invalidArgument, "chunk shape \(chunk.shape) does not match the stream shape \(shape)")
        }
    }

    /// Header + data frames. Contiguous chunks (any axis order or direction) go out without a
    /// copy when their memory has an owner to keep alive; others are compacted once.
    private func plainDataFrames(_ chunk: ArrayView, index: Int) throws(PyAcqError) -> [ZMQMessage] {
        var strides = chunk.strides
        var offset = 0
        let data: ZMQMessage
        if let block = chunk.contiguousBlock {
            offset = block.offset
            let bytes = UnsafeRawBufferPointer(start: block.start, count: block.length)
            if !compression.isEmpty {
                data = try Blosc.compress(bytes, typesize: dtype.itemsize, compression: compression)
            } else if let owner = chunk.owner {
                data = try ZMQMessage(borrowing: block.start, length: block.length, owner: owner)
            } else {
                data = try ZMQMessage(size: block.length)
                if block.length > 0 { pyacqCopy(data.data, block.start, block.length) }
            }
        } else {
            strides = chunk.compactStridesKeepingAxisOrder
            let compact = try ZMQMessage(size: chunk.byteCount)
            stridedCopy(from: chunk.base, srcStrides: chunk.strides, to: compact.data, dstStrides: strides,
                        shape: chunk.shape, itemsize: dtype.itemsize)
            data = compression.isEmpty ? compact
                : try Blosc.compress(compact.bytes, typesize: dtype.itemsize, compression: compression)
        }
        let header = PlainDataHeader(index: index, offset: offset, shape: chunk.shape, strides: strides)
        return [try ZMQMessage(bytes: header.encoded), data]
    }

    /// libzmq removes an ipc pipe file only when the context terminates, which a process-wide
    /// context never does: remove it when the stream closes.
    private func removeIPCPipe() {
        guard params["protocol"] == .string("ipc"), case .string(let path)? = params["interface"] else { return }
        unlink(path)
    }

    /// Consumers currently subscribed (reads pending subscription notices).
    public var subscriberCount: Int {
        lock.withLock { drainSubscriptions(); return subscribers }
    }

    private func drainSubscriptions() {
        guard let socket else { return }
        while let frames = try? socket.receiveMessage(dontWait: true) {
            // `array` copies inside the getter: `.bytes` would outlive the message in release builds.
            guard let first = frames.first?.array.first else { continue }
            plainSubscribers += first == 1 ? 1 : -1
        }
        stampedSubscribers += stamper?.drainSubscriptionDelta() ?? 0
        budget.consumers = subscribers
        subscriptionsReadAt = monotonicSeconds()
    }

    /// Consumers on the plain endpoint (original pyacq ones) and on the stamped one.
    private var plainSubscribers = 0
    private var stampedSubscribers = 0
    private var subscribers: Int { plainSubscribers + stampedSubscribers }
    private var subscriptionsReadAt = -Double.infinity

    /// How long a stamping output may go without reading subscriptions while it sends.
    static let subscriptionCheckSeconds = 0.01

    /// The plain endpoint when an original pyacq consumer may be on it; nil while a stamping
    /// output has only libpyacq consumers (all on the stamped endpoint), which spares each chunk
    /// two sends that libzmq would drop. Subscriptions are read at most every 10 ms here, so a
    /// pyacq consumer's first chunks can come up to 10 ms after its subscription arrived (as
    /// if it had joined that much later; wait_for_subscribers reads them at once).
    private func plainEndpoint(_ socket: ZMQSocket) -> ZMQSocket? {
        guard stamper != nil else { return socket }
        if monotonicSeconds() - subscriptionsReadAt >= Self.subscriptionCheckSeconds { drainSubscriptions() }
        return plainSubscribers > 0 ? socket : nil
    }

    /// Waits until at least `count` consumers have subscribed; false on timeout.
    public func waitForSubscribers(_ count: Int, timeoutMs: Int) throws(PyAcqError) -> Bool {
        let deadline = monotonicSeconds() + Double(timeoutMs) / 1000
        while true {
            let (current, sock) = lock.withLock { drainSubscriptions(); return (subscribers, socket) }
            if current >= count { return true }
            guard let sock else { throw PyAcqError(.state, "output stream \(displayName)is not configured") }
            let remaining = Int((deadline - monotonicSeconds()) * 1000)
            if remaining <= 0 { return false }
            _ = try lock.withLock { () throws(PyAcqError) in try sock.poll(timeoutMs: min(remaining, 50)) }
        }
    }

    /// Restarts indexes at 0, as a node does on `start()` (PROTOCOL §7.5, §11.5).
    public func resetIndex() throws(PyAcqError) {
        try lock.withLock { () throws(PyAcqError) in
            lastIndex = 0
            try ring?.resetIndex()
        }
    }

    /// Closes the socket and removes the shared file (readers' mappings stay valid).
    public func close() {
        lock.withLock {
            if socket != nil { isClosed = true }
            socket?.close()
            socket = nil
            removeIPCPipe()
            ring?.sharedMemory?.removeFile()
            ring = nil
            wakeup?.retire()
            wakeup = nil
            pending = nil
            stamper?.close()
            stamper = nil
        }
    }
}
