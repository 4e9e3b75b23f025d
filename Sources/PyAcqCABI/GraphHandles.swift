import PyAcqCore
import PyAcqProcess
import PyAcqRPC

// The handle kinds of the graph part of the ABI. Each kind has a class of its own, so the
// registry refuses a node where a node group is expected. A node, and each of its streams, lives
// either in a node group (reached by RPC) or in this process (a local node): the same exports
// serve both.

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
    func entity(_ path: [String]) throws(PyAcqError) -> NodeEntity {
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

// MARK: helpers shared by the graph exports

/// The proxy behind a host or node group handle.
func typed<H: TypedProxyHandle>(_ h: OpaquePointer?, _ type: H.Type) throws(PyAcqError) -> ObjectProxy {
    try HandleRegistry.resolve(h, as: type, type.handleKind).proxy
}

/// Registers `result` (a proxy) as a new handle of kind `H`.
func hand<H: ProxyConvertible>(_ result: ObjectProxyOrValue, as type: H.Type, _ out: UnsafeMutablePointer<OpaquePointer?>?) throws(PyAcqError) {
    let out = try required(out, "\(type.handleKind) out-pointer")
    guard let proxy = result.proxy else { throw PyAcqError(.remote, "expected a proxy to a \(type.handleKind), got a value") }
    out.pointee = HandleRegistry.register(type.init(remote: proxy))
}

/// A generic pyacq_proxy for a typed handle, and back (no message is sent).
func asProxy<H: ProxyConvertible>(_ h: OpaquePointer?, _ type: H.Type, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let proxy = try HandleRegistry.resolve(h, as: type, type.handleKind).remoteProxy()
        try required(out, "proxy_out").pointee = HandleRegistry.register(ProxyHandle(proxy))
    }
}

func fromProxy<H: ProxyConvertible>(_ p: OpaquePointer?, _ type: H.Type, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let proxy = try HandleRegistry.resolve(p, as: ProxyHandle.self, "proxy").proxy
        try hand(.proxy(proxy), as: type, out)
    }
}

/// Calls `method` of a remote object, waiting at most `timeout` ms.
func callRemote(_ proxy: ObjectProxy, _ method: String, _ args: [Value] = [], _ kwargs: ValueMap = [:],
                timeout: Int32) throws(PyAcqError) -> ObjectProxyOrValue {
    try proxy.attribute(method).invoke(args, kwargs, timeoutMs: Int(timeout))
}
