#if canImport(Glibc)
import Glibc
#endif
import CPyAcqSupport

/// Every raw syscall of the core goes through here: errno becomes a PyAcqError naming the call
/// and EINTR is retried in one place.
enum Posix {
    static func errorText(_ code: Int32) -> String {
        guard let cstr = strerror(code) else { return "errno \(code)" }
        return String(cString: cstr)
    }

    static func check(_ what: @autoclosure () -> String, _ body: () -> Int32) throws(PyAcqError) -> Int32 {
        while true {
            let rc = body()
            if rc >= 0 { return rc }
            let err = pyacq_errno()
            if err == EINTR { continue }
            throw PyAcqError(.io, "\(what()): \(errorText(err))")
        }
    }

    static func environment(_ name: String) -> String? {
        guard let v = getenv(name) else { return nil }
        let s = String(cString: v)
        return s.isEmpty ? nil : s
    }

    /// The directory Python's tempfile module would choose first: where pyacq places and looks
    /// for shared-memory files.
    static var temporaryDirectory: String {
        for name in ["TMPDIR", "TEMP", "TMP"] {
            if let dir = environment(name), access(dir, W_OK) == 0 { return dir }
        }
        return "/tmp"
    }

    static func randomName(length: Int, alphabet: String) -> String {
        let chars = Array(alphabet)
        var rng = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in chars[Int.random(in: 0..<chars.count, using: &rng)] })
    }

    /// Monotonic seconds, for latency measurements across processes on one machine.
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

public func monotonicSeconds() -> Double { Posix.monotonicSeconds() }

/// An environment variable, nil when unset or empty.
public func environmentVariable(_ name: String) -> String? { Posix.environment(name) }
