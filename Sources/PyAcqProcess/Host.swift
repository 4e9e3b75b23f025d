import PyAcqCore
import PyAcqRPC

/// Spawns NodeGroup processes on one machine (PROTOCOL §7.3) and watches them: a child that
/// dies is reported to its Manager, and children whose Manager vanished are shut down.
public final class Host: RemoteObject, @unchecked Sendable {
    public let name: String
    private let server: RPCServer
    private let lock = Lock()
    private var children: [Child] = []
    private var poller: PosixThread?
    private var polling = false

    final class Child {
        let name: String
        let spawner: ProcessSpawner
        let nodeGroup: ObjectProxy
        let manager: Value
        var managerMisses = 0
        init(name: String, spawner: ProcessSpawner, nodeGroup: ObjectProxy, manager: Value) {
            self.name = name
            self.spawner = spawner
            self.nodeGroup = nodeGroup
            self.manager = manager
        }
    }

    /// A Host publishes itself as `host` on `server`; with `pollChildren` it checks its
    /// children every 250 ms.
    public init(name: String, server: RPCServer, pollChildren: Bool = true) {
        self.name = name
        self.server = server
        server.publish("host", object: self)
        if pollChildren { startPolling() }
    }

    public var remoteTypeString: String { "<class 'pyacq.core.host.Host'>" }
    public var selfProxy: Value { server.proxyValue(for: self) }

    /// The bind address for children: this host's interface with any port.
    var childAddress: String {
        guard let colon = server.address.lastIndex(of: ":") else { return "tcp://127.0.0.1:*" }
        return String(server.address[..<colon]) + ":*"
    }

    /// Spawns a NodeGroup process named `name` (the sequence of PROTOCOL §7.3): the Swift
    /// `pyacq-nodegroup`, or with `python=True` a Python node group — libpyacq's Python
    /// NodeGroup, which also hosts Python node types and, with `qt=True`, Qt widgets (viewers).
    /// `qt` alone is pyacq's default on every call, so it does not choose the process kind.
    public func createNodeGroup(_ name: String, manager: Value, options: ValueMap) throws(PyAcqError) -> ObjectProxy {
        guard lock.withLock({ !children.contains { $0.name == name && $0.spawner.isRunning } }) else {
            throw PyAcqError(.badParams, "a node group named '\(name)' already runs on host '\(self.name)'", exceptionType: "KeyError")
        }
        var logAddress: String?
        switch options["log_addr"] {
        case .string(let s)?: logAddress = s
        case .bytes(let b)?: logAddress = String(decoding: b, as: UTF8.self)
        default: logAddress = nil
        }
        let python = options["python"]?.boolValue ?? false
        let qt = python && (options["qt"]?.boolValue ?? false)
        let spawner = try ProcessSpawner(
            name: name,
            executable: options["executable"]?.stringValue ?? (python ? ProcessSpawner.pythonExecutable : ProcessSpawner.defaultExecutable),
            module: python ? ProcessSpawner.pythonBootstrapModule : "pyacq.core.rpc.bootstrap",
            address: childAddress, logAddress: logAddress, logLevel: options["log_level"]?.intValue ?? 30, qt: .bool(qt))
        do throws(PyAcqError) {
            let client = try RPCClient.forThread(spawner.address)
            guard let module = try client.importModule(python ? "libpyacq.nodegroup" : "pyacq.core.nodegroup").proxy,
                  let group = try module.attribute("NodeGroup").invoke([], ["host": selfProxy, "manager": manager]).proxy else {
                throw PyAcqError(.remote, "the child of '\(name)' did not return a NodeGroup proxy")
            }
            try client.setItem("nodegroup", group.wireValue)
            lock.withLock { children.append(Child(name: name, spawner: spawner, nodeGroup: group, manager: manager)) }
            Logging.info("host \(self.name): node group '\(name)' running at \(spawner.address)")
            return group
        } catch {
            spawner.kill()
            throw error
        }
    }

    /// Stops every child: politely (close), or by force.
    public func closeAllNodeGroups(force: Bool = false, closeRequested: Bool = false) {
        let all = lock.withLock { () -> [Child] in defer { children = [] }; return children }
        for child in all { force ? child.spawner.kill() : child.spawner.stop(timeoutMs: 3000, closeRequested: closeRequested) }
    }

    /// One polling pass: reports dead children to their managers (fire-and-forget) and stops
    /// children whose manager no longer answers.
    public func checkChildren() {
        let all = lock.withLock { children }
        for child in all {
            if !child.spawner.isRunning {
                child.spawner.kill()
                lock.withLock { children.removeAll { $0 === child } }
                Logging.warning("host \(name): node group '\(child.name)' exited with code \(child.spawner.exitCode ?? -1)")
                // A killed child could not remove its shared rings: they go now.
                SharedMemory.sweepOrphans()
                RPCClient.markServerGone(child.spawner.address)
                if case .proxy(let manager) = child.manager {
                    try? ObjectProxy(manager).attribute("nodegroup_closed").call([child.nodeGroup.wireValue], mode: .off)
                }
                continue
            }
            guard case .proxy(let manager) = child.manager else { continue }
            let alive = (try? RPCClient.forThread(manager.rpcAddress, connectTimeoutMs: 300).ping(timeoutMs: 300)) != nil
            child.managerMisses = alive ? 0 : child.managerMisses + 1
            if child.managerMisses >= 3 {
                Logging.warning("host \(name): manager of '\(child.name)' vanished; closing it")
                child.spawner.stop(timeoutMs: 2000)
                lock.withLock { children.removeAll { $0 === child } }
            }
        }
    }

    private func startPolling() {
        polling = true
        poller = PosixThread(name: "host-poll") { [weak self] in
            while let host = self, host.lock.withLock({ host.polling }) {
                host.checkChildren()
                sleepSeconds(0.25)
            }
        }
    }

    public func stopPolling() {
        lock.withLock { polling = false }
        poller?.join()
        poller = nil
    }

    public var childCount: Int { lock.withLock { children.count } }
    public var childPids: [Int32] { lock.withLock { children.map(\.spawner.child.pid) } }
    public func childPid(named name: String) -> Int32? { lock.withLock { children.first { $0.name == name }?.spawner.child.pid } }

    static let remoteInterface: RemoteInterface<Host> = {
        var i = RemoteInterface<Host>()
        i.method("create_nodegroup") { host, call throws(PyAcqError) in
            let name = try call.string(0, "name")
            var options = call.kwargs
            let manager = options["manager"] ?? (call.args.count > 1 ? call.args[1] : .null)
            options["manager"] = nil
            return .value(try host.createNodeGroup(name, manager: manager, options: options).wireValue)
        }
        i.method("close_all_nodegroups") { host, call throws(PyAcqError) in
            host.closeAllNodeGroups(force: try call.bool(0, "force", default: false))
            return .none
        }
        i.method("check_spawners") { host, _ throws(PyAcqError) in host.checkChildren(); return .none }
        i.attribute("name") { host throws(PyAcqError) in .value(.string(host.name)) }
        return i
    }()

    public func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? {
        try Self.remoteInterface.lookup(name, on: self)
    }
}
