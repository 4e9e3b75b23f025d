import CPyAcqHeader
import PyAcqCore
import PyAcqDevices
import PyAcqNodes
import PyAcqProcess
import PyAcqRPC

// Managers, node groups and nodes behind pyacq_manager_*, pyacq_nodegroup_*, pyacq_node_*.

/// A Manager in this process (with its server and log printer) or in a child process.
final class ManagerHandle {
    let proxy: ObjectProxy
    private var server: RPCServer?
    private var local: Manager?
    private var spawner: ProcessSpawner?
    private var logs: LogPrinter?
    private(set) var closed = false

    init(mode: String) throws(PyAcqError) {
        ProcessModules.register()
        let printer = try LogPrinter()
        switch mode {
        case "local":
            let server = try RPCServer()
            let manager = Manager(server: server, logAddress: printer.address)
            server.startThread(name: "manager")
            self.server = server
            local = manager
            proxy = ObjectProxy(server.proxy(for: .object(manager)))
        case "rpc":
            let child = try ProcessSpawner(name: "manager_proc", logAddress: printer.address)
            let client = try RPCClient.forThread(child.address)
            guard let module = try client.importModule("pyacq.core.manager").proxy,
                  let manager = try module.attribute("Manager").invoke([], ["log_addr": .string(printer.address)]).proxy else {
                child.kill()
                throw PyAcqError(.remote, "the manager process did not create a Manager")
            }
            spawner = child
            proxy = manager
        default:
            throw PyAcqError(.invalidArgument, "manager mode must be \"local\" or \"rpc\", got \"\(mode)\"")
        }
        logs = printer
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let local {
            local.closeAllNodeGroups()
            local.defaultHost.stopPolling()
        } else {
            _ = try? proxy.attribute("close").invoke(timeoutMs: 15_000)
        }
        if let server {
            try? RPCClient.forThread(server.address).closeServer()
            server.join()
        }
        spawner?.stop()
        logs?.stop()
    }
}

private func manager(_ h: OpaquePointer?) throws(PyAcqError) -> ManagerHandle {
    let handle = try HandleRegistry.resolve(h, as: ManagerHandle.self, "manager")
    guard !handle.closed else { throw PyAcqError(.closed, "this manager is closed") }
    return handle
}
private func proxy(_ h: OpaquePointer?, _ what: String) throws(PyAcqError) -> ObjectProxy {
    try HandleRegistry.resolve(h, as: ProxyHandle.self, what).proxy
}
private func newProxy(_ result: ObjectProxyOrValue, _ out: UnsafeMutablePointer<OpaquePointer?>?, _ what: String) throws(PyAcqError) {
    let out = try required(out, "\(what)_out")
    guard let p = result.proxy else { throw PyAcqError(.remote, "expected a proxy to a \(what), got a value") }
    out.pointee = HandleRegistry.register(ProxyHandle(p))
}
private func kwargs(_ json: UnsafePointer<CChar>?, _ what: String) throws(PyAcqError) -> ValueMap {
    guard let json, json.pointee != 0 else { return [:] }
    let decoded: Value
    do { decoded = try Serializer.json.decode(Array(try string(json, what).utf8)) } catch {
        throw PyAcqError(.badParams, "\(what): \(error.message)")
    }
    guard case .map(let map) = decoded else { throw PyAcqError(.badParams, "\(what) must be a JSON object") }
    return map
}

@c @implementation
public func pyacq_manager_create(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ mode: UnsafePointer<CChar>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let out = try required(out, "out")
        out.pointee = HandleRegistry.register(try ManagerHandle(mode: mode == nil ? "local" : try string(mode, "mode")))
    }
}

@c @implementation
public func pyacq_manager_proxy(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in try newProxy(.proxy(try manager(h).proxy), out, "proxy") }
}

@c @implementation
public func pyacq_manager_add_host(_ h: OpaquePointer?, _ address: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let m = try manager(h)
        try newProxy(try m.proxy.attribute("get_host").invoke([.string(try string(address, "address"))]), out, "host")
    }
}

@c @implementation
public func pyacq_manager_create_nodegroup(_ h: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ host: UnsafePointer<CChar>?,
                                           _ options: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let m = try manager(h)
        var k = try kwargs(options, "options_json")
        if name != nil { k["name"] = .string(try string(name, "name")) }
        if host != nil { k["host"] = .string(try string(host, "host_address")) }
        try newProxy(try m.proxy.attribute("create_nodegroup").invoke([], k, timeoutMs: 30_000), out, "nodegroup")
    }
}

