import CPyAcqSupport
import CZeroMQ
import Synchronization

/// One received chunk: the stream index after it and, when asked for, a read-only view of the
/// data. The view stays valid while the chunk (or the view's owner) is alive.
public struct ReceivedChunk: @unchecked Sendable {
    public let index: Int
    public let rows: Int
    public let data: ArrayView?
    /// Time of the chunk's last sample on this process's clock (the producer's stamp minus the
    /// estimated clock offset; NaN before the first estimate); nil when the producer does not
    /// stamp (an original pyacq peer, or timestamps switched off).
    public var timestamp: Double? = nil
    /// The producer's stamp as sent, on its clock.
    public var rawTimestamp: Double? = nil
}

/// What an input has seen, so losses are never silent.
public struct InputStatistics: Equatable, Sendable {
    public var chunksReceived = 0
    public var samplesReceived = 0
    /// Samples that never arrived (index gaps between consecutive chunks).
    public var samplesLost = 0
    /// Messages rejected as malformed (wrong frame count, bad header, truncated or bad data).
    public var malformedMessages = 0
    public var lastError = ""
}

/// The consuming end of a stream (PROTOCOL §8.3, §9–§12).
public final class InputStream: @unchecked Sendable {
    public let spec: ValueMap
    public let name: String
    public private(set) var params: StreamParams?
    /// Read under the lock: a receive on another thread updates it.
    public var statistics: InputStatistics { lock.withLock { stats } }
    private var stats = InputStatistics()

    private let lock = Lock()
    private var socket: ZMQSocket?
    /// Tells a waiting receive that the producer's connection broke (tcp and ipc).
    private var peerMonitor: PeerMonitor?
    private var dtype = DType.float32

    /// The dtype chunks are read with (parsed once at connect).
    public var streamDType: DType { lock.withLock { dtype } }
    private var compression = ""
    private var sharedRing: RingBuffer?
    /// The producer's wake-up page when both ends are libpyacq (SharedMemWakeup), and where
    /// this reader is in it.
    private var wakeup: SharedMemWakeup?
    private var wakeCursor = SharedMemWakeup.Cursor(next: 0)
    private var joinIndex = 0
    private let spinLimit = Atomic<Int>(0)
    private var localBuffer: RingBuffer?
    private var lastIndex: Int?
    private var isClosed = false
    /// Where messages are received (the last returned view's frames stay alive until the next
    /// receive; one still held by a retained chunk is left to it and a new one made).
    private var frames = ReceivedFrames()
    private var plainDecoder = PlainDataDecoder()
    /// The receive timeout the socket has (ZMQ_RCVTIMEO), set only when it changes.
    private var socketTimeoutMs: Int32 = -1
    /// Keeps the memory of the last returned view alive too when it is not a frame (a
    /// decompressed blosc buffer, or a copy joining a single ring's two pieces).
    private var lastDataOwner: AnyObject?
    /// Rows of the chunk a lagging sharedmem reader could not read.
    private var lostRows = 0
    /// Set when the producer stamps chunks (Time/StreamTimestamps.swift).
    private var stamps: TimestampSubscription?
    private var clockTracker: ClockOffsetTracker?
    private var lastStamp: ReceivedTimestamp?

    /// Called after every successful connect (nodes create outputs that depend on the input).
    public var onConnected: ((InputStream) -> Void)?

    public init(spec: ValueMap = [:], name: String = "") {
        self.spec = spec
        self.name = name
    }

    deinit { close() }

    public var isConnected: Bool { lock.withLock { socket != nil } }

    /// Microseconds a receive or poll busy-waits for a chunk before it sleeps (0, the default:
    /// sleep at once). Trades a core for a shorter wake-up in closed-loop use.
    public var spinMicroseconds: Int {
        get { spinLimit.load(ordering: .relaxed) }
        set { spinLimit.store(max(0, min(newValue, 1_000_000)), ordering: .relaxed) }
    }

    /// True when chunks arrive through a shared-memory wake-up page instead of messages.
    public var usesSocketFreeWakeup: Bool { lock.withLock { wakeup != nil } }

    public typealias RemoteParamsFetcher = (ProxyReference) throws(PyAcqError) -> ValueMap
    nonisolated(unsafe) private static var remoteParamsFetcher: RemoteParamsFetcher?
    private static let fetcherLock = Lock()

