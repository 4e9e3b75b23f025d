import PyAcqCore

/// Cascaded second-order sections with per-channel state (scipy's `sosfilt`, transposed direct
/// form II), computed in float64. Samples are processed row by row through every section so the
/// chunk is read once and the state stays in cache; channels are the SIMD lanes.
public struct SosCascade: Sendable {
    public let sections: Int
    public let channels: Int
    /// b0, b1, b2, a1, a2 per section, each replicated over channels: [section][coef][channel].
    private var coefficients: [Double]
    /// z0, z1 per section and channel: [section][2][channel].
    private var state: [Double]

    /// `sos` is (n_sections, 6) or (n_channels, n_sections, 6), rows `[b0, b1, b2, a0, a1, a2]`
    /// with a0 = 1 as scipy requires.
    public init(sos: NDArray, channels: Int) throws(PyAcqError) {
        let c = try SosCascade.expand(sos, channels: channels)
        sections = c.sections
        self.channels = channels
        coefficients = c.values
        state = [Double](repeating: 0, count: sections * 2 * channels)
    }

    static func expand(_ sos: NDArray, channels: Int) throws(PyAcqError) -> (sections: Int, values: [Double]) {
        let shape = sos.shape
        guard (shape.count == 2 || shape.count == 3), shape.last == 6, shape[shape.count - 2] > 0 else {
            throw PyAcqError(.badParams, "coefficients must have shape (n_sections, 6) or (n_channels, n_sections, 6), got \(shape)", exceptionType: "ValueError")
        }
        if shape.count == 3, shape[0] != channels {
            throw PyAcqError(.badParams, "coefficients are given for \(shape[0]) channels but the stream has \(channels)", exceptionType: "ValueError")
        }
        let raw: [Double]
        switch (sos.dtype.kind, sos.dtype.itemsize) {
        case (.float, 8): raw = sos.values(as: Double.self)
        case (.float, 4): raw = sos.values(as: Float.self).map(Double.init)
        default: throw PyAcqError(.dtype, "coefficients must be float64 or float32, got \(sos.dtype)", exceptionType: "ValueError")
        }
        guard raw.allSatisfy(\.isFinite) else { throw PyAcqError(.badParams, "coefficients contain NaN or infinite values", exceptionType: "ValueError") }
        let sections = shape[shape.count - 2]
        var values = [Double](repeating: 0, count: sections * 5 * channels)
        for ch in 0..<channels {
            let base = shape.count == 3 ? ch * sections * 6 : 0
            for s in 0..<sections {
                let row = Array(raw[(base + s * 6)..<(base + s * 6 + 6)])
                guard row[3] == 1 else {
                    throw PyAcqError(.badParams, "a0 of section \(s) is \(row[3]); second-order sections need a0 = 1 (normalise the section)", exceptionType: "ValueError")
                }
                for (k, v) in [row[0], row[1], row[2], row[4], row[5]].enumerated() { values[(s * 5 + k) * channels + ch] = v }
            }
        }
        return (sections, values)
    }

    /// New coefficients with the same number of sections keep the filter state.
    public mutating func setCoefficients(_ sos: NDArray) throws(PyAcqError) {
        let c = try SosCascade.expand(sos, channels: channels)
        if c.sections != sections { state = [Double](repeating: 0, count: c.sections * 2 * channels) }
        coefficients = c.values
    }

    public mutating func reset() { state = state.map { _ in 0 } }