@c @implementation
public func pyacq_manager_list_nodegroups(_ h: OpaquePointer?, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let value = try manager(h).proxy.attribute("list_nodegroups").invoke().value ?? .array([])
        try returnString(String(decoding: try Serializer.json.encode(value), as: UTF8.self), out)
    }
}

@c @implementation
public func pyacq_manager_start_all_nodes(_ h: OpaquePointer?) -> Int32 {
    abiCall { () throws(PyAcqError) in _ = try manager(h).proxy.attribute("start_all_nodes").invoke() }
}

@c @implementation
public func pyacq_manager_stop_all_nodes(_ h: OpaquePointer?) -> Int32 {
    abiCall { () throws(PyAcqError) in _ = try manager(h).proxy.attribute("stop_all_nodes").invoke() }
}

@c @implementation
public func pyacq_manager_close(_ h: OpaquePointer?) -> Int32 {
    abiCall { () throws(PyAcqError) in try HandleRegistry.resolve(h, as: ManagerHandle.self, "manager").close() }
}

@c @implementation
public func pyacq_manager_destroy(_ h: OpaquePointer?) {
    (try? HandleRegistry.resolve(h, as: ManagerHandle.self, "manager"))?.close()
    HandleRegistry.release(h)
}

@c @implementation
public func pyacq_nodegroup_create_node(_ h: OpaquePointer?, _ type: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?,
                                        _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let group = try proxy(h, "node group")
        var k = ValueMap()
        if name != nil { k["name"] = .string(try string(name, "node_name")) }
        try newProxy(try group.attribute("create_node").invoke([.string(try string(type, "type_name"))], k), out, "node")
    }
}

@c @implementation
public func pyacq_list_node_types(_ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        BuiltinNodes.register()
        DeviceNodes.register()
        try returnString(try Value.array(NodeRegistry.names.map { .string($0) }).jsonText(), out)
    }
}

private func nodeCall(_ h: OpaquePointer?, _ method: String, _ k: ValueMap = [:]) throws(PyAcqError) {
    _ = try proxy(h, "node").attribute(method).invoke([], k)
}

@c @implementation
public func pyacq_node_configure(_ h: OpaquePointer?, _ k: UnsafePointer<CChar>?) -> Int32 {
    abiCall { () throws(PyAcqError) in try nodeCall(h, "configure", try kwargs(k, "kwargs_json")) }
}

@c @implementation
public func pyacq_node_initialize(_ h: OpaquePointer?) -> Int32 { abiCall { () throws(PyAcqError) in try nodeCall(h, "initialize") } }

@c @implementation
public func pyacq_node_start(_ h: OpaquePointer?) -> Int32 { abiCall { () throws(PyAcqError) in try nodeCall(h, "start") } }

@c @implementation
public func pyacq_node_stop(_ h: OpaquePointer?) -> Int32 { abiCall { () throws(PyAcqError) in try nodeCall(h, "stop") } }

@c @implementation
public func pyacq_node_close(_ h: OpaquePointer?) -> Int32 { abiCall { () throws(PyAcqError) in try nodeCall(h, "close") } }

private func stream(_ h: OpaquePointer?, _ kind: String, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) throws(PyAcqError) {
    let node = try proxy(h, "node")
    let result = name == nil ? try node.attribute(kind).resolved()
        : try node.attribute(kind + "s").attribute("__getitem__").invoke([.string(try string(name, "name"))], returnType: "proxy")
    try newProxy(result, out, "stream")
}

@c @implementation
public func pyacq_node_output(_ h: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in try stream(h, "output", name, out) }
}

@c @implementation
public func pyacq_node_input(_ h: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in try stream(h, "input", name, out) }
}

@c @implementation
public func pyacq_stream_configure(_ h: OpaquePointer?, _ params: UnsafePointer<CChar>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        _ = try proxy(h, "output stream").attribute("configure").invoke([], try kwargs(params, "params_json"))
    }
}

@c @implementation
public func pyacq_stream_connect(_ h: OpaquePointer?, _ output: OpaquePointer?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        _ = try proxy(h, "input stream").attribute("connect").invoke([try proxy(output, "output stream").wireValue])
    }
}
