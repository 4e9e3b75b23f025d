import CPyAcqSupport

/// pyacq's RingBuffer (PROTOCOL §11–§12): N frames of `rowShape`, optionally stored twice
/// ("double") so any window of ≤ N frames is one contiguous view, in any memory axis order.
/// The same type backs private consumer buffers and shared-memory streams: both use the layout
/// of the shared file (read index, write index, then data), so writers and readers follow one
/// procedure whatever the storage.
public final class RingBuffer: @unchecked Sendable {
    public let length: Int
    public let rowShape: [Int]
    public let dtype: DType
    public let isDouble: Bool
    public let axisOrder: [Int]
    public let isWritable: Bool
    /// Bytes of one frame (a row of the logical array).
    public let frameBytes: Int
    /// Strides of the logical array `(rows, *rowShape)` in memory.
    public let logicalStrides: [Int]
    public let sharedMemory: SharedMemory?

    private let header: UnsafeMutablePointer<Int64>
    private let data: UnsafeMutableRawPointer
    private let storage: AnyObject
    private let fillBytes: [UInt8]

    public var rowsInMemory: Int { isDouble ? 2 * length : length }

    /// Bytes of the data part: `length` (twice if double) frames of `rowShape`, overflow-checked.
    public static func dataByteCount(length: Int, rowShape: [Int], dtype: DType, double: Bool) throws(PyAcqError) -> Int {
        try Extent.product([length, double ? 2 : 1] + rowShape + [dtype.itemsize],
                           "ring buffer of \(length) frames of shape \(rowShape) and dtype \(dtype)", code: .badParams)
    }

    /// Byte size of a shared segment holding such a buffer (PROTOCOL §11.2).
    public static func sharedByteCount(length: Int, rowShape: [Int], dtype: DType, double: Bool) throws(PyAcqError) -> Int {
        16 + (try dataByteCount(length: length, rowShape: rowShape, dtype: dtype, double: double))
    }

    /// A private buffer, initialised with the fill value (PROTOCOL §12).
    public convenience init(length: Int, rowShape: [Int], dtype: DType, double: Bool = true,
                            fill: Value = .null, axisOrder: [Int]? = nil) throws(PyAcqError) {
        try RingBuffer.validate(length: length, rowShape: rowShape, axisOrder: axisOrder)
        let fillBytes = try RingBuffer.fillPattern(fill, dtype: dtype)
        let dataBytes = try RingBuffer.dataByteCount(length: length, rowShape: rowShape, dtype: dtype, double: double)
        // Header and data in one allocation with the data 64-byte aligned.
        let storage = try AlignedBuffer(allocating: 64 + dataBytes, zeroed: true,
                                        for: "ring buffer of \(length) frames of shape \(rowShape) and dtype \(dtype)")
        let header = (storage.pointer + 48).bindMemory(to: Int64.self, capacity: 2)
        try self.init(header: header, data: storage.pointer + 64, storage: storage, shared: nil, length: length,
                      rowShape: rowShape, dtype: dtype, double: double, fillBytes: fillBytes,
                      axisOrder: axisOrder, writable: true)
        fillRows(0, rowsInMemory)
    }

    /// A buffer living in a shared segment: created (writable, zero-filled as pyacq does) or
    /// opened read-only from a producer's `shm_id`.
    public convenience init(sharedMemory: SharedMemory, length: Int, rowShape: [Int], dtype: DType,
                            double: Bool, fill: Value = .null, axisOrder: [Int]? = nil) throws(PyAcqError) {
        try RingBuffer.validate(length: length, rowShape: rowShape, axisOrder: axisOrder)
        let needed = try RingBuffer.sharedByteCount(length: length, rowShape: rowShape, dtype: dtype, double: double)
        guard sharedMemory.size >= needed else {
            throw PyAcqError(.badParams, "shared memory of \(sharedMemory.size) bytes is smaller than the \(needed) the ring needs")
        }
        let header = sharedMemory.pointer.bindMemory(to: Int64.self, capacity: 2)
        try self.init(header: header, data: sharedMemory.pointer + 16, storage: sharedMemory, shared: sharedMemory,
                      length: length, rowShape: rowShape, dtype: dtype, double: double,
                      fillBytes: try RingBuffer.fillPattern(fill, dtype: dtype), axisOrder: axisOrder,
                      writable: sharedMemory.isWritable)
    }

