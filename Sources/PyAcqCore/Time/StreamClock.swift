#if canImport(Glibc)
import Glibc
#endif

/// The clock chunks are stamped with: the process's monotonic clock (CLOCK_MONOTONIC, the clock
/// behind Python's `time.perf_counter` on Linux, so RPC `measure_clock_diff` compares the same
/// clocks), in seconds.
///
/// Test knob: `PYACQ_CLOCK_OFFSET_NS` (integer nanoseconds, may be negative) is added to every
/// reading of this process, so tests can give two processes on one host different clocks and
/// check that the offset estimator finds the difference. Leave it unset in production.
public enum StreamClock {
    /// The injected offset, read once per process.
    public static let injectedOffset: Double = {
        guard let text = environmentVariable("PYACQ_CLOCK_OFFSET_NS"), let ns = Int64(text) else { return 0 }
        return Double(ns) * 1e-9
    }()

    /// Seconds on this process's stream clock.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9 + injectedOffset
    }
}
