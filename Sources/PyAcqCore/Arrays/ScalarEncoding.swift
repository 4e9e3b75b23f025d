/// Turns a numeric Value into the bytes of one element of a dtype: how ring buffers get their
/// `fill` pattern and how nodes cast values.
extension DType {
    public func elementBytes(of value: Value) throws(PyAcqError) -> [UInt8] {
        if isStructured || kind == .bytes || kind == .void || kind == .unicode {
            // Only "zero" makes sense as a fill for records and strings.
            guard value.isNull || value.doubleValue == 0 else {
                throw PyAcqError(.badParams, "fill value \(value) cannot be stored in dtype \(self); use 0")
            }
            return [UInt8](repeating: 0, count: itemsize)
        }
        guard let d = value.doubleValue ?? value.boolValue.map({ $0 ? 1.0 : 0.0 }) else {
            throw PyAcqError(.badParams, "fill value must be a number, got \(value.kindName)")
        }
        var bytes: [UInt8]
        switch (kind, itemsize) {
        case (.bool, _): bytes = [d != 0 ? 1 : 0]
        case (.float, 2):
            #if arch(x86_64) || arch(arm64)
            bytes = withUnsafeBytes(of: Float16(d).bitPattern.littleEndian, Array.init)
            #else
            throw PyAcqError(.dtype, "float16 is not supported on this platform")
            #endif
        case (.float, 4): bytes = withUnsafeBytes(of: Float(d).bitPattern.littleEndian, Array.init)
        case (.float, 8): bytes = withUnsafeBytes(of: d.bitPattern.littleEndian, Array.init)
        case (.complex, 8):
            bytes = withUnsafeBytes(of: Float(d).bitPattern.littleEndian, Array.init) + [0, 0, 0, 0]
        case (.complex, 16):
            bytes = withUnsafeBytes(of: d.bitPattern.littleEndian, Array.init) + [UInt8](repeating: 0, count: 8)
        case (.int, _), (.datetime, _), (.timedelta, _):
            guard d.isFinite, let i = Int64(exactly: d.rounded(.towardZero)) else {
                throw PyAcqError(.badParams, "fill value \(d) does not fit dtype \(self)")
            }
            bytes = Array(withUnsafeBytes(of: i.littleEndian, Array.init).prefix(itemsize))
        case (.uint, _):
            guard d.isFinite, d >= 0, let u = UInt64(exactly: d.rounded(.towardZero)) else {
                throw PyAcqError(.badParams, "fill value \(d) does not fit dtype \(self)")
            }
            bytes = Array(withUnsafeBytes(of: u.littleEndian, Array.init).prefix(itemsize))
        default:
            throw PyAcqError(.dtype, "cannot encode a number as dtype \(self)")
        }
        if byteOrder == .big {
            // Complex values swap each half separately.
            if kind == .complex {
                let half = itemsize / 2
                bytes = Array(bytes[0..<half].reversed()) + Array(bytes[half...].reversed())
            } else {
                bytes.reverse()
            }
        }
        return bytes
    }

    /// The default fill of PROTOCOL §11.1: NaN for float/complex kinds, zero otherwise.
    public var defaultFillBytes: [UInt8] {
        if isFloatingKind { return (try? elementBytes(of: .double(.nan))) ?? [UInt8](repeating: 0, count: itemsize) }
        return [UInt8](repeating: 0, count: itemsize)
    }
}