    /// How a proxy to a remote OutputStream becomes its params. Core knows nothing of RPC: the
    /// runtime bootstrap installs the RPC layer's fetcher, which gets `params` by value as pyacq
    /// does (PROTOCOL §8.3).
    public static func installRemoteParamsFetcher(_ fetcher: @escaping RemoteParamsFetcher) {
        fetcherLock.withLock { remoteParamsFetcher = fetcher }
    }

    /// Connects to a params map or to a proxy to an output stream.
    public func connect(to target: Value) throws(PyAcqError) {
        switch target {
        case .map(let params):
            try connect(params)
        case .proxy(let ref):
            guard let fetch = InputStream.fetcherLock.withLock({ InputStream.remoteParamsFetcher }) else {
                throw PyAcqError(.state, "connecting to a remote output needs the RPC layer: call PyAcqRuntime.bootstrap() first")
            }
            try connect(try fetch(ref))
        default:
            throw PyAcqError(.invalidArgument, "connect() takes an OutputStream, a proxy to one, or a params dict; got \(target.kindName)", exceptionType: "TypeError")
        }
    }

    /// Connects to a producer described by its params map.
    public func connect(_ producerParams: ValueMap) throws(PyAcqError) {
        try lock.withLock { () throws(PyAcqError) in
            let p = try StreamParams(producerParams).applyingInputSpec(spec)
            let mode = try p.transferMode()
            let newDtype = try p.dtype()
            let shape = try p.shape()
            let newCompression = mode == "plaindata" ? try p.compression() : ""
            var ring: RingBuffer?
            var page: SharedMemWakeup?
            if mode == "sharedmem" {
                guard case .string(let path)? = p["shm_id"] else {
                    throw PyAcqError(.badParams, "sharedmem stream params have no 'shm_id' (the producer's shared file)")
                }
                let length = try p.int("buffer_size", default: 0)
                guard length > 0 else { throw PyAcqError(.badParams, "sharedmem stream params need buffer_size > 0") }
                let rowShape = Array(shape.dropFirst())
                let isDouble = try p.bool("double", default: false)
                let size = try RingBuffer.sharedByteCount(length: length, rowShape: rowShape, dtype: newDtype, double: isDouble)
                let shm = try SharedMemory(opening: path, size: size)
                ring = try RingBuffer(sharedMemory: shm, length: length, rowShape: rowShape, dtype: newDtype,
                                      double: isDouble, fill: p.fill, axisOrder: p.axisOrder())
                page = SharedMemWakeup.accept(p)
            }
            if try p.protocolName() == "tcp", p["port"] == .string("*") {
                throw PyAcqError(.state, "the output stream is not configured yet (its port is still \"*\"); configure it before connecting an input")
            }
            let sock = try ZMQSocket(type: ZMQ_SUB)
            try sock.setOption(ZMQ_LINGER, 1000)
            try sock.setOption(ZMQ_RCVHWM, mode == "sharedmem" ? QueueLimits.notificationMessages
                : QueueLimits.consumerMessages(chunkBytes: QueueLimits.chunkBytes(shape: shape, itemsize: newDtype.itemsize),
                                               maxQueuedBytes: try p.int("max_queued_bytes", default: OutputStream.defaultMaxQueuedBytes)))
            // With a wake-up page the connection only tells that the producer is alive: subscribe
            // to a topic no notification matches, so the producer sends this reader nothing.
            try sock.setOption(ZMQ_SUBSCRIBE, bytes: page == nil ? [] : SharedMemWakeup.silentTopic)
            let monitor = try p.protocolName() == "inproc" ? nil : try PeerMonitor(watching: sock)
            let subscription = try TimestampSubscription(p)
            if let subscription { try sock.connect(subscription.url) } else { try sock.connect(try p.url()) }
            let tracker = try subscription?.makeTracker(period: p["clock_offset_period"]?.doubleValue ?? 5)
            closeSocket()
            stamps = subscription
            clockTracker = tracker
            lastStamp = nil
            isClosed = false
            socket = sock
            peerMonitor = monitor
            params = p
            dtype = newDtype
            compression = newCompression
            sharedRing = ring
            wakeup = page
            wakeCursor = page?.cursorAtEnd() ?? SharedMemWakeup.Cursor(next: 0)
            plainDecoder = PlainDataDecoder()
            socketTimeoutMs = -1
            lastIndex = nil
            producerLeft = false
            chunkRows = shape[0]
            // Read after the cursor, so no chunk published meanwhile is missed: where this
            // reader's loss count starts if it ever has to skip chunks.
            joinIndex = ring?.index ?? 0
            stats = InputStatistics()
        }
        onConnected?(self)
    }

