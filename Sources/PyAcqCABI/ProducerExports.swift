import CPyAcqHeader
import PyAcqCore

// Zero-copy production behind pyacq_output_reserve / pyacq_output_commit: the producer writes
// a chunk straight into the shared ring (or into the message that is sent) instead of into a
// buffer of its own that pyacq_output_send would copy.

@c @implementation
public func pyacq_output_reserve(_ h: OpaquePointer?, _ rows: Int64, _ index: Int64,
                                 _ dataOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                                 _ nbytesOut: UnsafeMutablePointer<Int64>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try HandleRegistry.resolve(h, as: OutputStream.self, "output stream")
        let dataOut = try required(dataOut, "data_out")
        let reservation = try stream.reserve(rows: Int(rows), index: index < 0 ? nil : Int(index))
        dataOut.pointee = reservation.data
        nbytesOut?.pointee = Int64(reservation.byteCount)
    }
}

@c @implementation
public func pyacq_output_commit(_ h: OpaquePointer?) -> Int32 {
    abiCall { () throws(PyAcqError) in try HandleRegistry.resolve(h, as: OutputStream.self, "output stream").commit() }
}
