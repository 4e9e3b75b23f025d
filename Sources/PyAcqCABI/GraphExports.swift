import CPyAcqHeader
import PyAcqCore
import PyAcqProcess
import PyAcqRPC

// Managers, hosts, node groups, nodes and their streams behind pyacq_manager_*, pyacq_host_*,
// pyacq_nodegroup_*, pyacq_node_* and pyacq_remote_stream_*. Each kind has a handle class of its
// own, so the registry refuses a node where a node group is expected.

final class ManagerHandle: NamedHandle {
    static let handleKind = "manager"
    let manager: LocalManager
    init(_ manager: LocalManager) { self.manager = manager }
}

/// A proxy of one kind of graph object.
class TypedProxyHandle: NamedHandle {
    class var handleKind: String { "proxy" }
    let proxy: ObjectProxy
    required init(_ proxy: ObjectProxy) { self.proxy = proxy }
}
final class HostHandle: TypedProxyHandle { override class var handleKind: String { "host" } }
final class NodeGroupHandle: TypedProxyHandle { override class var handleKind: String { "node group" } }
final class NodeHandle: TypedProxyHandle { override class var handleKind: String { "node" } }
final class RemoteStreamHandle: TypedProxyHandle { override class var handleKind: String { "stream" } }

private func manager(_ h: OpaquePointer?) throws(PyAcqError) -> LocalManager {
    let m = try HandleRegistry.resolve(h, as: ManagerHandle.self, "manager").manager
    guard !m.isClosed else { throw PyAcqError(.closed, "this manager is closed") }
    return m
}

private func typed<H: TypedProxyHandle>(_ h: OpaquePointer?, _ type: H.Type) throws(PyAcqError) -> ObjectProxy {
    try HandleRegistry.resolve(h, as: type, type.handleKind).proxy
}

/// Registers `result` (a proxy) as a new handle of kind `H`.
private func hand<H: TypedProxyHandle>(_ result: ObjectProxyOrValue, as type: H.Type, _ out: UnsafeMutablePointer<OpaquePointer?>?) throws(PyAcqError) {
    let out = try required(out, "\(type.handleKind) out-pointer")
    guard let proxy = result.proxy else { throw PyAcqError(.remote, "expected a proxy to a \(type.handleKind), got a value") }
    out.pointee = HandleRegistry.register(type.init(proxy))
}

/// A generic pyacq_proxy for a typed handle, and back (no message is sent).
private func asProxy<H: TypedProxyHandle>(_ h: OpaquePointer?, _ type: H.Type, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let proxy = try typed(h, type)
        try required(out, "proxy_out").pointee = HandleRegistry.register(ProxyHandle(proxy))
    }
}
private func fromProxy<H: TypedProxyHandle>(_ p: OpaquePointer?, _ type: H.Type, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let proxy = try HandleRegistry.resolve(p, as: ProxyHandle.self, "proxy").proxy
        try hand(.proxy(proxy), as: type, out)
    }
}

private func call(_ proxy: ObjectProxy, _ method: String, _ args: [Value] = [], _ kwargs: ValueMap = [:],
                  timeout: Int32) throws(PyAcqError) -> ObjectProxyOrValue {
    try proxy.attribute(method).invoke(args, kwargs, timeoutMs: Int(timeout))
}

// MARK: manager

@c @implementation
public func pyacq_manager_create(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ mode: UnsafePointer<CChar>?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let out = try required(out, "out")
        let name = mode == nil ? "local" : try string(mode, "mode")
        guard let kind = LocalManager.Mode(rawValue: name) else {
            throw PyAcqError(.invalidArgument, "manager mode must be \"local\" or \"rpc\", got \"\(name)\"")
        }
        out.pointee = HandleRegistry.register(ManagerHandle(try LocalManager(mode: kind, timeoutMs: Int(timeout))))
    }
}

@c @implementation
public func pyacq_manager_proxy(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let m = try manager(h)
        try required(out, "proxy_out").pointee = HandleRegistry.register(ProxyHandle(m.proxy))
    }
}

@c @implementation
public func pyacq_manager_add_host(_ h: OpaquePointer?, _ address: UnsafePointer<CChar>?, _ timeout: Int32,
                                   _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let m = try manager(h)
        try hand(try call(m.proxy, "get_host", [.string(try string(address, "address"))], timeout: timeout), as: HostHandle.self, out)
    }
}

@c @implementation
public func pyacq_manager_create_nodegroup(_ h: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ host: UnsafePointer<CChar>?,
                                           _ options: UnsafePointer<CChar>?, _ timeout: Int32,
                                           _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let m = try manager(h)
        var k = try jsonObject(options, "options_json", markers: .allowed)
        if name != nil { k["name"] = .string(try string(name, "name")) }
        if host != nil { k["host"] = .string(try string(host, "host_address")) }
        try hand(try call(m.proxy, "create_nodegroup", [], k, timeout: timeout), as: NodeGroupHandle.self, out)
    }
}

@c @implementation
public func pyacq_manager_list_nodegroups(_ h: OpaquePointer?, _ timeout: Int32, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let value = try call(try manager(h).proxy, "list_nodegroups", timeout: timeout).value ?? .array([])
        try returnWireJSON(value, out)
    }
}

@c @implementation
public func pyacq_manager_start_all_nodes(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in _ = try call(try manager(h).proxy, "start_all_nodes", timeout: timeout) }
}

@c @implementation
public func pyacq_manager_stop_all_nodes(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in _ = try call(try manager(h).proxy, "stop_all_nodes", timeout: timeout) }
}

@c @implementation
public func pyacq_manager_close(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in
        try HandleRegistry.resolve(h, as: ManagerHandle.self, "manager").manager.close(timeoutMs: Int(timeout))
    }
}

