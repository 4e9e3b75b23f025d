import CPyAcqHeader
import PyAcqCore
import PyAcqProcess
import PyAcqRPC

// Managers, hosts and node groups behind pyacq_manager_*, pyacq_host_* and pyacq_nodegroup_*
// (handle kinds in GraphHandles.swift).

private func manager(_ h: OpaquePointer?) throws(PyAcqError) -> LocalManager {
    let m = try HandleRegistry.resolve(h, as: ManagerHandle.self, "manager").manager
    guard !m.isClosed else { throw PyAcqError(.closed, "this manager is closed") }
    return m
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
        try hand(try callRemote(m.proxy, "get_host", [.string(try string(address, "address"))], timeout: timeout), as: HostHandle.self, out)
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
        try hand(try callRemote(m.proxy, "create_nodegroup", [], k, timeout: timeout), as: NodeGroupHandle.self, out)
    }
}

@c @implementation
public func pyacq_manager_list_nodegroups(_ h: OpaquePointer?, _ timeout: Int32, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let value = try callRemote(try manager(h).proxy, "list_nodegroups", timeout: timeout).value ?? .array([])
        try returnWireJSON(value, out)
    }
}

@c @implementation
public func pyacq_manager_start_all_nodes(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in _ = try callRemote(try manager(h).proxy, "start_all_nodes", timeout: timeout) }
}

@c @implementation
public func pyacq_manager_stop_all_nodes(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in _ = try callRemote(try manager(h).proxy, "stop_all_nodes", timeout: timeout) }
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
        try hand(try callRemote(group, "create_node", [.string(try string(type, "type_name"))], k, timeout: timeout), as: NodeHandle.self, out)
    }
}

@c @implementation
public func pyacq_nodegroup_close(_ h: OpaquePointer?, _ timeout: Int32) -> Int32 {
    abiCall { () throws(PyAcqError) in _ = try callRemote(try typed(h, NodeGroupHandle.self), "close", timeout: timeout) }
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
