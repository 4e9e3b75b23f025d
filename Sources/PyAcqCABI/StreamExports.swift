import CPyAcqHeader
import PyAcqCore

// Output and input streams behind pyacq_output_* and pyacq_input_*.

public typealias StringOut = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

private func output(_ h: OpaquePointer?) throws(PyAcqError) -> OutputStream {
    try HandleRegistry.resolve(h, as: OutputStream.self, "output stream")
}

private func input(_ h: OpaquePointer?) throws(PyAcqError) -> InputStream {
    try HandleRegistry.resolve(h, as: InputStream.self, "input stream")
}

// MARK: output

@c @implementation
public func pyacq_output_create(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ spec: UnsafePointer<CChar>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let out = try required(out, "out")
        let specMap = try jsonObject(spec, "output spec")
        out.pointee = HandleRegistry.register(OutputStream(spec: specMap))
    }
}

@c @implementation
public func pyacq_output_configure(_ h: OpaquePointer?, _ params: UnsafePointer<CChar>?) -> Int32 {
    abiCall { () throws(PyAcqError) in try output(h).configure(try jsonObject(params, "stream params")) }
}

@c @implementation
public func pyacq_output_params(_ h: OpaquePointer?, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try output(h)
        guard stream.isConfigured else { throw PyAcqError(.state, "output stream is not configured") }
        try returnJSON(stream.params.map, out)
    }
}

@c @implementation
public func pyacq_output_send(_ h: OpaquePointer?, _ data: UnsafeRawPointer?, _ dtype: UnsafePointer<CChar>?, _ ndim: Int32,
                              _ shape: UnsafePointer<Int64>?, _ strides: UnsafePointer<Int64>?, _ index: Int64) -> Int32 {
    abiCall { () throws(PyAcqError) in
        try sendCallerChunk(try output(h), data: data, dtype: dtype, ndim: ndim, shape: shape, strides: strides,
                            index: index, timestamp: nil)
    }
}

/// pyacq_output_send(_stamped)'s one path: a C-order chunk of the stream's layout goes out
/// without building a view; anything else is checked and sent as a view.
func sendCallerChunk(_ stream: OutputStream, data: UnsafeRawPointer?, dtype: UnsafePointer<CChar>?, ndim: Int32,
                     shape: UnsafePointer<Int64>?, strides: UnsafePointer<Int64>?, index: Int64, timestamp: Double?) throws(PyAcqError) {
    let chunkIndex = index < 0 ? nil : Int(index)
    if let shape, ndim >= 1, ndim <= PYACQ_MAX_NDIM,
       try stream.sendCallerChunk(data, dtype: dtype, ndim: Int(ndim), shape: shape, strides: strides,
                                  index: chunkIndex, timestamp: timestamp) {
        return
    }
    let chunk = try callerArray(data: data, dtype: dtype, defaultDType: stream.streamDType, ndim: ndim,
                                shape: shape, strides: strides)
    try stream.send(chunk, index: chunkIndex, timestamp: timestamp)
}

@c @implementation
public func pyacq_output_last_index(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    abiCall { () throws(PyAcqError) in try required(out, "index_out").pointee = Int64(try output(h).lastIndex) }
}

@c @implementation
public func pyacq_output_subscriber_count(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    abiCall { () throws(PyAcqError) in try required(out, "count_out").pointee = Int32(try output(h).subscriberCount) }
}

@c @implementation
public func pyacq_output_wait_subscribers(_ h: OpaquePointer?, _ count: Int32, _ timeoutMs: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in
        guard try output(h).waitForSubscribers(Int(count), timeoutMs: Int(timeoutMs)) else {
            throw PyAcqError(.timeout, "fewer than \(count) consumer(s) subscribed within \(timeoutMs) ms")
        }
    }
}

@c @implementation
public func pyacq_output_reset_index(_ h: OpaquePointer?) -> Int32 {
    abiCall { () throws(PyAcqError) in try output(h).resetIndex() }
}

@c @implementation
public func pyacq_output_close(_ h: OpaquePointer?) -> Int32 {
    abiCall { () throws(PyAcqError) in try output(h).close() }
}

@c @implementation
public func pyacq_output_destroy(_ h: OpaquePointer?) {
    (HandleRegistry.release(h) as? OutputStream)?.close()
}

// MARK: input

@c @implementation
public func pyacq_input_create(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ spec: UnsafePointer<CChar>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let out = try required(out, "out")
        let specMap = try jsonObject(spec, "input spec")
        out.pointee = HandleRegistry.register(InputStream(spec: specMap))
    }
}