    private init(header: UnsafeMutablePointer<Int64>, data: UnsafeMutableRawPointer, storage: AnyObject,
                 shared: SharedMemory?, length: Int, rowShape: [Int], dtype: DType, double: Bool,
                 fillBytes: [UInt8], axisOrder: [Int]?, writable: Bool) throws(PyAcqError) {
        self.header = header
        self.data = data
        self.storage = storage
        self.sharedMemory = shared
        self.length = length
        self.rowShape = rowShape
        self.dtype = dtype
        self.isDouble = double
        self.fillBytes = fillBytes
        self.isWritable = writable
        let ndim = rowShape.count + 1
        let order = axisOrder ?? Array(0..<ndim)
        self.axisOrder = order
        self.frameBytes = rowShape.reduce(1, *) * dtype.itemsize
        let logicalShape = [length * (double ? 2 : 1)] + rowShape
        let physical = order.map { logicalShape[$0] }
        let physicalStrides = cStrides(shape: physical, itemsize: dtype.itemsize)
        var strides = [Int](repeating: 0, count: ndim)
        for (position, axis) in order.enumerated() { strides[axis] = physicalStrides[position] }
        self.logicalStrides = strides
    }

    static func validate(length: Int, rowShape: [Int], axisOrder: [Int]?) throws(PyAcqError) {
        guard length > 0 else { throw PyAcqError(.badParams, "ring buffer size must be > 0, got \(length)") }
        guard rowShape.allSatisfy({ $0 > 0 }) else { throw PyAcqError(.badParams, "ring buffer frame shape \(rowShape) must be positive") }
        if let axisOrder, axisOrder.sorted() != Array(0...rowShape.count) {
            throw PyAcqError(.badParams, "axisorder \(axisOrder) is not a permutation of 0..<\(rowShape.count + 1)")
        }
    }

    static func fillPattern(_ fill: Value, dtype: DType) throws(PyAcqError) -> [UInt8] {
        fill.isNull ? dtype.defaultFillBytes : try dtype.elementBytes(of: fill)
    }

    // MARK: indexes

    /// Index of the last fully written sample + 1.
    public var index: Int { Int(pyacq_atomic_load_acquire(header)) }
    /// Index up to which the writer may be overwriting.
    public var writeIndex: Int { Int(pyacq_atomic_load_acquire(header + 1)) }
    /// The oldest sample still in the buffer.
    public var firstIndex: Int { index - length }

    public func resetIndex() throws(PyAcqError) {
        try requireWritable()
        pyacq_atomic_store_release(header + 1, 0)
        pyacq_atomic_store_release(header, 0)
    }

    private func requireWritable() throws(PyAcqError) {
        guard isWritable else { throw PyAcqError(.state, "this ring buffer is a read-only view of another process's shared memory") }
    }

    // MARK: writing

    /// Appends `chunk` (d frames) so that the buffer index becomes `index` (default: current + d),
    /// filling skipped samples, with the write-index/data/read-index sequence of §11.5.
    public func newChunk(_ chunk: ArrayView, index newIndex: Int? = nil) throws(PyAcqError) {
        try requireWritable()
        try sharedMemory?.checkIntact()
        guard chunk.dtype == dtype else {
            throw PyAcqError(.dtype, "chunk dtype \(chunk.dtype) does not match the buffer dtype \(dtype)")
        }
        guard chunk.ndim == rowShape.count + 1, Array(chunk.shape.dropFirst()) == rowShape else {
            throw PyAcqError(.invalidArgument, "chunk shape \(chunk.shape) does not match the buffer frame shape \(rowShape)")
        }
        let d = chunk.shape[0]
        let target = newIndex ?? (writeIndex + d)
        try announceWrite(rows: d, index: target)
        writeSamples(chunk, start: target - d)
        pyacq_atomic_store_release(header, Int64(target))
    }

    /// Checks that `d` frames may end at `target`, marks them as being written (write index
    /// first, §11.5) and fills the samples skipped before them.
    private func announceWrite(rows d: Int, index target: Int) throws(PyAcqError) {
        let oldWrite = writeIndex
        guard d <= length else { throw PyAcqError(.invalidArgument, "chunk of \(d) frames is longer than the ring buffer (\(length))") }
        guard target - oldWrite >= d else {
            throw PyAcqError(.index, "index \(target) advances by \(target - oldWrite), less than the chunk length \(d)")
        }
        let readIndex = index
        pyacq_atomic_store_release(header + 1, Int64(target))
        pyacq_thread_fence_release()
        let skipStart = max(readIndex, target - length)
        if target - d > skipStart { fillSamples(skipStart, target - d) }
    }

