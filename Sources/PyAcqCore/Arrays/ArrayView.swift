/// A typed, possibly strided window on memory someone else owns: pointer to element [0,…,0],
/// shape and byte strides (negative strides allowed). `owner` keeps that memory alive.
public struct ArrayView: @unchecked Sendable {
    public let base: UnsafeRawPointer
    public let dtype: DType
    public let shape: [Int]
    public let strides: [Int]
    public let owner: AnyObject?

    public init(base: UnsafeRawPointer, dtype: DType, shape: [Int], strides: [Int]? = nil, owner: AnyObject? = nil) {
        self.base = base
        self.dtype = dtype
        self.shape = shape
        self.strides = strides ?? cStrides(shape: shape, itemsize: dtype.itemsize)
        self.owner = owner
    }

    /// Validates a layout coming from outside (C callers, wire headers) against the memory that
    /// holds it: every element must lie inside `[block, block + blockLength)`.
    public init(block: UnsafeRawPointer, blockLength: Int, offset: Int, dtype: DType, shape: [Int],
                strides: [Int], owner: AnyObject?) throws(PyAcqError) {
        try Extent.checkInside(blockLength: blockLength, offset: offset, shape: shape, strides: strides,
                               itemsize: dtype.itemsize)
        self.init(base: block + offset, dtype: dtype, shape: shape, strides: strides, owner: owner)
    }

    public var count: Int { shape.reduce(1, *) }
    public var byteCount: Int { count * dtype.itemsize }
    public var ndim: Int { shape.count }

    public var isCContiguous: Bool {
        if count == 0 { return true }
        let c = cStrides(shape: shape, itemsize: dtype.itemsize)
        return zip(zip(shape, strides), c).allSatisfy { pair, cs in pair.0 == 1 || pair.1 == cs }
    }

    /// The memory block that holds exactly this array's elements in some axis order and
    /// direction (PROTOCOL §9 rule 1), with the byte offset of element [0,…] inside it.
    public var contiguousBlock: (start: UnsafeRawPointer, length: Int, offset: Int)? {
        if count == 0 { return (base, 0, 0) }
        if isCContiguous { return (base, byteCount, 0) }
        let axes = (0..<ndim).filter { shape[$0] > 1 }.sorted { abs(strides[$0]) < abs(strides[$1]) }
        var expected = dtype.itemsize
        var offset = 0
        for axis in axes {
            guard abs(strides[axis]) == expected else { return nil }
            if strides[axis] < 0 { offset += (shape[axis] - 1) * expected }
            expected *= shape[axis]
        }
        return (base - offset, byteCount, offset)
    }

    /// Copies the elements in C order into `destination` (which holds `byteCount` bytes).
    public func copyCOrder(to destination: UnsafeMutableRawPointer) {
        stridedCopy(from: base, srcStrides: strides, to: destination,
                    dstStrides: cStrides(shape: shape, itemsize: dtype.itemsize), shape: shape, itemsize: dtype.itemsize)
    }

    /// Strides of a compact copy that keeps this view's axis order in memory (axes by decreasing
    /// |stride|, all strides positive): what PROTOCOL §9 rule 2 sends for non-contiguous chunks.
    public var compactStridesKeepingAxisOrder: [Int] {
        let order = (0..<ndim).sorted { abs(strides[$0]) > abs(strides[$1]) }
        var result = [Int](repeating: 0, count: ndim)
        var step = dtype.itemsize
        for axis in order.reversed() {
            result[axis] = step
            step *= max(shape[axis], 1)
        }
        return result
    }

    /// An owned C-order copy.
    public func toNDArray() -> NDArray {
        let buffer = AlignedBuffer(count: byteCount)
        copyCOrder(to: buffer.pointer)
        return NDArray(dtype: dtype, shape: shape, storage: buffer)
    }

    /// Rows `[start, stop)` along axis 0.
    public func rows(_ start: Int, _ stop: Int) -> ArrayView {
        var newShape = shape
        newShape[0] = stop - start
        return ArrayView(base: base + start * strides[0], dtype: dtype, shape: newShape, strides: strides, owner: owner)
    }
}

/// An owned, C-contiguous array: the `ndarray` of the value model.
public struct NDArray: Equatable, @unchecked Sendable {
    public let dtype: DType
    public let shape: [Int]
    public let storage: AlignedBuffer

    public init(dtype: DType, shape: [Int], storage: AlignedBuffer) {
        precondition(storage.count >= shape.reduce(1, *) * dtype.itemsize)
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
    }

    /// A zero-filled array.
    public init(dtype: DType, shape: [Int]) {
        self.init(dtype: dtype, shape: shape, storage: AlignedBuffer(count: shape.reduce(1, *) * dtype.itemsize, zeroed: true))
    }

    /// From raw C-order bytes, checking that the size matches.
    public init(dtype: DType, shape: [Int], bytes: UnsafeRawBufferPointer) throws(PyAcqError) {
        let expected = try Extent.byteCount(shape: shape, itemsize: dtype.itemsize, "ndarray of dtype \(dtype) and shape \(shape)", code: .malformed)
        guard expected == bytes.count else {
            throw PyAcqError(.malformed, "ndarray of dtype \(dtype) and shape \(shape) needs \(expected) bytes, got \(bytes.count)")
        }
        self.init(dtype: dtype, shape: shape, storage: AlignedBuffer(copying: bytes))
    }

    public init<T>(dtype: DType, shape: [Int], values: [T]) {
        precondition(MemoryLayout<T>.size == dtype.itemsize && values.count == shape.reduce(1, *))
        let storage = AlignedBuffer(count: values.count * MemoryLayout<T>.size)
        values.withUnsafeBytes { storage.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        self.init(dtype: dtype, shape: shape, storage: storage)
    }

    public var byteCount: Int { shape.reduce(1, *) * dtype.itemsize }
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage.pointer, count: byteCount) }
    public var view: ArrayView { ArrayView(base: storage.pointer, dtype: dtype, shape: shape, owner: storage) }

    public func values<T>(as: T.Type) -> [T] {
        precondition(MemoryLayout<T>.size == dtype.itemsize)
        return Array(UnsafeBufferPointer(start: storage.pointer.assumingMemoryBound(to: T.self), count: shape.reduce(1, *)))
    }

    public static func == (a: NDArray, b: NDArray) -> Bool {
        a.dtype == b.dtype && a.shape == b.shape && a.bytes.elementsEqual(b.bytes)
    }
}
