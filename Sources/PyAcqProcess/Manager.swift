import PyAcqCore
import PyAcqRPC

/// Creates and tracks node groups across hosts (PROTOCOL §7.2). Runs inside an RPC server's
/// process, which also holds its built-in local Host.
public final class Manager: RemoteObject, @unchecked Sendable {
    private let server: RPCServer
    public let defaultHost: Host
    private let lock = Lock()
    private var hosts: [(address: String, proxy: ObjectProxy)] = []
    private var groups: [(name: String, proxy: ObjectProxy)] = []
    private var closedGroups: [ObjectProxy] = []
    public let logAddress: String?
    public let logLevel: Int

    public init(server: RPCServer, logAddress: String? = nil, logLevel: Int = 30) {
        self.server = server
        self.logAddress = logAddress
        self.logLevel = logLevel
        defaultHost = Host(name: ProcessNames.host, server: server)
        server.publish("manager", object: self)
    }

    public var remoteTypeString: String { "<class 'pyacq.core.manager.Manager'>" }
    public var selfProxy: Value { server.proxyValue(for: self) }

    /// A proxy to the Host served at `address` (cached).
    public func host(at address: String) throws(PyAcqError) -> ObjectProxy {
        if let known = lock.withLock({ hosts.first { $0.address == address }?.proxy }) { return known }
        guard let proxy = try RPCClient.forThread(address).getItem("host").proxy else {
            throw PyAcqError(.remote, "the server at \(address) publishes no host", exceptionType: "KeyError")
        }
        lock.withLock { hosts.append((address, proxy)) }
        return proxy
    }

    /// Creates a node group on `host` (nil: this process's built-in host; an address; or a
    /// Host proxy).
    public func createNodeGroup(name: String?, host: Value, options: ValueMap) throws(PyAcqError) -> ObjectProxy {
        let groupName = name ?? "nodegroup_\(lock.withLock { groups.count })"
        guard lock.withLock({ !groups.contains { $0.name == groupName } }) else {
            throw PyAcqError(.badParams, "a node group named '\(groupName)' already exists", exceptionType: "KeyError")
        }
        var opts = options
        if opts["log_addr"] == nil, let logAddress { opts["log_addr"] = .bytes(Array(logAddress.utf8)) }
        if opts["log_level"] == nil { opts["log_level"] = .int(logLevel) }
        let group: ObjectProxy
        switch host {
        case .null:
            group = try defaultHost.createNodeGroup(groupName, manager: selfProxy, options: opts)
        case .string(let address):
            group = try remoteCreate(try self.host(at: address), groupName, opts)
        case .proxy(let ref) where ref.rpcAddress == server.address:
            group = try defaultHost.createNodeGroup(groupName, manager: selfProxy, options: opts)
        case .proxy(let ref):
            group = try remoteCreate(ObjectProxy(ref), groupName, opts)
        default:
            throw PyAcqError(.invalidArgument, "host must be None, an address or a Host proxy", exceptionType: "TypeError")
        }
        lock.withLock { groups.append((groupName, group)) }
        return group
    }

    private func remoteCreate(_ host: ObjectProxy, _ name: String, _ options: ValueMap) throws(PyAcqError) -> ObjectProxy {
        var kwargs = options
        kwargs["manager"] = selfProxy
        guard let group = try host.attribute("create_nodegroup").invoke([.string(name)], kwargs, timeoutMs: 30_000).proxy else {
            throw PyAcqError(.remote, "host did not return a NodeGroup proxy")
        }
        return group
    }

    public var nodeGroups: [ObjectProxy] { lock.withLock { groups.map(\.proxy) } }
    public var deadNodeGroups: [ObjectProxy] { lock.withLock { closedGroups } }

    /// Called by a Host when a node group's process ended.
    public func nodeGroupClosed(_ group: ObjectProxy) {
        lock.withLock {
            groups.removeAll { $0.proxy == group }
            closedGroups.append(group)
        }
        RPCClient.markServerGone(group.address)
        Logging.warning("node group at \(group.address) exited")
    }

    public func forEachGroup(_ method: String) throws(PyAcqError) {
        for group in nodeGroups { _ = try group.attribute(method).invoke() }
    }

    /// Closes every node group: `close()` to each (fire-and-forget), then the local children are
    /// waited for and killed if they do not exit.
    public func closeAllNodeGroups() {
        let all = lock.withLock { () -> [ObjectProxy] in defer { groups = [] }; return groups.map(\.proxy) }
        for group in all { try? group.attribute("close").call(mode: .off) }
        defaultHost.closeAllNodeGroups(closeRequested: true)
    }

    static let remoteInterface: RemoteInterface<Manager> = {
        var i = RemoteInterface<Manager>()
        i.method("get_host") { m, call throws(PyAcqError) in
            let address: String
            switch try call.required(0, "addr") {
            case .string(let s): address = s
            case .bytes(let b): address = String(decoding: b, as: UTF8.self)
            default: throw PyAcqError(.invalidArgument, "get_host() needs an address", exceptionType: "TypeError")
            }
            return .value(try m.host(at: address).wireValue)
        }
        i.method("add_host") { m, call throws(PyAcqError) in .value(try m.host(at: try call.string(0, "addr")).wireValue) }
        i.method("list_hosts") { m, _ throws(PyAcqError) in  // (as pyacq: the hosts reached by get_host, not the built-in one)
            .value(.array(m.lock.withLock { m.hosts.map(\.proxy.wireValue) }))
        }
        i.method("create_nodegroup") { m, call throws(PyAcqError) in
            var options = call.kwargs
            let name = (options["name"] ?? call.argument(0, "name"))?.stringValue
            let host = options["host"] ?? (call.args.count > 1 ? call.args[1] : .null)
            options["name"] = nil
            options["host"] = nil
            return .value(try m.createNodeGroup(name: name, host: host, options: options).wireValue)
        }
        i.method("list_nodegroups") { m, _ throws(PyAcqError) in .value(.array(m.nodeGroups.map(\.wireValue))) }
        i.method("nodegroup_closed") { m, call throws(PyAcqError) in
            guard case .proxy(let ref) = try call.required(0, "nodegroup") else { return .none }
            m.nodeGroupClosed(ObjectProxy(ref))
            return .none
        }
        i.method("start_all_nodes") { m, _ throws(PyAcqError) in try m.forEachGroup("start_all_nodes"); return .none }
        i.method("stop_all_nodes") { m, _ throws(PyAcqError) in try m.forEachGroup("stop_all_nodes"); return .none }
        i.method("close_all_nodegroups") { m, _ throws(PyAcqError) in m.closeAllNodeGroups(); return .none }
        i.method("close") { m, _ throws(PyAcqError) in m.closeAllNodeGroups(); return .none }
        i.method("get_logger_info") { m, _ throws(PyAcqError) in
            .value(.array([m.logAddress.map { .bytes(Array($0.utf8)) } ?? .null, .int(m.logLevel)]))
        }
        i.attribute("default_host") { m throws(PyAcqError) in .object(m.defaultHost) }
        return i
    }()

    public func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? {
        try Self.remoteInterface.lookup(name, on: self)
    }
}