    // MARK: writing in place (zero-copy producers)

    /// Whether `d` frames ending at `target` occupy one C-ordered block of memory, so a
    /// producer can write them in place (always true in double mode with the default axis order).
    public func canWriteInPlace(rows d: Int, index target: Int) -> Bool {
        guard axisOrder == Array(0...rowShape.count), d <= length else { return false }
        return isDouble || floorMod(target - d, length) + d <= length
    }

    /// Starts an in-place write of frames `[target - d, target)`: returns where the producer
    /// writes them (C order); `commitInPlace` publishes them.
    public func beginInPlace(rows d: Int, index target: Int) throws(PyAcqError) -> UnsafeMutableRawPointer {
        try requireWritable()
        guard canWriteInPlace(rows: d, index: target) else {
            throw PyAcqError(.invalidArgument, "\(d) frames ending at \(target) are not contiguous in this buffer; write them with newChunk")
        }
        try announceWrite(rows: d, index: target)
        return rowPointer(floorMod(target - d, length))
    }

    /// Publishes frames written in place, mirroring them into the second copy in double mode.
    public func commitInPlace(rows d: Int, index target: Int) {
        if isDouble && d > 0 {
            let first = floorMod(target - d, length)
            let low = min(d, length - first)
            rowPointer(first + length).copyMemory(from: rowPointer(first), byteCount: low * frameBytes)
            if d > low { rowPointer(0).copyMemory(from: rowPointer(length), byteCount: (d - low) * frameBytes) }
        }
        pyacq_atomic_store_release(header, Int64(target))
    }

    private func rowPointer(_ row: Int) -> UnsafeMutableRawPointer { data + row * logicalStrides[0] }

    /// Writes `chunk` as samples `[start, start + d)`, wrapping at the ring end, twice if double.
    private func writeSamples(_ chunk: ArrayView, start: Int) {
        let d = chunk.shape[0]
        if d == 0 { return }
        let first = floorMod(start, length)
        let firstPart = min(d, length - first)
        let pieces = [(0, first, firstPart), (firstPart, 0, d - firstPart)]
        for (srcRow, dstRow, count) in pieces where count > 0 {
            let part = chunk.rows(srcRow, srcRow + count)
            for copy in isDouble ? [0, length] : [0] {
                stridedCopy(from: part.base, srcStrides: part.strides, to: rowPointer(dstRow + copy),
                            dstStrides: logicalStrides, shape: part.shape, itemsize: dtype.itemsize)
            }
        }
    }

    private func fillSamples(_ start: Int, _ stop: Int) {
        var sample = start
        while sample < stop {
            let row = floorMod(sample, length)
            let count = min(stop - sample, length - row)
            fillRows(row, count)
            if isDouble { fillRows(row + length, count) }
            sample += count
        }
    }

    private func fillRows(_ row: Int, _ count: Int) {
        if fillBytes.allSatisfy({ $0 == 0 }) && logicalStrides[0] == frameBytes {
            rowPointer(row).initializeMemory(as: UInt8.self, repeating: 0, count: count * frameBytes)
            return
        }
        fillBytes.withUnsafeBytes { pattern in
            // A source of stride 0 repeats one element over the whole block.
            stridedCopy(from: pattern.baseAddress!, srcStrides: [Int](repeating: 0, count: rowShape.count + 1),
                        to: rowPointer(row), dstStrides: logicalStrides, shape: [count] + rowShape,
                        itemsize: dtype.itemsize)
        }
    }

    // MARK: reading

    private func checkBounds(_ start: Int, _ stop: Int) throws(PyAcqError) {
        try sharedMemory?.checkIntact()
        let w = writeIndex
        let r = index
        guard start <= stop else { throw PyAcqError(.index, "start \(start) is after stop \(stop)") }
        guard start >= w - length, stop <= r else {
            throw PyAcqError(.index, "samples [\(start), \(stop)) are outside the buffer, which holds [\(w - length), \(r))")
        }
    }

    private func view(rows start: Int, count: Int) -> ArrayView {
        ArrayView(base: rowPointer(start), dtype: dtype, shape: [count] + rowShape, strides: logicalStrides, owner: self)
    }

