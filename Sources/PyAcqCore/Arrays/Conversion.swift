/// Numeric casts between dtypes (numpy's `astype` for bool/int/uint/float in native order).
extension ArrayView {
    public func converted(to target: DType) throws(PyAcqError) -> NDArray {
        if target == dtype { return toNDArray() }
        let numeric: Set<DType.Kind> = [.bool, .int, .uint, .float]
        guard numeric.contains(dtype.kind), numeric.contains(target.kind), dtype.isNativeOrder, target.isNativeOrder,
              !dtype.isStructured, target.kind != .float || target.itemsize != 2, dtype.kind != .float || dtype.itemsize != 2 else {
            throw PyAcqError(.dtype, "cannot convert \(dtype) to \(target)")
        }
        let source = toNDArray()
        let out = NDArray(dtype: target, shape: shape)
        let n = count
        let src = UnsafeRawPointer(source.storage.pointer)
        let dst = out.storage.pointer
        for i in 0..<n {
            ArrayView.store(ArrayView.load(src + i * dtype.itemsize, dtype), to: dst + i * target.itemsize, target)
        }
        return out
    }

    enum Scalar { case int(Int64), uint(UInt64), double(Double) }

    static func load(_ p: UnsafeRawPointer, _ t: DType) -> Scalar {
        switch (t.kind, t.itemsize) {
        case (.bool, _): return .int(p.load(as: UInt8.self) != 0 ? 1 : 0)
        case (.int, 1): return .int(Int64(p.load(as: Int8.self)))
        case (.int, 2): return .int(Int64(p.loadUnaligned(as: Int16.self)))
        case (.int, 4): return .int(Int64(p.loadUnaligned(as: Int32.self)))
        case (.int, _): return .int(p.loadUnaligned(as: Int64.self))
        case (.uint, 1): return .uint(UInt64(p.load(as: UInt8.self)))
        case (.uint, 2): return .uint(UInt64(p.loadUnaligned(as: UInt16.self)))
        case (.uint, 4): return .uint(UInt64(p.loadUnaligned(as: UInt32.self)))
        case (.uint, _): return .uint(p.loadUnaligned(as: UInt64.self))
        case (_, 4): return .double(Double(p.loadUnaligned(as: Float.self)))
        default: return .double(p.loadUnaligned(as: Double.self))
        }
    }

    /// Stores with numpy's wrap-around for integers and truncation toward zero from floats.
    static func store(_ v: Scalar, to p: UnsafeMutableRawPointer, _ t: DType) {
        let bits: UInt64
        switch v {
        case .int(let i): bits = UInt64(bitPattern: i)
        case .uint(let u): bits = u
        case .double(let d):
            if t.kind == .float {
                if t.itemsize == 4 { p.storeBytes(of: Float(d), as: Float.self) } else { p.storeBytes(of: d, as: Double.self) }
                return
            }
            bits = d.isFinite ? UInt64(bitPattern: Int64(exactly: d.rounded(.towardZero)) ?? 0) : 0
        }
        switch (t.kind, t.itemsize) {
        case (.float, 4):
            switch v { case .int(let i): p.storeBytes(of: Float(i), as: Float.self); case .uint(let u): p.storeBytes(of: Float(u), as: Float.self); default: break }
        case (.float, _):
            switch v { case .int(let i): p.storeBytes(of: Double(i), as: Double.self); case .uint(let u): p.storeBytes(of: Double(u), as: Double.self); default: break }
        case (.bool, _):
            let nonzero: Bool
            switch v { case .double(let d): nonzero = d != 0; default: nonzero = bits != 0 }
            p.storeBytes(of: nonzero ? 1 : 0, as: UInt8.self)
        case (_, 1): p.storeBytes(of: UInt8(truncatingIfNeeded: bits), as: UInt8.self)
        case (_, 2): p.storeBytes(of: UInt16(truncatingIfNeeded: bits), as: UInt16.self)
        case (_, 4): p.storeBytes(of: UInt32(truncatingIfNeeded: bits), as: UInt32.self)
        default: p.storeBytes(of: bits, as: UInt64.self)
        }
    }
}
