import CPyAcqHeader
import PyAcqCore
import PyAcqProcess
import PyAcqRPC

// Managers, hosts, node groups, nodes and their streams behind pyacq_manager_*, pyacq_host_*,
// pyacq_nodegroup_*, pyacq_node_* and pyacq_stream_*. Each kind has a handle class of its
// own, so the registry refuses a node where a node group is expected. A node, and each of its
// streams, lives either in a node group (reached by RPC) or in this process (a local node):
// the same functions serve both.

final class ManagerHandle: NamedHandle {
    static let handleKind = "manager"
    let manager: LocalManager
    init(_ manager: LocalManager) { self.manager = manager }
}

/// A handle of one kind of graph object that may stand for a remote one: it converts to and
/// from a generic pyacq_proxy.
protocol ProxyConvertible: NamedHandle {
    /// The proxy, or a message saying why this object has none (a local node or stream).
    func remoteProxy() throws(PyAcqError) -> ObjectProxy
    init(remote proxy: ObjectProxy)
}

/// A proxy of one kind of graph object.
class TypedProxyHandle: ProxyConvertible {
    class var handleKind: String { "proxy" }
    let proxy: ObjectProxy
    required init(remote proxy: ObjectProxy) { self.proxy = proxy }
    func remoteProxy() throws(PyAcqError) -> ObjectProxy { proxy }
}
final class HostHandle: TypedProxyHandle { override class var handleKind: String { "host" } }
final class NodeGroupHandle: TypedProxyHandle { override class var handleKind: String { "node group" } }

/// A node in a node group, or a local node: the node itself, closed when its handle is destroyed.
final class NodeHandle: ProxyConvertible {
    static let handleKind = "node"
    enum Place { case remote(ObjectProxy), local(Node) }
    let place: Place
    init(_ place: Place) { self.place = place }
    convenience init(remote proxy: ObjectProxy) { self.init(.remote(proxy)) }

    func remoteProxy() throws(PyAcqError) -> ObjectProxy {
        guard case .remote(let proxy) = place else {
            throw PyAcqError(.state, "a local node has no proxy: publish it on an RPC server to reach it remotely")
        }
        return proxy
    }

    /// The node's remote surface (PROTOCOL §7.5), in this process or over RPC.
    func entity(_ path: [String], timeout: Int32) throws(PyAcqError) -> NodeEntity {
        switch place {
        case .remote(let proxy): return .remote(path.reduce(proxy) { $0.attribute($1) })
        case .local(let node):
            var entity = RemoteEntity.object(node)
            for name in path { entity = try RPCServer.attribute(of: entity, name) }
            return .local(entity)
        }
    }
}

/// What a path on a node designates: a local entity, or a proxy to a remote one.
enum NodeEntity {
    case local(RemoteEntity)
    case remote(ObjectProxy)

    func call(_ args: [Value], _ kwargs: ValueMap, timeout: Int32) throws(PyAcqError) -> ObjectProxyOrValue {
        switch self {
        case .remote(let proxy): return try proxy.invoke(args, kwargs, timeoutMs: Int(timeout))
        case .local(.method(let method)):
            switch try method.body(RemoteCall(method: method.name, args: args, kwargs: kwargs, server: nil)) {
            case .value(let value): return .value(value)
            case .object(let object): return .value(try localValue(of: object))
            case .method(let m): throw PyAcqError(.invalidArgument, "'\(m.name)' returned a method", exceptionType: "TypeError")
            }
        case .local:
            throw PyAcqError(.invalidArgument, "this attribute is not callable", exceptionType: "TypeError")
        }
    }

    func value(timeout: Int32) throws(PyAcqError) -> Value {
        switch self {
        case .remote(let proxy): return try proxy.value(timeoutMs: Int(timeout))
        case .local(.value(let value)): return value
        case .local(.object(let object)): return try localValue(of: object)
        case .local(.method(let m)): throw PyAcqError(.invalidArgument, "'\(m.name)' is a method: call it", exceptionType: "TypeError")
        }
    }
}

/// The value a local object stands for, where it has one (a node's params); streams and nodes
/// have their own handles.
private func localValue(of object: any RemoteObject) throws(PyAcqError) -> Value {
    if let dict = try object.remoteAttribute("keys"), case .method(let keys) = dict,
       case .value(.array(let names)) = try keys.body(RemoteCall(method: "keys", args: [], kwargs: [:], server: nil)),
       case .method(let get)? = try object.remoteAttribute("__getitem__") {
        var map = ValueMap()
        for case .string(let name) in names {
            if case .value(let v) = try get.body(RemoteCall(method: "__getitem__", args: [.string(name)], kwargs: [:], server: nil)) { map[name] = v }
        }
        return .map(map)
    }
    throw PyAcqError(.invalidArgument, "\(object.remoteTypeString) has no value: use its own handle", exceptionType: "TypeError")
}

/// A node's input or output stream: a proxy to a remote one, or the local node's stream itself.
final class StreamHandle: ProxyConvertible {
    static let handleKind = "stream"
    enum Place { case remote(ObjectProxy), output(OutputStream), input(InputStream) }
    let place: Place
    init(_ place: Place) { self.place = place }
    convenience init(remote proxy: ObjectProxy) { self.init(.remote(proxy)) }

