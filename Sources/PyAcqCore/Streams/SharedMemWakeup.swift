import CPyAcqSupport
import Synchronization

/// Socket-free wake-up for sharedmem streams between libpyacq processes.
///
/// A libpyacq producer creates, beside its ring, a small shared segment holding the chunk
/// boundaries its PROTOCOL §11.4 notifications carry plus a futex word, and names it in the
/// stream param `shm_wakeup` (a path). A libpyacq consumer that finds the key maps the page,
/// subscribes to its producer with a topic no notification matches (so ZeroMQ sends it
/// nothing, while the connection still tells it when the producer dies) and sleeps on the
/// futex. Original pyacq peers ignore the key and exchange notification messages exactly as
/// before; a consumer that finds no key, or cannot map the page, falls back to them too.
/// `shm_wakeup: false` in a producer's configure or a consumer's spec turns it off.
///
/// Because boundaries are read from shared memory, none can be dropped at a queue limit: a
/// consumer that falls more than `capacity` chunks behind skips the oldest, and the skipped
/// samples show as an index gap in its loss count, exactly.
///
/// Layout (native byte order): 0 magic (i64) · 8 futex word (u32: bumped after every chunk
/// and at close) · 12 consumers asleep on it (u32) · 16 chunks published (i64) · 24 closed flag
/// (i64) · 32 capacity (i64) · 64… `capacity` slots of (i64 index after the chunk, i64 rows,
/// f64 bits of the producer's time of the chunk's last sample, NaN when unstamped).
public final class SharedMemWakeup: @unchecked Sendable {
    public static let paramKey = "shm_wakeup"
    /// A subscription topic longer than any 16-byte notification: matches none of them.
    public static let silentTopic = [UInt8](repeating: 0xFF, count: 17)
    static let magic: Int64 = 0x3256_4b41_5743_4150  // "PACWAKV2" little-endian
    static let headerBytes = 64
    static let maxCapacity = 1 << 16

    public let memory: SharedMemory
    public let capacity: Int
    private let base: UnsafeMutableRawPointer

    private var futexWord: UnsafeMutablePointer<UInt32> { base.advanced(by: 8).assumingMemoryBound(to: UInt32.self) }
    private var sleepers: UnsafeMutablePointer<UInt32> { base.advanced(by: 12).assumingMemoryBound(to: UInt32.self) }
    private var published: UnsafeMutablePointer<Int64> { base.advanced(by: 16).assumingMemoryBound(to: Int64.self) }
    private var closedFlag: UnsafeMutablePointer<Int64> { base.advanced(by: 24).assumingMemoryBound(to: Int64.self) }
    private func slot(_ chunk: Int) -> UnsafeMutablePointer<Int64> {
        base.advanced(by: Self.headerBytes + Self.slotBytes * (chunk & (capacity - 1))).assumingMemoryBound(to: Int64.self)
    }

    static let slotBytes = 24
    static func byteCount(capacity: Int) -> Int { headerBytes + slotBytes * capacity }

    /// Slots for a ring of `ringLength` samples: at least as many as chunks of `chunkRows`
    /// (1 for variable-length chunks) fit in the ring, so a reader loses boundaries only when
    /// it has lost the samples too; a power of two in 64…65536.
    static func capacity(ringLength: Int, chunkRows: Int) -> Int {
        let chunks = ringLength / max(1, chunkRows) + 1
        var n = 64
        while n < chunks && n < maxCapacity { n <<= 1 }
        return n
    }

    /// The producer's page (a segment with the same ownership and cleanup as the ring's).
    public init(ringLength: Int, chunkRows: Int) throws(PyAcqError) {
        capacity = Self.capacity(ringLength: ringLength, chunkRows: chunkRows)
        memory = try SharedMemory(creating: Self.byteCount(capacity: capacity))
        base = memory.pointer
        base.storeBytes(of: Self.magic, as: Int64.self)
        base.advanced(by: 32).storeBytes(of: Int64(capacity), as: Int64.self)
    }

    /// A consumer's mapping of the page a producer named in `shm_wakeup`.
    public init(opening path: String) throws(PyAcqError) {
        let header = try SharedMemory(opening: path, size: Self.headerBytes)
        let magic = header.pointer.load(as: Int64.self)
        let slots = Int(header.pointer.load(fromByteOffset: 32, as: Int64.self))
        guard magic == Self.magic, slots >= 1, slots <= Self.maxCapacity, slots & (slots - 1) == 0 else {
            throw PyAcqError(.badParams, "\(path) is not a libpyacq wake-up page")
        }
        capacity = slots
        memory = try SharedMemory(opening: path, size: Self.byteCount(capacity: slots), writable: true)
        base = memory.pointer
    }

    public var path: String { memory.path }
    public var chunkCount: Int { Int(pyacq_atomic_load_acquire(published)) }
    public var isClosed: Bool { pyacq_atomic_load_acquire(closedFlag) != 0 }

