import CPyAcqHeader
import PyAcqCore
import PyAcqRPC

// The RPC part of the ABI: servers on their own threads, per-thread clients, proxies, futures.

/// A server running on a thread of its own.
final class ServerHandle: NamedHandle {
    static let handleKind = "RPC server"
    let server: RPCServer
    init(_ server: RPCServer) { self.server = server }
}

/// A client is an address: each calling thread gets its own connection (ZeroMQ sockets
/// never change threads).
final class ClientHandle: NamedHandle {
    static let handleKind = "RPC client"
    let address: String
    init(_ address: String) { self.address = address }
    func client(connectTimeoutMs: Int = 1000) throws(PyAcqError) -> RPCClient {
        try RPCClient.forThread(address, connectTimeoutMs: connectTimeoutMs)
    }
}

final class ProxyHandle: NamedHandle {
    static let handleKind = "proxy"
    let proxy: ObjectProxy
    init(_ proxy: ObjectProxy) { self.proxy = proxy }
}

final class FutureHandle: NamedHandle {
    static let handleKind = "future"
    let future: RPCFuture
    init(_ future: RPCFuture) { self.future = future }
}

private func serverHandle(_ h: OpaquePointer?) throws(PyAcqError) -> ServerHandle {
    try HandleRegistry.resolve(h, as: ServerHandle.self, "RPC server")
}
private func clientHandle(_ h: OpaquePointer?) throws(PyAcqError) -> ClientHandle {
    try HandleRegistry.resolve(h, as: ClientHandle.self, "RPC client")
}
private func proxyHandle(_ h: OpaquePointer?) throws(PyAcqError) -> ObjectProxy {
    try HandleRegistry.resolve(h, as: ProxyHandle.self, "proxy").proxy
}

private func callArguments(_ args: UnsafePointer<CChar>?, _ kwargs: UnsafePointer<CChar>?) throws(PyAcqError) -> ([Value], ValueMap) {
    guard case .array(let a) = try jsonArgument(args, "args_json", markers: .allowed, default: .array([])) else {
        throw PyAcqError(.badParams, "args_json must be a JSON array")
    }
    return (a, try jsonObject(kwargs, "kwargs_json", markers: .allowed))
}

/// A result for an optional out-pointer (NULL: the caller ignores it).
private func returnValue(_ value: Value, _ out: StringOut?) throws(PyAcqError) {
    guard let out else { return }
    try returnWireJSON(value, out)
}

private func registerProxy(_ value: Value, _ out: UnsafeMutablePointer<OpaquePointer?>?) throws(PyAcqError) {
    let out = try required(out, "proxy_out")
    guard case .proxy(let ref) = value else { throw PyAcqError(.remote, "the server returned a \(value.kindName), not a proxy") }
    out.pointee = HandleRegistry.register(ProxyHandle(ObjectProxy(ref)))
}

// MARK: server

@c @implementation
public func pyacq_rpc_server_start(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ address: UnsafePointer<CChar>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let out = try required(out, "out")
        let server = try RPCServer(address: address == nil ? "tcp://127.0.0.1:*" : try string(address, "address"))
        server.startThread()
        out.pointee = HandleRegistry.register(ServerHandle(server))
    }
}

@c @implementation
public func pyacq_rpc_server_address(_ h: OpaquePointer?, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in try returnString(try serverHandle(h).server.address, out) }
}

@c @implementation
public func pyacq_rpc_server_publish_output(_ h: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ stream: OpaquePointer?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let server = try serverHandle(h).server
        server.publish(try string(name, "name"), object: try HandleRegistry.resolve(stream, as: OutputStream.self, "output stream"))
    }
}

@c @implementation
public func pyacq_rpc_server_publish_input(_ h: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ stream: OpaquePointer?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let server = try serverHandle(h).server
        server.publish(try string(name, "name"), object: try HandleRegistry.resolve(stream, as: InputStream.self, "input stream"))
    }
}

@c @implementation
public func pyacq_rpc_server_publish_value(_ h: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let server = try serverHandle(h).server
        guard value != nil else { throw PyAcqError(.invalidArgument, "value_json must not be NULL") }
        server.publish(try string(name, "name"), .value(try jsonArgument(value, "value_json", markers: .allowed, default: .null)))
    }
}

@c @implementation
public func pyacq_rpc_server_stop(_ h: OpaquePointer?) -> Int32 {
    abiCall { () throws(PyAcqError) in try serverHandle(h).server.stop() }
}

@c @implementation
public func pyacq_rpc_server_destroy(_ h: OpaquePointer?) {
    (HandleRegistry.release(h) as? ServerHandle)?.server.stop()
}

// MARK: client

@c @implementation
public func pyacq_rpc_client_create(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ address: UnsafePointer<CChar>?, _ timeoutMs: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let out = try required(out, "out")
        let addr = try string(address, "address")
        _ = try RPCClient.forThread(addr, connectTimeoutMs: Int(timeoutMs < 0 ? 10_000 : timeoutMs))
        out.pointee = HandleRegistry.register(ClientHandle(addr))
    }
}

@c @implementation
public func pyacq_rpc_client_get_item(_ h: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ timeout: Int32,
                                      _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    clientRequest(h, "get_item", "name", name, timeout, out)
}