@c @implementation
public func pyacq_input_connect(_ h: OpaquePointer?, _ params: UnsafePointer<CChar>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try input(h)
        guard params != nil else { throw PyAcqError(.invalidArgument, "params_json must not be NULL") }
        try stream.connect(try jsonObject(params, "stream params"))
    }
}

@c @implementation
public func pyacq_input_params(_ h: OpaquePointer?, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        guard let params = try input(h).params else { throw PyAcqError(.state, "input stream is not connected") }
        try returnJSON(params.map, out)
    }
}

@c @implementation
public func pyacq_input_poll(_ h: OpaquePointer?, _ timeoutMs: Int32, _ ready: UnsafeMutablePointer<Bool>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try input(h)
        let out = try required(ready, "ready")
        out.pointee = try stream.poll(timeoutMs: Int(timeoutMs))
    }
}

@c @implementation
public func pyacq_input_recv(_ h: OpaquePointer?, _ timeoutMs: Int32, _ indexOut: UnsafeMutablePointer<Int64>?,
                             _ viewOut: UnsafeMutablePointer<pyacq_view>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let chunk = try input(h).receive(timeoutMs: Int(timeoutMs), withData: viewOut != nil)
        if let viewOut {
            guard let data = chunk.data else { throw PyAcqError(.internalError, "received chunk has no data") }
            try fill(viewOut, with: data)
        }
        indexOut?.pointee = Int64(chunk.index)
    }
}

@c @implementation
public func pyacq_input_recv_into(_ h: OpaquePointer?, _ timeoutMs: Int32, _ buffer: UnsafeMutableRawPointer?, _ size: Int,
                                  _ indexOut: UnsafeMutablePointer<Int64>?, _ viewOut: UnsafeMutablePointer<pyacq_view>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try input(h)
        let chunk = try stream.receive(timeoutMs: Int(timeoutMs), withData: true)
        guard let data = chunk.data else { throw PyAcqError(.internalError, "received chunk has no data") }
        try checkedViewDims(data)
        guard data.byteCount <= size else {
            throw PyAcqError(.bufferTooSmall, "chunk of shape \(data.shape) needs \(data.byteCount) bytes, the buffer holds \(size)")
        }
        let destination = try required(buffer, "buffer")
        data.copyCOrder(to: destination)
        indexOut?.pointee = Int64(chunk.index)
        if let viewOut {
            try fill(viewOut, with: ArrayView(base: destination, dtype: data.dtype, shape: data.shape))
        }
    }
}

@c @implementation
public func pyacq_input_empty_queue(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let n = try input(h).emptyQueue()
        out?.pointee = Int64(n)
    }
}

@c @implementation
public func pyacq_input_set_buffer(_ h: OpaquePointer?, _ options: UnsafePointer<CChar>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try input(h)
        let opts = StreamParams(try jsonObject(options, "buffer options"))
        let size = try opts.int("size", default: 0)
        guard size > 0 else { throw PyAcqError(.badParams, "buffer options need \"size\" > 0 (ring length in samples)") }
        try stream.setBuffer(size: size, double: try opts.bool("double", default: true),
                             axisOrder: try opts.axisOrder(), fill: opts["fill"])
    }
}

@c @implementation
public func pyacq_input_buffer(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try input(h)
        let out = try required(out, "buffer_out")
        guard let buffer = stream.buffer else {
            throw PyAcqError(.state, "this input has no buffer; call pyacq_input_set_buffer first (or connect to a sharedmem stream)")
        }
        out.pointee = HandleRegistry.register(buffer)
    }
}

@c @implementation
public func pyacq_input_reset_buffer_index(_ h: OpaquePointer?) -> Int32 {
    abiCall { () throws(PyAcqError) in try input(h).resetBufferIndex() }
}

@c @implementation
public func pyacq_input_stats(_ h: OpaquePointer?, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let s = try input(h).statistics
        try returnJSON([
            "chunks_received": .int(s.chunksReceived), "samples_received": .int(s.samplesReceived),
            "samples_lost": .int(s.samplesLost), "malformed_messages": .int(s.malformedMessages),
            "last_error": .string(s.lastError),
        ], out)
    }
}

@c @implementation
public func pyacq_input_close(_ h: OpaquePointer?) -> Int32 {
    abiCall { () throws(PyAcqError) in try input(h).close() }
}

@c @implementation
public func pyacq_input_destroy(_ h: OpaquePointer?) {
    (HandleRegistry.release(h) as? InputStream)?.close()
}
