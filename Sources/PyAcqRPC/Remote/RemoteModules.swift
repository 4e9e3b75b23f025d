#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore

/// The module names `import` accepts (PROTOCOL §2.7). Only registered names exist: a peer can
/// never make this process run arbitrary code.
public enum RemoteModules {
    nonisolated(unsafe) private static var modules: [String: RemoteEntity] = ["time": .object(TimeModule())]
    private static let lock = Lock()

    public static func register(_ name: String, _ module: any RemoteObject) {
        lock.withLock { modules[name] = .object(module) }
    }

    public static func module(named name: String) -> RemoteEntity? { lock.withLock { modules[name] } }

    public static var names: [String] { lock.withLock { modules.keys.sorted() } }
}

/// A module-like object built from a dispatch table.
public final class RemoteModule: RemoteObject {
    public let name: String
    private let interface: RemoteInterface<RemoteModule>

    public init(name: String, interface: RemoteInterface<RemoteModule>) {
        self.name = name
        self.interface = interface
    }

    public var remoteTypeString: String { "<class 'module'>" }
    public func remoteAttribute(_ attribute: String) throws(PyAcqError) -> RemoteEntity? {
        if attribute == "__name__" { return .value(.string(name)) }
        return try interface.lookup(attribute, on: self)
    }
}

/// `time.perf_counter` and `time.time`, for the clock-offset measurement of §6.3.
final class TimeModule: RemoteObject {
    var remoteTypeString: String { "<class 'module'>" }
    func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? {
        switch name {
        case "perf_counter", "monotonic": return .method(RemoteMethod(name) { _ throws(PyAcqError) in .value(.double(StreamClock.now())) })
        case "time":
            return .method(RemoteMethod(name) { _ throws(PyAcqError) in
                var ts = timespec()
                clock_gettime(CLOCK_REALTIME, &ts)
                return .value(.double(Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9))
            })
        default: return nil
        }
    }
}