@c @implementation
public func pyacq_manager_destroy(_ h: OpaquePointer?) {
    (try? HandleRegistry.resolve(h, as: ManagerHandle.self, "manager"))?.manager.close()
    HandleRegistry.release(h)
}

// MARK: hosts

@c @implementation
public func pyacq_host_proxy(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 { asProxy(h, HostHandle.self, out) }

@c @implementation
public func pyacq_host_destroy(_ h: OpaquePointer?) { HandleRegistry.release(h) }

// MARK: node groups

@c @implementation
public func pyacq_nodegroup_create_node(_ h: OpaquePointer?, _ type: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?,
                                        _ timeout: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let group = try typed(h, NodeGroupHandle.self)
        var k = ValueMap()
        if name != nil { k["name"] = .string(try string(name, "node_name")) }
        try hand(try call(group, "create_node", [.string(try string(type, "type_name"))], k, timeout: timeout), as: NodeHandle.self, out)
    }
}

@c @implementation
public func pyacq_nodegroup_close(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in _ = try call(try typed(h, NodeGroupHandle.self), "close", timeout: timeout) }
}

@c @implementation
public func pyacq_nodegroup_proxy(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    asProxy(h, NodeGroupHandle.self, out)
}

@c @implementation
public func pyacq_nodegroup_from_proxy(_ p: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    fromProxy(p, NodeGroupHandle.self, out)
}

@c @implementation
public func pyacq_nodegroup_destroy(_ h: OpaquePointer?) { HandleRegistry.release(h) }

@c @implementation
public func pyacq_list_node_types(_ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in try returnString(try Value.array(NodeRegistry.names.map { .string($0) }).jsonText(), out) }
}

// MARK: nodes

private func nodeCall(_ h: OpaquePointer?, _ method: String, _ kwargs: UnsafePointer<CChar>? = nil, timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let node = try typed(h, NodeHandle.self)
        _ = try call(node, method, [], try jsonObject(kwargs, "kwargs_json", markers: .allowed), timeout: timeout)
    }
}

@c @implementation
public func pyacq_node_configure(_ h: OpaquePointer?, _ k: UnsafePointer<CChar>?, _ timeout: Int32) -> Int32 {
    nodeCall(h, "configure", k, timeout: timeout)
}

@c @implementation
public func pyacq_node_initialize(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 { nodeCall(h, "initialize", timeout: timeout) }

@c @implementation
public func pyacq_node_start(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 { nodeCall(h, "start", timeout: timeout) }

@c @implementation
public func pyacq_node_stop(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 { nodeCall(h, "stop", timeout: timeout) }

@c @implementation
public func pyacq_node_close(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 { nodeCall(h, "close", timeout: timeout) }

/// The node's only `kind` stream (name NULL) or the one called `name`.
private func stream(_ h: OpaquePointer?, _ kind: String, _ name: UnsafePointer<CChar>?, _ timeout: Int32,
                    _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let node = try typed(h, NodeHandle.self)
        let result = name == nil ? try node.attribute(kind).resolved(timeoutMs: Int(timeout))
            : try node.attribute(kind + "s").attribute("__getitem__").invoke([.string(try string(name, "name"))], returnType: "proxy",
                                                                               timeoutMs: Int(timeout))
        try hand(result, as: RemoteStreamHandle.self, out)
    }
}

@c @implementation
public func pyacq_node_output(_ h: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ timeout: Int32,
                              _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    stream(h, "output", name, timeout, out)
}

@c @implementation
public func pyacq_node_input(_ h: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ timeout: Int32,
                             _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    stream(h, "input", name, timeout, out)
}

@c @implementation
public func pyacq_node_proxy(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 { asProxy(h, NodeHandle.self, out) }

@c @implementation
public func pyacq_node_from_proxy(_ p: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    fromProxy(p, NodeHandle.self, out)
}

@c @implementation
public func pyacq_node_destroy(_ h: OpaquePointer?) { HandleRegistry.release(h) }

// MARK: streams of nodes

@c @implementation
public func pyacq_remote_stream_configure(_ h: OpaquePointer?, _ params: UnsafePointer<CChar>?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let output = try typed(h, RemoteStreamHandle.self)
        _ = try call(output, "configure", [], try jsonObject(params, "params_json", markers: .allowed), timeout: timeout)
    }
}

@c @implementation
public func pyacq_remote_stream_connect(_ h: OpaquePointer?, _ output: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let input = try typed(h, RemoteStreamHandle.self)
        _ = try call(input, "connect", [try typed(output, RemoteStreamHandle.self).wireValue], timeout: timeout)
    }
}

@c @implementation
public func pyacq_remote_stream_params(_ h: OpaquePointer?, _ timeout: Int32, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        try returnWireJSON(try typed(h, RemoteStreamHandle.self).attribute("params").value(timeoutMs: Int(timeout)), try required(out, "params_json_out"))
    }
}

@c @implementation
public func pyacq_input_connect_remote(_ h: OpaquePointer?, _ output: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try HandleRegistry.resolve(h, as: InputStream.self, "input stream")
        let ref = try typed(output, RemoteStreamHandle.self).reference
        try stream.connect(try fetchRemoteOutputParams(ref, timeoutMs: Int(timeout)))
    }
}

@c @implementation
public func pyacq_remote_stream_proxy(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    asProxy(h, RemoteStreamHandle.self, out)
}

@c @implementation
public func pyacq_remote_stream_from_proxy(_ p: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    fromProxy(p, RemoteStreamHandle.self, out)
}

@c @implementation
public func pyacq_remote_stream_destroy(_ h: OpaquePointer?) { HandleRegistry.release(h) }
