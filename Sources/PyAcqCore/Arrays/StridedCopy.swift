import CPyAcqSupport

/// Element-wise copy between two strided layouts of the same shape. Adjacent dimensions that
/// are contiguous in both layouts are merged first, so the common cases become one memcpy or a
/// few long ones.
public func stridedCopy(from src: UnsafeRawPointer, srcStrides: [Int],
                        to dst: UnsafeMutableRawPointer, dstStrides: [Int],
                        shape: [Int], itemsize: Int) {
    if shape.contains(0) { return }
    var dims: [(n: Int, s: Int, d: Int)] = []
    for i in 0..<shape.count where shape[i] != 1 {
        dims.append((shape[i], srcStrides[i], dstStrides[i]))
    }
    // Merge dimension i into i-1 when it continues it in both layouts (C-order scan).
    var merged: [(n: Int, s: Int, d: Int)] = []
    for dim in dims {
        if let last = merged.last, last.s == dim.s * dim.n, last.d == dim.d * dim.n {
            merged[merged.count - 1] = (last.n * dim.n, dim.s, dim.d)
        } else {
            merged.append(dim)
        }
    }
    if merged.isEmpty {
        pyacq_copy_bytes(dst, src, itemsize)
        return
    }
    let inner = merged.removeLast()
    let innerContiguous = inner.s == itemsize && inner.d == itemsize
    let outer = merged
    var counter = [Int](repeating: 0, count: outer.count)
    var srcOffset = 0
    var dstOffset = 0
    while true {
        if innerContiguous {
            pyacq_copy_bytes(dst + dstOffset, src + srcOffset, inner.n * itemsize)
        } else {
            copyStridedRun(src + srcOffset, inner.s, dst + dstOffset, inner.d, count: inner.n, itemsize: itemsize)
        }
        // Advance the outer multi-index like an odometer.
        var axis = outer.count - 1
        while axis >= 0 {
            counter[axis] += 1
            srcOffset += outer[axis].s
            dstOffset += outer[axis].d
            if counter[axis] < outer[axis].n { break }
            srcOffset -= outer[axis].s * outer[axis].n
            dstOffset -= outer[axis].d * outer[axis].n
            counter[axis] = 0
            axis -= 1
        }
        if axis < 0 { return }
    }
}

@inline(__always)
func copyStridedRun(_ src: UnsafeRawPointer, _ srcStride: Int, _ dst: UnsafeMutableRawPointer,
                    _ dstStride: Int, count: Int, itemsize: Int) {
    switch itemsize {
    case 2: copyRun(UInt16.self, src, srcStride, dst, dstStride, count)
    case 4: copyRun(UInt32.self, src, srcStride, dst, dstStride, count)
    case 8: copyRun(UInt64.self, src, srcStride, dst, dstStride, count)
    case 1: copyRun(UInt8.self, src, srcStride, dst, dstStride, count)
    default:
        for i in 0..<count { pyacq_copy_bytes(dst + i * dstStride, src + i * srcStride, itemsize) }
    }
}

@inline(__always)
func copyRun<T>(_: T.Type, _ src: UnsafeRawPointer, _ srcStride: Int, _ dst: UnsafeMutableRawPointer,
                _ dstStride: Int, _ count: Int) {
    for i in 0..<count {
        (dst + i * dstStride).storeBytes(of: (src + i * srcStride).loadUnaligned(as: T.self), as: T.self)
    }
}

/// Byte strides of a C-contiguous array.
public func cStrides(shape: [Int], itemsize: Int) -> [Int] {
    var strides = [Int](repeating: 0, count: shape.count)
    var step = itemsize
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = step
        step *= max(shape[i], 1)
    }
    return strides
}

/// memcpy that keeps large copies fast into destinations not aligned to 32 bytes.
@inline(__always)
public func pyacqCopy(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ count: Int) {
    pyacq_copy_bytes(dst, src, count)
}