    private func connectedSocket() throws(PyAcqError) -> ZMQSocket {
        guard let socket else {
            if isClosed { throw PyAcqError(.closed, "input stream \(name.isEmpty ? "" : "'\(name)' ")is closed") }
            throw PyAcqError(.state, "input stream \(name.isEmpty ? "" : "'\(name)' ")is not connected; call connect() first")
        }
        return socket
    }

    /// True when a chunk is waiting (waits up to `timeoutMs`, -1 = forever).
    /// Polls under the lock: a ZeroMQ socket must never be used by two threads at once.
    public func poll(timeoutMs: Int) throws(PyAcqError) -> Bool {
        try lock.withLock { () throws(PyAcqError) in
            let sock = try connectedSocket()
            if let wakeup { return try waitForBoundary(wakeup, timeoutMs: timeoutMs, throwing: false) }
            return try sock.poll(timeoutMs: timeoutMs)
        }
    }

    /// Receives the next chunk, waiting up to `timeoutMs` (-1 = forever). A malformed message
    /// is counted and reported as an error for that message only; the stream stays usable.
    public func receive(timeoutMs: Int = -1, withData: Bool = true) throws(PyAcqError) -> ReceivedChunk {
        try lock.withLock { () throws(PyAcqError) in
            let sock = try connectedSocket()
            lastDataOwner = nil
            let arrived: Incoming
            var pageTime = Double.nan
            if let wakeup {
                _ = try waitForBoundary(wakeup, timeoutMs: timeoutMs, throwing: true)
                guard let boundary = wakeup.take(&wakeCursor) else { throw producerGone() }
                if wakeCursor.skipped {
                    // Skipped chunks are lost samples, counted from the last one seen.
                    wakeCursor.skipped = false
                    if lastIndex == nil { lastIndex = joinIndex }
                }
                arrived = .boundary(index: boundary.index, rows: boundary.rows)
                pageTime = boundary.timestamp
            } else {
                arrived = try nextMessageOrTail(sock, timeoutMs: timeoutMs)
            }
            do throws(PyAcqError) {
                var incoming = arrived
                var stamp: ReceivedTimestamp?
                if let stamps {
                    if case .frames(let frames) = arrived {
                        stamp = try takeStamp(frames, stampInFirstFrame: stamps.stampInFirstFrame)
                    } else {
                        stamp = mapStamp(pageTime)
                    }
                }
                var chunk = try decode(incoming, withData: withData)
                if let stamp { (chunk.rawTimestamp, chunk.timestamp) = (stamp.raw, stamp.local) }
                account(chunk)
                lastDataOwner = chunk.data?.owner
                return chunk
            } catch {
                // A reader that fell behind a shared ring lost those samples; anything else
                // was a malformed message.
                if error.code == .overrun { stats.samplesLost += lostRows } else { stats.malformedMessages += 1 }
                stats.lastError = error.message
                throw error
            }
        }
    }

    /// The next message, received by one blocking call as raw libzmq's consumer does (no poll
    /// before it). The wait is cut in slices to watch for a vanished producer (tcp, ipc);
    /// queued messages always come before that news.
    private func nextMessage(_ sock: ZMQSocket, timeoutMs: Int) throws(PyAcqError) -> ReceivedFrames {
        if !isKnownUniquelyReferenced(&frames) { frames = ReceivedFrames() }
        let deadline = timeoutMs < 0 ? nil : monotonicSeconds() + Double(timeoutMs) / 1000
        let spinUs = spinMicroseconds
        if spinUs > 0 {
            let until = min(monotonicSeconds() + Double(spinUs) / 1e6, deadline ?? .infinity)
            repeat {
                if try frames.receive(from: sock, dontWait: true) { return frames }
            } while monotonicSeconds() < until
        }
        while true {
            var slice = peerMonitor == nil ? -1 : Self.producerCheckMs
            if let deadline {
                let remaining = Int(((deadline - monotonicSeconds()) * 1000).rounded(.up))
                slice = slice < 0 ? max(remaining, 0) : min(slice, max(remaining, 0))
            }
            try setSocketTimeout(sock, slice)
            if try frames.receive(from: sock, dontWait: slice == 0) { return frames }
            if let peerMonitor, try peerMonitor.takeDisconnect() {
                producerLeft = sharedRing != nil
                throw producerGone()
            }
            if let deadline, monotonicSeconds() >= deadline { throw PyAcqError(.timeout, "no chunk arrived within \(timeoutMs) ms") }
        }
    }