    func remoteProxy() throws(PyAcqError) -> ObjectProxy {
        guard case .remote(let proxy) = place else {
            throw PyAcqError(.state, "a local node's stream has no proxy: use pyacq_stream_local")
        }
        return proxy
    }

    /// The params a consumer connects with (fetched by value from a remote output).
    func producerParams(timeout: Int32) throws(PyAcqError) -> ValueMap {
        switch place {
        case .remote(let proxy): return try fetchRemoteOutputParams(proxy.reference, timeoutMs: Int(timeout))
        case .output(let output):
            guard output.isConfigured else { throw PyAcqError(.state, "the output stream '\(output.name)' is not configured") }
            return output.params.map
        case .input: throw PyAcqError(.invalidArgument, "an input stream cannot feed another input", exceptionType: "TypeError")
        }
    }
}

private func manager(_ h: OpaquePointer?) throws(PyAcqError) -> LocalManager {
    let m = try HandleRegistry.resolve(h, as: ManagerHandle.self, "manager").manager
    guard !m.isClosed else { throw PyAcqError(.closed, "this manager is closed") }
    return m
}

private func typed<H: TypedProxyHandle>(_ h: OpaquePointer?, _ type: H.Type) throws(PyAcqError) -> ObjectProxy {
    try HandleRegistry.resolve(h, as: type, type.handleKind).proxy
}

/// Registers `result` (a proxy) as a new handle of kind `H`.
private func hand<H: ProxyConvertible>(_ result: ObjectProxyOrValue, as type: H.Type, _ out: UnsafeMutablePointer<OpaquePointer?>?) throws(PyAcqError) {
    let out = try required(out, "\(type.handleKind) out-pointer")
    guard let proxy = result.proxy else { throw PyAcqError(.remote, "expected a proxy to a \(type.handleKind), got a value") }
    out.pointee = HandleRegistry.register(type.init(remote: proxy))
}

/// A generic pyacq_proxy for a typed handle, and back (no message is sent).
private func asProxy<H: ProxyConvertible>(_ h: OpaquePointer?, _ type: H.Type, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let proxy = try HandleRegistry.resolve(h, as: type, type.handleKind).remoteProxy()
        try required(out, "proxy_out").pointee = HandleRegistry.register(ProxyHandle(proxy))
    }
}
private func fromProxy<H: ProxyConvertible>(_ p: OpaquePointer?, _ type: H.Type, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
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
    (HandleRegistry.release(h) as? ManagerHandle)?.manager.close()
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

private func node(_ h: OpaquePointer?) throws(PyAcqError) -> NodeHandle { try HandleRegistry.resolve(h, as: NodeHandle.self, "node") }

@c @implementation
public func pyacq_node_create_local(_ type: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?,
                                    _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let out = try required(out, "node_out")
        let typeName = try string(type, "type_name")
        let node = try NodeRegistry.create(typeName, name: name == nil ? typeName : try string(name, "node_name"))
        out.pointee = HandleRegistry.register(NodeHandle(.local(node)))
    }
}

@c @implementation
public func pyacq_node_is_local(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<Bool>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        if case .local = try node(h).place { try required(out, "is_local_out").pointee = true } else { try required(out, "is_local_out").pointee = false }
    }
}

/// Calls the node method designated by a dotted path ("start", "params.__setitem__"...).
private func nodeCall(_ h: OpaquePointer?, _ path: String, _ args: [Value] = [], _ kwargs: ValueMap = [:],
                      timeout: Int32) throws(PyAcqError) -> ObjectProxyOrValue {
    try node(h).entity(path.split(separator: ".").map(String.init), timeout: timeout).call(args, kwargs, timeout: timeout)
}

@c @implementation
public func pyacq_node_configure(_ h: OpaquePointer?, _ k: UnsafePointer<CChar>?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in _ = try nodeCall(h, "configure", [], try jsonObject(k, "kwargs_json", markers: .allowed), timeout: timeout) }
}

@c @implementation
public func pyacq_node_initialize(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in _ = try nodeCall(h, "initialize", timeout: timeout) }
}

@c @implementation
public func pyacq_node_start(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in _ = try nodeCall(h, "start", timeout: timeout) }
}

@c @implementation
public func pyacq_node_stop(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in _ = try nodeCall(h, "stop", timeout: timeout) }
}

@c @implementation
public func pyacq_node_close(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in _ = try nodeCall(h, "close", timeout: timeout) }
}

@c @implementation
public func pyacq_node_call(_ h: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ args: UnsafePointer<CChar>?,
                            _ kwargs: UnsafePointer<CChar>?, _ timeout: Int32, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        guard case .array(let a) = try jsonArgument(args, "args_json", markers: .allowed, default: .array([])) else {
            throw PyAcqError(.badParams, "args_json must be a JSON array")
        }
        let k = try jsonObject(kwargs, "kwargs_json", markers: .allowed)
        let result = try nodeCall(h, try string(path, "method"), a, k, timeout: timeout)
        if let out { try returnWireJSON(result.value ?? result.proxy.map { $0.wireValue } ?? .null, out) }
    }
}

