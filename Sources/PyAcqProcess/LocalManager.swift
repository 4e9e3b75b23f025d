import PyAcqCore
import PyAcqRPC

/// The Manager of a program that builds a graph: either in this process (served by an RPC
/// thread of its own) or in a spawned `manager_proc` child, always with a log printer for the
/// node groups' records. Both the C ABI and `pyacq demo` use it.
public final class LocalManager: @unchecked Sendable {
    public enum Mode: String { case inProcess = "local", childProcess = "rpc" }

    /// The Manager as its peers see it.
    public let proxy: ObjectProxy
    /// The Manager object itself, in `.inProcess` mode.
    public let manager: Manager?
    private let server: RPCServer?
    private let child: ProcessSpawner?
    private let logs: LogPrinter
    private let lock = Lock()
    private var closed = false

    public init(mode: Mode, timeoutMs: Int = RPCClient.defaultTimeoutMs) throws(PyAcqError) {
        PyAcqRuntime.bootstrap()
        let printer = try LogPrinter()
        switch mode {
        case .inProcess:
            let server = try RPCServer()
            let manager = Manager(server: server, logAddress: printer.address)
            server.startThread(name: "manager")
            self.server = server
            self.manager = manager
            child = nil
            proxy = ObjectProxy(server.proxy(for: .object(manager)))
        case .childProcess:
            let child = try ProcessSpawner(name: "manager_proc", logAddress: printer.address, timeoutMs: timeoutMs)
            do throws(PyAcqError) {
                let module = try RPCClient.forThread(child.address).importModule("pyacq.core.manager").proxy
                guard let proxy = try module?.attribute("Manager").invoke([], ["log_addr": .string(printer.address)], timeoutMs: timeoutMs).proxy else {
                    throw PyAcqError(.remote, "the manager process did not create a Manager")
                }
                self.proxy = proxy
            } catch {
                child.kill()
                printer.stop()
                throw error
            }
            self.child = child
            server = nil
            manager = nil
        }
        logs = printer
    }

    public var isClosed: Bool { lock.withLock { closed } }

    /// Closes every node group, then the manager's server or process and the log printer.
    /// Each peer gets at most `timeoutMs`. Idempotent.
    public func close(timeoutMs: Int = 5000) {
        guard lock.withLock({ () -> Bool in defer { closed = true }; return !closed }) else { return }
        if let manager {
            manager.closeAllNodeGroups()
            manager.defaultHost.stopPolling()
        } else {
            _ = try? proxy.attribute("close").invoke(timeoutMs: timeoutMs)
        }
        server?.stop(timeoutMs: timeoutMs)
        child?.stop()
        logs.stop()
    }
}