@c @implementation
public func pyacq_rpc_client_import(_ h: OpaquePointer?, _ module: UnsafePointer<CChar>?, _ timeout: Int32,
                                    _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    clientRequest(h, "import", "module", module, timeout, out)
}

/// A request with one string option, answered by a proxy, within `timeout` ms including the
/// connection.
private func clientRequest(_ h: OpaquePointer?, _ action: String, _ key: String, _ text: UnsafePointer<CChar>?,
                           _ timeout: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let handle = try clientHandle(h)
        let opts: ValueMap = [key: .string(try string(text, key))]
        let start = monotonicSeconds()
        let client = try handle.client(connectTimeoutMs: timeout < 0 ? 1000 : max(1, min(1000, Int(timeout))))
        let remaining = timeout < 0 ? -1 : max(0, Int(timeout) - Int((monotonicSeconds() - start) * 1000))
        try registerProxy(try client.call(action, options: .map(opts), returnType: "proxy", timeoutMs: remaining), out)
    }
}

@c @implementation
public func pyacq_rpc_client_close_server(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in try clientHandle(h).client().closeServer(timeoutMs: Int(timeout)) }
}

@c @implementation
public func pyacq_rpc_client_destroy(_ h: OpaquePointer?) { HandleRegistry.release(h) }

// MARK: proxies

@c @implementation
public func pyacq_proxy_attr(_ h: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let proxy = try proxyHandle(h)
        let attribute = try string(name, "name")
        try required(out, "proxy_out").pointee = HandleRegistry.register(ProxyHandle(proxy.attribute(attribute)))
    }
}

@c @implementation
public func pyacq_proxy_call(_ h: OpaquePointer?, _ args: UnsafePointer<CChar>?, _ kwargs: UnsafePointer<CChar>?, _ timeoutMs: Int32,
                             _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let proxy = try proxyHandle(h)
        let (a, k) = try callArguments(args, kwargs)
        let future = try proxy.call(a, k, mode: .async)!
        try returnValue(try future.wait(timeoutMs: Int(timeoutMs)), out)
    }
}

@c @implementation
public func pyacq_proxy_call_proxy(_ h: OpaquePointer?, _ args: UnsafePointer<CChar>?, _ kwargs: UnsafePointer<CChar>?, _ timeoutMs: Int32,
                                   _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let proxy = try proxyHandle(h)
        let (a, k) = try callArguments(args, kwargs)
        let future = try proxy.call(a, k, returnType: "proxy", mode: .async)!
        try registerProxy(try future.wait(timeoutMs: Int(timeoutMs)), out)
    }
}

@c @implementation
public func pyacq_proxy_call_async(_ h: OpaquePointer?, _ args: UnsafePointer<CChar>?, _ kwargs: UnsafePointer<CChar>?,
                                   _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let proxy = try proxyHandle(h)
        let out = try required(out, "future_out")
        let (a, k) = try callArguments(args, kwargs)
        out.pointee = HandleRegistry.register(FutureHandle(try proxy.call(a, k, mode: .async)!))
    }
}

@c @implementation
public func pyacq_proxy_call_nowait(_ h: OpaquePointer?, _ args: UnsafePointer<CChar>?, _ kwargs: UnsafePointer<CChar>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let proxy = try proxyHandle(h)
        let (a, k) = try callArguments(args, kwargs)
        try proxy.call(a, k, mode: .off)
    }
}

@c @implementation
public func pyacq_future_wait(_ h: OpaquePointer?, _ timeoutMs: Int32, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let future = try HandleRegistry.resolve(h, as: FutureHandle.self, "future").future
        try returnValue(try future.wait(timeoutMs: Int(timeoutMs)), out)
    }
}

@c @implementation
public func pyacq_future_done(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<Bool>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let future = try HandleRegistry.resolve(h, as: FutureHandle.self, "future").future
        let out = try required(out, "done_out")
        if !future.isDone { _ = try? future.wait(timeoutMs: 0) }
        out.pointee = future.isDone
    }
}

@c @implementation
public func pyacq_future_destroy(_ h: OpaquePointer?) { HandleRegistry.release(h) }

@c @implementation
public func pyacq_proxy_get_value(_ h: OpaquePointer?, _ timeoutMs: Int32, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in try returnValue(try proxyHandle(h).value(timeoutMs: Int(timeoutMs)), out) }
}

@c @implementation
public func pyacq_proxy_delete(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in try proxyHandle(h).delete(timeoutMs: Int(timeout)) }
}

@c @implementation
public func pyacq_proxy_to_json(_ h: OpaquePointer?, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in try returnValue(try proxyHandle(h).wireValue, try required(out, "json_out")) }
}

@c @implementation
public func pyacq_proxy_from_json(_ json: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        guard json != nil else { throw PyAcqError(.invalidArgument, "proxy_json must not be NULL") }
        try registerProxy(try jsonArgument(json, "proxy_json", markers: .allowed, default: .null), out)
    }
}

@c @implementation
public func pyacq_proxy_destroy(_ h: OpaquePointer?) { HandleRegistry.release(h) }

@c @implementation
public func pyacq_input_connect_proxy(_ h: OpaquePointer?, _ output: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try HandleRegistry.resolve(h, as: InputStream.self, "input stream")
        try stream.connect(try fetchRemoteOutputParams(try proxyHandle(output).reference, timeoutMs: Int(timeout)))
    }
}
