#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore

/// The demo's deterministic test signal: channel c is a sine at (c + 1) × 3 Hz plus a small
/// per-sample ramp, so producer and consumer compute bit-identical float32 values.
struct DemoSignal {
    let channels: Int
    let sampleRate: Double

    func value(sample: Int, channel: Int) -> Float {
        let phase = 2 * Double.pi * Double(channel + 1) * 3 * Double(sample) / sampleRate
        return Float(sin(phase)) + Float(sample % 1000) * 1e-4
    }

    func chunk(from start: Int, rows: Int) -> NDArray {
        var values = [Float](repeating: 0, count: rows * channels)
        for r in 0..<rows {
            for c in 0..<channels { values[r * channels + c] = value(sample: start + r, channel: c) }
        }
        return NDArray(dtype: .float32, shape: [rows, channels], values: values)
    }
}

func sleepSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