    // MARK: producer

    /// Records a chunk ending at `index` (after the ring's read index was published) and wakes
    /// sleeping consumers; no system call when none sleeps.
    public func publish(index: Int, rows: Int, timestamp: Double = .nan) {
        let n = Int(published.pointee)  // only this producer writes it
        let record = slot(n)
        pyacq_atomic_store_release(record, Int64(index))
        pyacq_atomic_store_release(record + 1, Int64(rows))
        pyacq_atomic_store_release(record + 2, Int64(bitPattern: timestamp.bitPattern))
        pyacq_atomic_store_release(published, Int64(n + 1))
        wake()
    }

    /// Tells consumers the stream is gone (after their last chunk).
    public func markClosed() {
        pyacq_atomic_store_release(closedFlag, 1)
        wake()
    }

    private func wake() {
        _ = pyacq_u32_add(futexWord, 1)
        if pyacq_u32_load(sleepers) > 0 { _ = libpyacq_futex_wake_all(futexWord) }
    }

    // MARK: consumer

    /// Where a consumer is in the page: the number of the next chunk it reads.
    public struct Cursor: Sendable {
        public var next: Int
        /// Set when chunks were skipped (their slots reused before this reader got to them).
        public var skipped = false
        public init(next: Int) { self.next = next }
    }

    /// A cursor at the current end: a new consumer gets the chunks published from now on.
    public func cursorAtEnd() -> Cursor { Cursor(next: chunkCount) }

    /// The next chunk's (index, rows), or nil when none is published yet. A cursor `capacity`
    /// or more chunks behind skips the chunks whose slots are reused.
    public func take(_ cursor: inout Cursor) -> (index: UInt64, rows: UInt64, timestamp: Double)? {
        while true {
            let n = chunkCount
            if cursor.next >= n {
                // The producer restarted its page (a reconfigure makes a new one): follow it.
                if cursor.next > n { cursor.next = n }
                return nil
            }
            // The slot of chunk n - capacity is the one the producer writes next: skip it too.
            if n - cursor.next >= capacity {
                cursor.next = n - capacity + 1
                cursor.skipped = true
            }
            let record = slot(cursor.next)
            let index = UInt64(bitPattern: pyacq_atomic_load_acquire(record))
            let rows = UInt64(bitPattern: pyacq_atomic_load_acquire(record + 1))
            let timestamp = Double(bitPattern: UInt64(bitPattern: pyacq_atomic_load_acquire(record + 2)))
            pyacq_thread_fence_acquire()
            // Valid unless the producer reached this slot again while we read it.
            if chunkCount - cursor.next < capacity {
                cursor.next += 1
                return (index, rows, timestamp)
            }
        }
    }

    /// True when a chunk is waiting for `cursor` or the producer closed.
    public func isReady(_ cursor: Cursor) -> Bool { chunkCount > cursor.next || isClosed }

    /// Sleeps until a chunk is published for `cursor`, the producer closes, or `timeoutNs`
    /// (< 0: no limit) passes; may return early (the caller re-checks).
    public func sleep(_ cursor: Cursor, timeoutNs: Int64) {
        let seen = pyacq_u32_load(futexWord)
        if isReady(cursor) { return }
        _ = pyacq_u32_add(sleepers, 1)
        if pyacq_u32_load(futexWord) == seen && !isReady(cursor) {
            _ = libpyacq_futex_wait(futexWord, seen, timeoutNs)
        }
        _ = pyacq_u32_sub(sleepers, 1)
    }
}

extension SharedMemWakeup {
    /// The producer's side of the negotiation: unless `shm_wakeup` is false (or null) in the
    /// params, makes a page and names it there. A page that cannot be made leaves consumers
    /// on notification messages, as original pyacq peers are.
    static func offer(in params: inout StreamParams, ringLength: Int, chunkRows: Int) -> SharedMemWakeup? {
        if let v = params[paramKey], v.isNull || v.boolValue == false { return nil }
        do {
            let page = try SharedMemWakeup(ringLength: ringLength, chunkRows: chunkRows)
            params[paramKey] = .string(page.path)
            return page
        } catch {
            Diagnostics.report(30, "sharedmem stream without socket-free wake-up (consumers use notification messages): \(error.message)")
            params[paramKey] = .bool(false)
            return nil
        }
    }

    /// The consumer's side: the producer's page when the params name one and it maps, else
    /// nil (notification messages, PROTOCOL §11.4).
    static func accept(_ params: StreamParams) -> SharedMemWakeup? {
        guard case .string(let path)? = params[paramKey] else { return nil }
        do {
            return try SharedMemWakeup(opening: path)
        } catch {
            Diagnostics.report(30, "sharedmem input falls back to notification messages: cannot use the wake-up page: \(error.message)")
            return nil
        }
    }

    /// The producer is done with the page: consumers are told, the file goes (their mappings stay).
    func retire() {
        markClosed()
        memory.removeFile()
    }
}
