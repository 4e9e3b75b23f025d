import PyAcqCore

/// What a device's acquisition thread has seen, readable as node attributes while it runs:
/// named counters and flags, the last error and the last few errors (each also logged).
final class DeviceStatus: @unchecked Sendable {
    private let lock = Lock()
    private var counters: [String: Int]
    private var flags: [String: Bool]
    private var errors: [String] = []
    private let source: String

    /// `counters` and `flags` name every attribute this status answers (all start at 0/false;
    /// `errors` is always one of them).
    init(source: String, counters: [String], flags: [String] = []) {
        self.source = source
        self.counters = Dictionary(uniqueKeysWithValues: Set(counters + ["errors"]).map { ($0, 0) })
        self.flags = Dictionary(uniqueKeysWithValues: flags.map { ($0, false) })
    }

    func add(_ counter: String, _ n: Int = 1) { lock.withLock { counters[counter, default: 0] += n } }
    func set(_ counter: String, _ value: Int) { lock.withLock { counters[counter] = value } }
    func set(_ flag: String, _ value: Bool) { lock.withLock { flags[flag] = value } }
    func count(_ counter: String) -> Int { lock.withLock { counters[counter] ?? 0 } }

    /// Records and logs an error; the acquisition goes on.
    func error(_ message: String) {
        Diagnostics.report(30, "\(source): \(message)")
        lock.withLock {
            counters["errors", default: 0] += 1
            errors = Array((errors + [message]).suffix(10))
        }
    }

    func reset() {
        lock.withLock {
            for key in counters.keys { counters[key] = 0 }
            for key in flags.keys { flags[key] = false }
            errors = []
        }
    }

    func attribute(_ name: String) -> Value? {
        lock.withLock {
            if let n = counters[name] { return .int(n) }
            if let b = flags[name] { return .bool(b) }
            switch name {
            case "last_error": return .string(errors.last ?? "")
            case "recent_errors": return .array(errors.map { .string($0) })
            default: return nil
            }
        }
    }
}