    /// The next message or, once a sharedmem producer is gone, the rows it wrote into the ring
    /// without a notification reaching this reader (dropped at a full queue, or in flight when
    /// it died): one chunk per receive, then "producer gone".
    private func nextMessageOrTail(_ sock: ZMQSocket, timeoutMs: Int) throws(PyAcqError) -> Incoming {
        if !producerLeft {
            do throws(PyAcqError) {
                return .frames(try nextMessage(sock, timeoutMs: timeoutMs))
            } catch {
                guard producerLeft else { throw error }
            }
        }
        if let tail = try sharedTail() { return tail }
        throw producerGone()
    }

    /// The next unreceived rows of the shared ring as a chunk boundary: chunks of the stream's
    /// fixed length, or all that is left (nil: none). Rows already overwritten are counted as
    /// lost and reported, once.
    private func sharedTail() throws(PyAcqError) -> Incoming? {
        guard let ring = sharedRing else { return nil }
        try ring.sharedMemory?.checkIntact()
        let from = lastIndex ?? joinIndex
        let end = ring.index
        guard end > from else { return nil }
        let oldest = ring.writeIndex - ring.length
        if from < oldest {
            stats.samplesLost += oldest - from
            lastIndex = oldest
            let error = PyAcqError(.overrun, "samples [\(from), \(oldest)) were overwritten in the shared ring before this reader got to them (the producer is gone; their notifications never arrived)")
            stats.lastError = error.message
            throw error
        }
        let stop = min(end, from + (chunkRows > 0 ? chunkRows : ring.length))
        return .boundary(index: UInt64(stop), rows: UInt64(stop - from))
    }

    /// Set when the connection to a sharedmem producer broke: what is left is read from the ring.
    private var producerLeft = false
    /// The stream's fixed chunk length (`shape[0]`; ≤ 0: variable).
    private var chunkRows = 0

    /// How often a waiting receive looks for news of a vanished producer.
    static let producerCheckMs = 100

    private func setSocketTimeout(_ sock: ZMQSocket, _ ms: Int) throws(PyAcqError) {
        let value = Int32(clamping: ms)
        guard value != socketTimeoutMs else { return }
        try sock.setOption(ZMQ_RCVTIMEO, value)
        socketTimeoutMs = value
    }

    private func producerGone() -> PyAcqError {
        let url = (try? params?.url()) ?? "?"
        return PyAcqError(.io, "producer gone: the output stream at \(url) disconnected (its process ended or it closed the stream)")
    }

    /// Waits until the wake-up page has a chunk for this reader (true) or the producer closed
    /// (true: the receive then reports it). Spins first if asked; sleeps in slices so a producer
    /// killed without closing is noticed through the connection. On timeout: throws, or false.
    private func waitForBoundary(_ page: SharedMemWakeup, timeoutMs: Int, throwing: Bool) throws(PyAcqError) -> Bool {
        if page.isReady(wakeCursor) { return true }
        let deadline = timeoutMs < 0 ? nil : monotonicSeconds() + Double(timeoutMs) / 1000
        let spinUs = spinMicroseconds
        if spinUs > 0 {
            let until = min(monotonicSeconds() + Double(spinUs) / 1e6, deadline ?? .infinity)
            while monotonicSeconds() < until {
                if page.isReady(wakeCursor) { return true }
                pyacq_cpu_relax()
            }
        }
        while true {
            if page.isReady(wakeCursor) { return true }
            if let peerMonitor, try peerMonitor.takeDisconnect() { throw producerGone() }
            var slice: Int64 = 100_000_000
            if let deadline {
                let remaining = deadline - monotonicSeconds()
                if remaining <= 0 {
                    if throwing { throw PyAcqError(.timeout, "no chunk arrived within \(timeoutMs) ms") }
                    return false
                }
                slice = min(slice, Int64(remaining * 1e9) + 1)
            }
            page.sleep(wakeCursor, timeoutNs: slice)
        }
    }