    /// Samples `[start, stop)` as one or two views into the buffer (two only in single mode
    /// when the window crosses the ring end). Views alias live memory: a writer may overwrite
    /// them once they fall behind `writeIndex - length`.
    public func pieces(start: Int, stop: Int) throws(PyAcqError) -> (ArrayView, ArrayView?) {
        try checkBounds(start, stop)
        let count = stop - start
        if count == 0 { return (view(rows: 0, count: 0), nil) }
        if isDouble {
            return (view(rows: floorMod(stop, length) + length - count, count: count), nil)
        }
        let w = writeIndex
        let lapStart = w - floorMod(w, length)
        let first = floorMod(start, length)
        if (start < lapStart) == (stop <= lapStart) || first + count <= length {
            return (view(rows: first, count: count), nil)
        }
        return (view(rows: first, count: length - first), view(rows: 0, count: floorMod(stop, length)))
    }

    /// pyacq's `get_data(start, stop, copy, join)` with `join = true`: a view when the samples
    /// are contiguous and `copy` is false, else an owned copy.
    public func getData(start: Int, stop: Int, copy: Bool = false) throws(PyAcqError) -> ArrayView {
        let (first, second) = try pieces(start: start, stop: stop)
        if second == nil && !copy { return first }
        let out = NDArray(dtype: dtype, shape: [stop - start] + rowShape)
        try read(start: start, stop: stop, into: UnsafeMutableRawPointer(mutating: out.storage.pointer), capacity: out.byteCount)
        return out.view
    }

    /// Copies samples `[start, stop)` in C order into `destination`, then checks that the writer
    /// did not recycle any of them meanwhile: a reader never gets torn data, it gets `.overrun`.
    public func read(start: Int, stop: Int, into destination: UnsafeMutableRawPointer, capacity: Int) throws(PyAcqError) {
        let needed = (stop - start) * frameBytes
        guard capacity >= needed else {
            throw PyAcqError(.bufferTooSmall, "destination holds \(capacity) bytes, samples [\(start), \(stop)) need \(needed)")
        }
        let (first, second) = try pieces(start: start, stop: stop)
        first.copyCOrder(to: destination)
        if let second { second.copyCOrder(to: destination + first.byteCount) }
        pyacq_thread_fence_acquire()
        let w = writeIndex
        guard start >= w - length else {
            throw PyAcqError(.overrun, "samples [\(start), \(stop)) were overwritten while being read (writer reached \(w)); read more often or use a larger buffer")
        }
    }

    /// One frame, with Python's negative-index rule (`i < 0` counts back from `index`).
    public func frame(at i: Int) throws(PyAcqError) -> ArrayView {
        let sample = i < 0 ? i + index : i
        let view = try getData(start: sample, stop: sample + 1)
        return ArrayView(base: view.base, dtype: dtype, shape: rowShape, strides: Array(view.strides.dropFirst()), owner: view.owner)
    }

    /// `buf[start:stop:step]` with the slice rules of PROTOCOL §12.
    public func slice(start: Int?, stop: Int?, step: Int = 1) throws(PyAcqError) -> ArrayView {
        guard step != 0 else { throw PyAcqError(.invalidArgument, "slice step cannot be zero") }
        let r = index
        func absolute(_ v: Int?) -> Int? { v.map { $0 < 0 ? $0 + r : $0 } }
        var lo: Int, hi: Int
        if step > 0 {
            lo = absolute(start) ?? (writeIndex - length)
            hi = absolute(stop) ?? r
        } else {
            // Reversed slices name the high bound first and exclude the low one.
            lo = absolute(stop).map { $0 + 1 } ?? (writeIndex - length)
            hi = absolute(start).map { $0 + 1 } ?? r
        }
        let lowest = writeIndex - length
        guard lo >= lowest, hi <= r else {
            throw PyAcqError(.index, "slice [\(lo), \(hi)) is outside the buffer, which holds [\(lowest), \(r))")
        }
        hi = max(hi, lo)
        let window = try getData(start: lo, stop: hi)
        let n = hi - lo
        let count = n == 0 ? 0 : (n - 1) / abs(step) + 1
        let firstRow = step > 0 ? 0 : n - 1
        return ArrayView(base: window.base + firstRow * window.strides[0], dtype: dtype, shape: [count] + rowShape,
                         strides: [window.strides[0] * step] + window.strides.dropFirst(), owner: window.owner)
    }
}

/// Modulo with the sign of the divisor, as Python's `%` (PROTOCOL conventions).
@inline(__always)
public func floorMod(_ a: Int, _ n: Int) -> Int {
    let r = a % n
    return r < 0 ? r + n : r
}
