import CPyAcqHeader
import PyAcqCore
import PyAcqRPC

// Per-chunk timestamps and clock offsets behind the "Time" section of pyacq.h.

private func fill(_ out: UnsafeMutablePointer<pyacq_clock_offset>?, _ estimate: ClockOffsetEstimate) throws(PyAcqError) {
    try required(out, "out").pointee = pyacq_clock_offset(offset: estimate.offset, uncertainty: estimate.uncertainty,
                                                          round_trip: estimate.roundTrip, measured_at: estimate.measuredAt,
                                                          probes: Int32(clamping: estimate.probes))
}

/// NaN means "no explicit time".
private func explicitTime(_ t: Double) -> Double? { t.isNaN ? nil : t }

@c @implementation
public func pyacq_clock_now(_ out: UnsafeMutablePointer<Double>?) -> Int32 {
    abiCall { () throws(PyAcqError) in try required(out, "seconds_out").pointee = StreamClock.now() }
}

@c @implementation
public func pyacq_output_send_stamped(_ h: OpaquePointer?, _ data: UnsafeRawPointer?, _ dtype: UnsafePointer<CChar>?, _ ndim: Int32,
                                      _ shape: UnsafePointer<Int64>?, _ strides: UnsafePointer<Int64>?, _ index: Int64,
                                      _ timestamp: Double) -> Int32 {
    abiCall { () throws(PyAcqError) in
        try sendCallerChunk(try HandleRegistry.resolve(h, as: OutputStream.self, "output stream"), data: data, dtype: dtype,
                            ndim: ndim, shape: shape, strides: strides, index: index, timestamp: explicitTime(timestamp))
    }
}

@c @implementation
public func pyacq_output_commit_stamped(_ h: OpaquePointer?, _ timestamp: Double) -> Int32 {
    abiCall { () throws(PyAcqError) in
        try HandleRegistry.resolve(h, as: OutputStream.self, "output stream").commit(timestamp: explicitTime(timestamp))
    }
}

@c @implementation
public func pyacq_input_last_timestamp(_ h: OpaquePointer?, _ localOut: UnsafeMutablePointer<Double>?,
                                       _ rawOut: UnsafeMutablePointer<Double>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try HandleRegistry.resolve(h, as: InputStream.self, "input stream")
        guard let stamp = stream.lastTimestamp else {
            throw PyAcqError(.state, stream.receivesTimestamps ? "no stamped chunk received yet"
                                                               : "the producer does not stamp its chunks (an original pyacq output, or timestamps=false)")
        }
        localOut?.pointee = stamp.local
        rawOut?.pointee = stamp.raw
    }
}

@c @implementation
public func pyacq_input_clock_offset(_ h: OpaquePointer?, _ timeoutMs: Int32, _ out: UnsafeMutablePointer<pyacq_clock_offset>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try HandleRegistry.resolve(h, as: InputStream.self, "input stream")
        try fill(out, try stream.clockOffset(timeoutMs: timeoutMs < 0 ? 2000 : Int(timeoutMs)))
    }
}

@c @implementation
public func pyacq_rpc_client_clock_offset(_ h: OpaquePointer?, _ probes: Int32, _ timeoutMs: Int32,
                                          _ out: UnsafeMutablePointer<pyacq_clock_offset>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let handle = try HandleRegistry.resolve(h, as: ClientHandle.self, "RPC client")
        let timeout = timeoutMs < 0 ? RPCClient.defaultTimeoutMs : Int(timeoutMs)
        let client = try handle.client(connectTimeoutMs: min(timeout, 1000))
        try fill(out, try estimateClockOffset(client, probes: probes < 1 ? ClockOffsetEstimator.defaultProbes : Int(probes),
                                              timeoutMs: timeout))
    }
}
