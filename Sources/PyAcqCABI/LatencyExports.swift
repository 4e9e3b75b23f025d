import CPyAcqHeader
import PyAcqCore

// Closed-loop latency knobs of an input (issue 17): busy-wait before sleeping, and which
// wake-up path a sharedmem input uses.

@c @implementation
public func pyacq_input_set_spin(_ h: OpaquePointer?, _ spinUs: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try HandleRegistry.resolve(h, as: InputStream.self, "input stream")
        guard spinUs >= 0, spinUs <= 1_000_000 else {
            throw PyAcqError(.invalidArgument, "spin_us must be in 0...1000000 microseconds, got \(spinUs)")
        }
        stream.spinMicroseconds = Int(spinUs)
    }
}

@c @implementation
public func pyacq_input_wakeup_mode(_ h: OpaquePointer?, _ modeOut: UnsafeMutablePointer<Int32>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try HandleRegistry.resolve(h, as: InputStream.self, "input stream")
        let out = try required(modeOut, "mode_out")
        guard stream.isConnected else { throw PyAcqError(.state, "input stream is not connected; call connect() first") }
        out.pointee = stream.usesSocketFreeWakeup ? 1 : 0
    }
}
