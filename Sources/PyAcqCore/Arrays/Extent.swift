/// Size and extent arithmetic for layouts that come from outside (wire headers, params, C and
/// Python callers): every product and sum is overflow-checked here, in one place, so a crafted
/// shape or stride becomes an error naming the problem instead of a trap.
public enum Extent {
    /// Largest byte count any one array, ring or segment may describe (2^56): far beyond any
    /// memory, small enough that sums of a few such values cannot overflow an Int.
    public static let maxBytes = 1 << 56

    /// The product of `factors` (each ≥ 0), or an error with `code` naming `what`.
    public static func product(_ factors: [Int], _ what: @autoclosure () -> String,
                               code: PyAcqError.Code = .invalidArgument) throws(PyAcqError) -> Int {
        var result = 1
        for f in factors {
            guard f >= 0 else { throw PyAcqError(code, "\(what()): negative factor \(f) in \(factors)") }
            let (r, overflow) = result.multipliedReportingOverflow(by: f)
            guard !overflow, r <= maxBytes else {
                throw PyAcqError(code, "\(what()): \(factors.map(String.init).joined(separator: " × ")) is too large (limit \(maxBytes))")
            }
            result = r
        }
        return result
    }

    /// Bytes of a C-contiguous array of `shape` and `itemsize`.
    public static func byteCount(shape: [Int], itemsize: Int, _ what: @autoclosure () -> String,
                                 code: PyAcqError.Code = .invalidArgument) throws(PyAcqError) -> Int {
        try product(shape + [itemsize], what(), code: code)
    }

    /// Lowest and one-past-highest byte touched relative to element [0,…], nil for empty arrays.
    /// Each axis may span at most `maxBytes` in either direction.
    public static func byteRange(shape: [Int], strides: [Int], itemsize: Int,
                                 code: PyAcqError.Code = .malformed) throws(PyAcqError) -> (low: Int, high: Int)? {
        guard shape.count == strides.count else {
            throw PyAcqError(code, "shape has \(shape.count) dimensions but strides have \(strides.count)")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw PyAcqError(code, "negative dimension in shape \(shape)") }
        guard itemsize >= 0, itemsize <= maxBytes else { throw PyAcqError(code, "itemsize \(itemsize) is out of range") }
        if shape.contains(0) { return nil }
        var low = 0
        var high = itemsize
        for (n, s) in zip(shape, strides) {
            let (span, overflow) = (n - 1).multipliedReportingOverflow(by: s)
            // No abs(): abs(Int.min) traps, and a crafted stride can make span exactly Int.min.
            guard !overflow, span > -maxBytes, span < maxBytes else {
                throw PyAcqError(code, "shape \(shape) with strides \(strides) spans more than \(maxBytes) bytes")
            }
            if span < 0 { low += span } else { high += span }
            guard low > -maxBytes, high < maxBytes else {
                throw PyAcqError(code, "shape \(shape) with strides \(strides) spans more than \(maxBytes) bytes")
            }
        }
        return (low, high)
    }

    /// Checks that every element lies inside `[0, blockLength)` once placed at `offset`.
    public static func checkInside(blockLength: Int, offset: Int, shape: [Int], strides: [Int], itemsize: Int,
                                   code: PyAcqError.Code = .malformed) throws(PyAcqError) {
        guard offset >= 0, offset <= maxBytes else { throw PyAcqError(code, "data offset \(offset) is out of range") }
        // Elements may not outnumber the bytes that hold them: zero or overlapping strides would
        // let a 64-byte message describe 2^47 elements that every copy then walks (found by fuzzing).
        let bytes = try byteCount(shape: shape, itemsize: itemsize, "shape \(shape)", code: code)
        guard bytes <= blockLength else {
            throw PyAcqError(code, "shape \(shape) needs \(bytes) bytes of data, the message has \(blockLength)")
        }
        guard let range = try byteRange(shape: shape, strides: strides, itemsize: itemsize, code: code) else { return }
        guard offset + range.low >= 0, offset + range.high <= blockLength else {
            throw PyAcqError(code, "shape \(shape) with strides \(strides) and offset \(offset) reaches outside the \(blockLength)-byte data")
        }
    }
}