@c @implementation
public func pyacq_node_get(_ h: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ timeout: Int32, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let entity = try node(h).entity(try string(path, "attribute").split(separator: ".").map(String.init), timeout: timeout)
        try returnWireJSON(try entity.value(timeout: timeout), try required(out, "value_json_out"))
    }
}

/// The node's only `kind` stream (name NULL) or the one called `name`.
private func stream(_ h: OpaquePointer?, _ kind: String, _ name: UnsafePointer<CChar>?, _ timeout: Int32,
                    _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let out = try required(out, "stream_out")
        let streamName = name == nil ? nil : try string(name, "name")
        switch try node(h).place {
        case .remote(let proxy):
            let result = streamName == nil ? try proxy.attribute(kind).resolved(timeoutMs: Int(timeout))
                : try proxy.attribute(kind + "s").attribute("__getitem__").invoke([.string(streamName!)], returnType: "proxy",
                                                                                    timeoutMs: Int(timeout))
            try hand(result, as: StreamHandle.self, out)
        case .local(let local):
            let place: StreamHandle.Place
            switch (kind, streamName) {
            case ("output", let n?): place = .output(try local.output(named: n))
            case ("output", nil): place = .output(try local.output)
            case (_, let n?): place = .input(try local.input(named: n))
            case (_, nil): place = .input(try local.input)
            }
            out.pointee = HandleRegistry.register(StreamHandle(place))
        }
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
public func pyacq_node_destroy(_ h: OpaquePointer?) {
    // A local node belongs to its handle: its threads, sockets and files end with it.
    if let handle = HandleRegistry.release(h) as? NodeHandle, case .local(let local) = handle.place, !local.isClosed {
        try? local.close()
    }
}

// MARK: streams of nodes

private func nodeStream(_ h: OpaquePointer?) throws(PyAcqError) -> StreamHandle {
    try HandleRegistry.resolve(h, as: StreamHandle.self, "stream")
}

@c @implementation
public func pyacq_stream_configure(_ h: OpaquePointer?, _ params: UnsafePointer<CChar>?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try nodeStream(h)
        let map = try jsonObject(params, "params_json", markers: .allowed)
        switch stream.place {
        case .remote(let proxy): _ = try call(proxy, "configure", [], map, timeout: timeout)
        case .output(let output): try output.configure(map)
        case .input: throw PyAcqError(.invalidArgument, "an input stream is connected, not configured", exceptionType: "TypeError")
        }
    }
}

@c @implementation
public func pyacq_stream_connect(_ h: OpaquePointer?, _ output: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let input = try nodeStream(h)
        let producer = try nodeStream(output)
        switch (input.place, producer.place) {
        case (.remote(let inputProxy), .remote(let outputProxy)):
            _ = try call(inputProxy, "connect", [outputProxy.wireValue], timeout: timeout)
        case (.remote(let inputProxy), _):
            _ = try call(inputProxy, "connect", [.map(try producer.producerParams(timeout: timeout))], timeout: timeout)
        case (.input(let local), _):
            try local.connect(try producer.producerParams(timeout: timeout))
        case (.output, _):
            throw PyAcqError(.invalidArgument, "connect() is a method of input streams; this is an output", exceptionType: "TypeError")
        }
    }
}

@c @implementation
public func pyacq_stream_params(_ h: OpaquePointer?, _ timeout: Int32, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let value: Value
        switch try nodeStream(h).place {
        case .remote(let proxy): value = try proxy.attribute("params").value(timeoutMs: Int(timeout))
        case .output(let output): value = .map(output.params.map)
        case .input(let input): value = input.params.map { .map($0.map) } ?? .null
        }
        try returnWireJSON(value, try required(out, "params_json_out"))
    }
}

@c @implementation
public func pyacq_input_connect_stream(_ h: OpaquePointer?, _ output: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try HandleRegistry.resolve(h, as: InputStream.self, "input stream")
        try stream.connect(try nodeStream(output).producerParams(timeout: timeout))
    }
}

@c @implementation
public func pyacq_stream_local(_ h: OpaquePointer?, _ outputOut: UnsafeMutablePointer<OpaquePointer?>?,
                                      _ inputOut: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        switch try nodeStream(h).place {
        case .output(let output): try required(outputOut, "output_out").pointee = HandleRegistry.register(output, owned: false)
        case .input(let input): try required(inputOut, "input_out").pointee = HandleRegistry.register(input, owned: false)
        case .remote: throw PyAcqError(.state, "this stream lives in another process: it has no local handle")
        }
    }
}

@c @implementation
public func pyacq_stream_proxy(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    asProxy(h, StreamHandle.self, out)
}

@c @implementation
public func pyacq_stream_from_proxy(_ p: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    fromProxy(p, StreamHandle.self, out)
}

@c @implementation
public func pyacq_stream_destroy(_ h: OpaquePointer?) { HandleRegistry.release(h) }