    /// What a receive got: a message, or a chunk boundary read from the wake-up page.
    private enum Incoming {
        case frames(ReceivedFrames)
        case boundary(index: UInt64, rows: UInt64)
    }

    private func decode(_ incoming: Incoming, withData: Bool) throws(PyAcqError) -> ReceivedChunk {
        let frames: ReceivedFrames
        switch incoming {
        case .frames(let f): frames = f
        case .boundary(let index, let rows):
            guard let ring = sharedRing else { throw PyAcqError(.state, "wake-up page without a shared ring") }
            return try readShared(try SharedMemNotification(index: index, rows: rows, ringLength: ring.length), from: ring, withData: withData)
        }
        if let ring = sharedRing {
            guard frames.count == 1 else {
                throw PyAcqError(.malformed, "sharedmem notification must be 1 frame of 16 bytes, got \(frames.count) frames")
            }
            return try readShared(try SharedMemNotification(decoding: frames.bytes(0), ringLength: ring.length), from: ring, withData: withData)
        }
        guard frames.count == 2 else {
            throw PyAcqError(.malformed, "plaindata message must have 2 frames (header, data), got \(frames.count)")
        }
        let (index, view) = try plainDecoder.decode(header: frames.bytes(0), data: frames.bytes(1), owner: frames,
                                                    dtype: dtype, compression: compression)
        try localBuffer?.newChunk(view, index: index)
        return ReceivedChunk(index: index, rows: view.shape[0], data: withData ? view : nil)
    }

    /// Reads the chunk a sharedmem notification (or wake-up page boundary) announced.
    private func readShared(_ note: SharedMemNotification, from ring: RingBuffer, withData: Bool) throws(PyAcqError) -> ReceivedChunk {
        var view: ArrayView?
        if withData || localBuffer != nil {
            do throws(PyAcqError) {
                view = try ring.getData(start: note.start, stop: note.stop)
            } catch where error.code == .index && note.start < ring.writeIndex - ring.length {
                // Count the samples no earlier message accounted for: a gap before this chunk
                // (chunks never announced) and its rows, but never rows of a stale
                // notification (behind lastIndex), nor move lastIndex back.
                let from = lastIndex ?? note.start
                lostRows = max(0, note.stop - from)
                lastIndex = max(lastIndex ?? note.stop, note.stop)
                throw PyAcqError(.overrun, "samples [\(note.start), \(note.stop)) were overwritten in the shared ring before this reader got to them; read faster or ask for a larger buffer_size")
            }
        }
        if let view { try localBuffer?.newChunk(view, index: note.stop) }
        return ReceivedChunk(index: note.stop, rows: note.stop - note.start, data: withData ? view : nil)
    }

    private func account(_ chunk: ReceivedChunk) {
        stats.chunksReceived += 1
        stats.samplesReceived += chunk.rows
        let start = chunk.index - chunk.rows
        if let last = lastIndex {
            if start > last { stats.samplesLost += start - last }
            // Behind what was already seen and not a restart (which begins at 0): a stale
            // message. Moving lastIndex back would count the samples after it as lost again.
            if chunk.index < last && start != 0 { return }
        }
        lastIndex = chunk.index
    }

    /// Discards every chunk already queued; returns how many.
    @discardableResult
    public func emptyQueue() throws(PyAcqError) -> Int {
        try lock.withLock { () throws(PyAcqError) in
            let sock = try connectedSocket()
            var n = 0
            if let wakeup { while wakeup.take(&wakeCursor) != nil { n += 1 } }
            while try sock.receiveMessage(dontWait: true) != nil { n += 1 }
            return n
        }
    }

    /// Gives the input a private ring buffer that every received chunk is written into
    /// (pyacq's `set_buffer`). Defaults: double ring, fill from the params.
    public func setBuffer(size: Int, double: Bool = true, axisOrder: [Int]? = nil, fill: Value? = nil) throws(PyAcqError) {
        try lock.withLock { () throws(PyAcqError) in
            guard let params else { throw PyAcqError(.state, "connect the input before set_buffer()") }
            let shape = try params.shape()
            localBuffer = try RingBuffer(length: size, rowShape: Array(shape.dropFirst()), dtype: dtype, double: double,
                                         fill: fill ?? params.fill, axisOrder: axisOrder)
        }
    }

