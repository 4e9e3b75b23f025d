import PyAcqCore
import PyAcqRPC
#if canImport(Glibc)
import Glibc
#endif

/// The nodes of one process (PROTOCOL §7.4). Created by a Host in a spawned process, or
/// directly in-process.
public final class NodeGroup: RemoteObject, @unchecked Sendable {
    public let host: Value
    public let manager: Value
    private var nodes: [Node] = []
    private let lock = Lock()
    /// Python node types and Qt widgets run in a Python node group spawned on first need.
    private var companion: PythonCompanion?
    private var pythonTypes: [String] = []
    weak var server: RPCServer?

    public init(host: Value = .null, manager: Value = .null, server: RPCServer? = nil) {
        self.host = host
        self.manager = manager
        self.server = server
        NodeGroup.registryLock.withLock { NodeGroup.live.append(Weak(self)) }
    }

    private struct Weak { weak var group: NodeGroup?; init(_ g: NodeGroup) { group = g } }
    nonisolated(unsafe) private static var live: [Weak] = []
    private static let registryLock = Lock()

    /// Closes the nodes of every node group of this process (a process ending).
    public static func closeAllInProcess() {
        let groups = registryLock.withLock { live.compactMap(\.group) }
        for group in groups { group.closeNodes() }
    }

    public var remoteTypeString: String { "<class 'pyacq.core.nodegroup.NodeGroup'>" }

    /// Creates a node of a registered type; `name` defaults to `<type>_<n>`.
    public func createNode(_ typeName: String, name: String? = nil) throws(PyAcqError) -> Node {
        let nodeName = name ?? "\(typeName)_\(lock.withLock { nodes.count })"
        let node = try NodeRegistry.create(typeName, name: nodeName)
        lock.withLock { nodes.append(node) }
        return node
    }

    public var nodeList: [Node] { lock.withLock { nodes } }

    public func startAll() throws(PyAcqError) { for node in nodeList where !node.isRunning && node.isInitialized { try node.start() } }
    public func stopAll() throws(PyAcqError) { for node in nodeList where node.isRunning { try node.stop() } }

    /// Stops and closes every node (the Python companion's too).
    public func closeNodes() {
        for node in nodeList { try? node.close() }
        let python = lock.withLock { () -> PythonCompanion? in defer { companion = nil }; return companion }
        python?.close()
    }

    /// The Python node group beside this one, spawned on first use.
    func pythonCompanion() throws(PyAcqError) -> PythonCompanion {
        if let existing = lock.withLock({ companion }) { return existing }
        let created = try PythonCompanion(host: host, manager: manager)
        lock.withLock { companion = created }
        return created
    }

    /// The companion's answer to `method`, or `empty` when there is no companion.
    func companionCall(_ method: String, or empty: Value) throws(PyAcqError) -> Value {
        guard let python = lock.withLock({ companion }) else { return empty }
        return try python.call(method)
    }

    static let remoteInterface: RemoteInterface<NodeGroup> = {
        var i = RemoteInterface<NodeGroup>()
        i.method("create_node") { group, call throws(PyAcqError) in
            let typeName = try call.string(0, "node_class")
            let name = call.kwargs["name"]?.stringValue ?? (call.args.count > 1 ? call.args[1].stringValue : nil)
            let pythonType = group.lock.withLock { group.pythonTypes.contains(typeName) || group.companion != nil }
            if NodeRegistry.names.contains(typeName) || !(pythonType || PythonCompanion.pythonOnlyTypes.contains(typeName)) {
                return .object(try group.createNode(typeName, name: name))  // (an unknown type: KeyError naming the known ones)
            }
            // A Python node type or a viewer: created in the Python companion.
            return .value(try group.pythonCompanion().call("create_node", call.args, call.kwargs))
        }
        i.method("list_node_types") { group, _ throws(PyAcqError) in
            let python = group.lock.withLock { group.pythonTypes }
            return .value(.array((NodeRegistry.names + python).map { .string($0) }))
        }
        i.method("register_node_type_from_module") { group, call throws(PyAcqError) in
            let modname = try call.string(0, "modname"), classname = try call.string(1, "classname")
            _ = try group.pythonCompanion().call("register_node_type_from_module", [.string(modname), .string(classname)])
            group.lock.withLock { if !group.pythonTypes.contains(classname) { group.pythonTypes.append(classname) } }
            return .none
        }
        i.method("add_node") { group, call throws(PyAcqError) in
            guard case .object(let object)? = try call.localEntity(try call.required(0, "node")), let node = object as? Node else {
                throw PyAcqError(.invalidArgument, "add_node() needs a node living in this process", exceptionType: "TypeError")
            }
            group.lock.withLock { if !group.nodes.contains(where: { $0 === node }) { group.nodes.append(node) } }
            return .none
        }
        i.method("remove_node") { group, call throws(PyAcqError) in
            if case .proxy(let ref) = try call.required(0, "node"), let python = group.lock.withLock({ group.companion }),
               ref.rpcAddress == python.group.address {
                return .value(try python.call("remove_node", [.proxy(ref)]))
            }
            guard case .object(let object)? = try call.localEntity(try call.required(0, "node")), let node = object as? Node else {
                throw PyAcqError(.invalidArgument, "remove_node() needs a node of this group", exceptionType: "TypeError")
            }
            guard !node.isRunning else { throw PyAcqError(.state, "cannot remove node '\(node.name)' while it is running; stop it first", exceptionType: "RuntimeError") }
            group.lock.withLock { group.nodes.removeAll { $0 === node } }
            return .none
        }
        i.method("list_nodes") { group, call throws(PyAcqError) in
            let own = call.server.map { server in group.nodeList.map { server.proxyValue(for: $0) } } ?? []
            return .value(.array(own + ((try group.companionCall("list_nodes", or: .array([]))).arrayValue ?? [])))
        }
        i.method("start_all_nodes") { group, _ throws(PyAcqError) in
            try group.startAll()
            _ = try group.companionCall("start_all_nodes", or: .null)
            return .none
        }
        i.method("stop_all_nodes") { group, _ throws(PyAcqError) in
            try group.stopAll()
            _ = try group.companionCall("stop_all_nodes", or: .null)
            return .none
        }
        i.method("any_node_running") { group, _ throws(PyAcqError) in
            let python = try group.companionCall("any_node_running", or: .bool(false))
            return .value(.bool(group.nodeList.contains { $0.isRunning } || python == .bool(true)))
        }
        i.method("close") { group, call throws(PyAcqError) in
            group.closeNodes()
            call.server?.closeAfterCurrentRequest()
            return .none
        }
        i.attribute("host") { group throws(PyAcqError) in .value(group.host) }
        i.attribute("pid") { _ throws(PyAcqError) in .value(.int(Int(getpid()))) }
        i.attribute("manager") { group throws(PyAcqError) in .value(group.manager) }
        i.attribute("nodes") { group throws(PyAcqError) in .value(.array(group.nodeList.map { .string($0.name) })) }
        return i
    }()

    public func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? {
        try Self.remoteInterface.lookup(name, on: self)
    }
}
