import CPyAcqHeader
import PyAcqCore

// Ring buffers behind pyacq_ringbuffer_*. Each handle is one reference to a RingBuffer.

private func ring(_ h: OpaquePointer?) throws(PyAcqError) -> RingBuffer {
    try HandleRegistry.resolve(h, as: RingBuffer.self, "ring buffer")
}

@c @implementation
public func pyacq_ringbuffer_create(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ options: UnsafePointer<CChar>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let out = try required(out, "out")
        let opts = StreamParams(try jsonObject(options, "ring buffer options"))
        guard opts["shape"] != nil else { throw PyAcqError(.badParams, "ring buffer options need \"shape\": [length, ...frame dims]") }
        var shape: [Int] = []
        for item in opts["shape"]?.arrayValue ?? [] {
            guard let n = item.intValue else { throw PyAcqError(.badParams, "ring buffer \"shape\" must contain ints") }
            shape.append(n)
        }
        guard shape.count >= 1 else { throw PyAcqError(.badParams, "ring buffer \"shape\" must be a non-empty list of ints") }
        let dtype = opts["dtype"] == nil ? DType.float32 : try opts.dtype()
        let double = try opts.bool("double", default: true)
        let rowShape = Array(shape.dropFirst())
        let buffer: RingBuffer
        if let segment = try sharedSegment(opts, length: shape[0], rowShape: rowShape, dtype: dtype, double: double) {
            buffer = try RingBuffer(sharedMemory: segment, length: shape[0], rowShape: rowShape, dtype: dtype, double: double,
                                    fill: opts.fill, axisOrder: try opts.axisOrder())
        } else {
            buffer = try RingBuffer(length: shape[0], rowShape: rowShape, dtype: dtype, double: double, fill: opts.fill,
                                    axisOrder: try opts.axisOrder())
        }
        out.pointee = HandleRegistry.register(buffer)
    }
}

/// The segment a shared ring lives in: a new one ("shmem": true) or a producer's ("shm_id").
private func sharedSegment(_ opts: StreamParams, length: Int, rowShape: [Int], dtype: DType, double: Bool) throws(PyAcqError) -> SharedMemory? {
    let size = try RingBuffer.sharedByteCount(length: length, rowShape: rowShape, dtype: dtype, double: double)
    switch opts["shm_id"] {
    case .string(let name)?:
        let path = name.contains("/") ? name : SharedMemory.directory + "/" + name
        return try SharedMemory(opening: path, size: size)
    case nil, .null?:
        return try opts.bool("shmem", default: false) ? try SharedMemory(creating: size) : nil
    default:
        throw PyAcqError(.badParams, "ring buffer \"shm_id\" must be the name of a shared segment (a string)")
    }
}

@c @implementation
public func pyacq_ringbuffer_shm_id(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let out = try required(out, "shm_id_out")
        guard let segment = try ring(h).sharedMemory else { out.pointee = nil; return }
        try returnString(segment.path, out)
    }
}

@c @implementation
public func pyacq_ringbuffer_new_chunk(_ h: OpaquePointer?, _ data: UnsafeRawPointer?, _ dtype: UnsafePointer<CChar>?,
                                       _ ndim: Int32, _ shape: UnsafePointer<Int64>?, _ strides: UnsafePointer<Int64>?,
                                       _ index: Int64) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let buffer = try ring(h)
        let chunk = try callerArray(data: data, dtype: dtype, defaultDType: buffer.dtype, ndim: ndim, shape: shape, strides: strides)
        try buffer.newChunk(chunk, index: index < 0 ? nil : Int(index))
    }
}

@c @implementation
public func pyacq_ringbuffer_get_data(_ h: OpaquePointer?, _ start: Int64, _ stop: Int64,
                                      _ first: UnsafeMutablePointer<pyacq_view>?, _ second: UnsafeMutablePointer<pyacq_view>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let buffer = try ring(h)
        let firstOut = try required(first, "first")
        let (a, b) = try buffer.pieces(start: Int(start), stop: Int(stop))
        if b != nil && second == nil {
            throw PyAcqError(.index, "samples [\(start), \(stop)) cross the end of this single ring; pass `second` or use pyacq_ringbuffer_read")
        }
        try fill(firstOut, with: a)
        if let second {
            let empty = ArrayView(base: a.base, dtype: buffer.dtype, shape: [0] + buffer.rowShape, strides: a.strides)
            try fill(second, with: b ?? empty)
        }
    }
}

@c @implementation
public func pyacq_ringbuffer_read(_ h: OpaquePointer?, _ start: Int64, _ stop: Int64, _ destination: UnsafeMutableRawPointer?,
                                  _ size: Int) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let buffer = try ring(h)
        let dst = try required(destination, "destination")
        try buffer.read(start: Int(start), stop: Int(stop), into: dst, capacity: size)
    }
}

@c @implementation
public func pyacq_ringbuffer_index(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    abiCall { () throws(PyAcqError) in try required(out, "index_out").pointee = Int64(try ring(h).index) }
}

@c @implementation
public func pyacq_ringbuffer_first_index(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    abiCall { () throws(PyAcqError) in try required(out, "index_out").pointee = Int64(try ring(h).firstIndex) }
}

@c @implementation
public func pyacq_ringbuffer_info(_ h: OpaquePointer?, _ length: UnsafeMutablePointer<Int64>?, _ frameNdim: UnsafeMutablePointer<Int32>?,
                                  _ frameShape: UnsafeMutablePointer<Int64>?, _ dtype: StringOut?,
                                  _ isDouble: UnsafeMutablePointer<Bool>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let buffer = try ring(h)
        length?.pointee = Int64(buffer.length)
        frameNdim?.pointee = Int32(buffer.rowShape.count)
        if let frameShape { for (i, n) in buffer.rowShape.enumerated() { frameShape[i] = Int64(n) } }
        isDouble?.pointee = buffer.isDouble
        if let dtype { try returnString(buffer.dtype.description, dtype) }
    }
}

@c @implementation
public func pyacq_ringbuffer_reset_index(_ h: OpaquePointer?) -> Int32 {
    abiCall { () throws(PyAcqError) in try ring(h).resetIndex() }
}

@c @implementation
public func pyacq_ringbuffer_destroy(_ h: OpaquePointer?) { HandleRegistry.release(h) }