    /// The buffer `get_data` reads: the local one if set, else a sharedmem producer's ring.
    public var buffer: RingBuffer? { lock.withLock { localBuffer ?? sharedRing } }

    public func getData(start: Int, stop: Int, copy: Bool = false) throws(PyAcqError) -> ArrayView {
        guard let buffer else { throw PyAcqError(.state, "this input has no buffer; call set_buffer() first (or use a sharedmem stream)") }
        return try buffer.getData(start: start, stop: stop, copy: copy)
    }

    public func resetBufferIndex() throws(PyAcqError) {
        try lock.withLock { () throws(PyAcqError) in
            try localBuffer?.resetIndex()
            lastIndex = nil
        }
    }

    /// Takes the stamp out of a stamped endpoint's message (the first frame's last 8 bytes, or
    /// with a version 1 producer a last frame of its own) and maps it onto our clock.
    private func takeStamp(_ frames: ReceivedFrames, stampInFirstFrame: Bool) throws(PyAcqError) -> ReceivedTimestamp {
        if stampInFirstFrame {
            guard frames.count >= 1, frames.count <= ReceivedFrames.capacity, let trailer = frames.takeTrailerOfFirst(8) else {
                throw PyAcqError(.malformed, "a stamped stream message needs its 8-byte timestamp at the end of its first frame")
            }
            return mapStamp(try StreamTimestamps.decode(trailer))
        }
        guard frames.count >= 2, frames.count <= ReceivedFrames.capacity else {
            throw PyAcqError(.malformed, "a stamped stream message needs its timestamp frame after 1 or 2 frames, got \(frames.count) frame(s)")
        }
        let raw = try StreamTimestamps.decode(frames.bytes(frames.count - 1))
        frames.dropLast()
        return mapStamp(raw)
    }

    /// The producer's time `raw` with its value on this process's clock.
    private func mapStamp(_ raw: Double) -> ReceivedTimestamp {
        // The first chunks can beat the first clock estimate: wait for it (once, bounded).
        let estimate = clockTracker?.latest ?? (try? clockTracker?.estimate(timeoutMs: Self.firstEstimateWaitMs))
        let stamp = ReceivedTimestamp(raw: raw, local: estimate?.toLocal(raw) ?? .nan)
        lastStamp = stamp
        return stamp
    }

    /// How long a stamped chunk may wait for the producer's first clock estimate.
    public static let firstEstimateWaitMs = 1000

    /// The last received chunk's timestamp (nil if none arrived or the producer does not stamp).
    public var lastTimestamp: ReceivedTimestamp? { lock.withLock { lastStamp } }

    /// The latest clock offset estimate of the producer, without waiting (nil before the first).
    public var latestClockOffset: ClockOffsetEstimate? { lock.withLock { clockTracker?.latest } }

    /// True when the producer stamps its chunks and this input reads the stamps.
    public var receivesTimestamps: Bool { lock.withLock { stamps != nil } }

    /// The producer's clock offset (producer − local), waiting up to `timeoutMs` for the first
    /// estimate; fails when the producer does not stamp chunks.
    public func clockOffset(timeoutMs: Int = 2000) throws(PyAcqError) -> ClockOffsetEstimate {
        guard let tracker = lock.withLock({ clockTracker }) else {
            throw PyAcqError(.state, "this input has no clock offset: it is not connected to a timestamping libpyacq output")
        }
        return try tracker.estimate(timeoutMs: timeoutMs)
    }

    private func closeSocket() {
        clockTracker?.stop()
        clockTracker = nil
        stamps = nil
        peerMonitor?.close()
        peerMonitor = nil
        socket?.close()
        socket = nil
        wakeup = nil
        frames = ReceivedFrames()
        lastDataOwner = nil
    }

    /// Closes the connection. Rows a sharedmem producer wrote after the last chunk received
    /// are counted as lost then, so the final statistics account for every sample published.
    public func close() {
        lock.withLock {
            if socket != nil { isClosed = true }
            if let ring = sharedRing, socket != nil, (try? ring.sharedMemory?.checkIntact()) != nil {
                stats.samplesLost += max(0, ring.index - (lastIndex ?? joinIndex))
            }
            closeSocket()
            sharedRing = nil
        }
    }
}