    /// Filters `rows` samples in place in `work` (C order, rows × channels, float64); with
    /// `backward` the rows are taken last to first (the backward pass of a filtfilt).
    public mutating func process(_ work: UnsafeMutablePointer<Double>, rows: Int, backward: Bool = false) {
        let nc = channels, ns = sections
        coefficients.withUnsafeBufferPointer { coef in
            state.withUnsafeMutableBufferPointer { z in
                let co = coef.baseAddress!, st = z.baseAddress!
                let wide = nc - nc % 4
                for r in 0..<rows {
                    let row = work + (backward ? rows - 1 - r : r) * nc
                    for s in 0..<ns {
                        let b0 = co + (s * 5) * nc, b1 = b0 + nc, b2 = b1 + nc, a1 = b2 + nc, a2 = a1 + nc
                        let z0 = st + (s * 2) * nc, z1 = z0 + nc
                        var c = 0
                        while c < wide {
                            let x = SIMD4<Double>(row[c], row[c + 1], row[c + 2], row[c + 3])
                            let y = load4(b0, c) * x + load4(z0, c)
                            store4(load4(b1, c) * x - load4(a1, c) * y + load4(z1, c), z0, c)
                            store4(load4(b2, c) * x - load4(a2, c) * y, z1, c)
                            store4(y, row, c)
                            c += 4
                        }
                        while c < nc {
                            let x = row[c]
                            let y = b0[c] * x + z0[c]
                            z0[c] = b1[c] * x - a1[c] * y + z1[c]
                            z1[c] = b2[c] * x - a2[c] * y
                            row[c] = y
                            c += 1
                        }
                    }
                }
            }
        }
    }
}

@inline(__always) private func load4(_ p: UnsafePointer<Double>, _ i: Int) -> SIMD4<Double> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD4<Double>.self)
}
@inline(__always) private func load4(_ p: UnsafeMutablePointer<Double>, _ i: Int) -> SIMD4<Double> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD4<Double>.self)
}
@inline(__always) private func store4(_ v: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD4<Double>.self)
}

extension SosCascade {
    /// Filters one (samples, channels) chunk, returning it in `dtype` (float32 or float64).
    /// The chunk is converted once into a float64 work area and written once into the result.
    public mutating func filter(_ chunk: ArrayView, as dtype: DType) throws(PyAcqError) -> NDArray {
        guard chunk.ndim == 2, chunk.shape[1] == channels else {
            throw PyAcqError(.invalidArgument, "the filter expects (samples, \(channels)) chunks, got \(chunk.shape)")
        }
        let rows = chunk.shape[0], count = rows * channels
        let work = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
        defer { work.deallocate() }
        let source = chunk.isCContiguous ? chunk : chunk.toNDArray().view
        if source.dtype.itemsize == 4 {
            let p = source.base.assumingMemoryBound(to: Float.self)
            for i in 0..<count { work[i] = Double(p[i]) }
        } else {
            work.update(from: source.base.assumingMemoryBound(to: Double.self), count: count)
        }
        process(work, rows: rows)
        let out = NDArray(dtype: dtype, shape: [rows, channels])
        if dtype.itemsize == 4 {
            let q = out.storage.pointer.assumingMemoryBound(to: Float.self)
            for i in 0..<count { q[i] = Float(work[i]) }
        } else {
            out.storage.pointer.assumingMemoryBound(to: Double.self).update(from: work, count: count)
        }
        return out
    }
}

/// Chunks as float64 work buffers and back (the filters' float32/float64 streams).
enum FloatBuffers {
    static func load(_ view: ArrayView) throws(PyAcqError) -> [Double] {
        guard view.ndim == 2 else { throw PyAcqError(.invalidArgument, "filters need (samples, channels) chunks, got shape \(view.shape)") }
        let array = view.toNDArray()
        switch view.dtype.itemsize {
        case 4: return array.values(as: Float.self).map(Double.init)
        default: return array.values(as: Double.self)
        }
    }

    static func store(_ values: UnsafeBufferPointer<Double>, rows: Int, channels: Int, as dtype: DType) -> NDArray {
        if dtype.itemsize == 4 {
            return NDArray(dtype: dtype, shape: [rows, channels], values: values.map { Float($0) })
        }
        return NDArray(dtype: dtype, shape: [rows, channels], values: Array(values))
    }

    static func requireFloat(_ dtype: DType, node: String) throws(PyAcqError) {
        guard dtype.kind == .float, dtype.itemsize == 4 || dtype.itemsize == 8, dtype.isNativeOrder else {
            throw PyAcqError(.dtype, "\(node) filters float32 or float64 streams, the input is \(dtype); put a StreamConverter before it", exceptionType: "ValueError")
        }
    }
}
