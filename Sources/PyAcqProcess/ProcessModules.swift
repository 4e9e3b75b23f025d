import PyAcqCore
import PyAcqRPC

/// The module names a pyacq Host or Manager imports in a spawned process (PROTOCOL §5.4, §7):
/// `pyacq.core.nodegroup`, `pyacq.core.host`, `pyacq.core.manager`. Registered by PyAcqRuntime.
enum ProcessModules {
    static func register() {
        var nodegroup = RemoteInterface<RemoteModule>()
        nodegroup.method("NodeGroup") { _, call throws(PyAcqError) in
            .object(NodeGroup(host: call.kwargs["host"] ?? call.argument(0, "host") ?? .null,
                              manager: call.kwargs["manager"] ?? call.argument(1, "manager") ?? .null, server: call.server))
        }
        RemoteModules.register("pyacq.core.nodegroup", RemoteModule(name: "pyacq.core.nodegroup", interface: nodegroup))

        var host = RemoteInterface<RemoteModule>()
        host.method("Host") { _, call throws(PyAcqError) in
            guard let server = call.server else { throw PyAcqError(.state, "Host() needs a server") }
            return .object(Host(name: call.argument(0, "name")?.stringValue ?? ProcessNames.host, server: server,
                                pollChildren: try call.bool(1, "poll_procs", default: true)))
        }
        RemoteModules.register("pyacq.core.host", RemoteModule(name: "pyacq.core.host", interface: host))

        var manager = RemoteInterface<RemoteModule>()
        manager.method("Manager") { _, call throws(PyAcqError) in
            guard let server = call.server else { throw PyAcqError(.state, "Manager() needs a server") }
            var logAddress: String?
            switch call.kwargs["log_addr"] {
            case .string(let s)?: logAddress = s
            case .bytes(let b)?: logAddress = String(decoding: b, as: UTF8.self)
            default: logAddress = nil
            }
            return .object(Manager(server: server, logAddress: logAddress, logLevel: call.kwargs["log_level"]?.intValue ?? 30))
        }
        RemoteModules.register("pyacq.core.manager", RemoteModule(name: "pyacq.core.manager", interface: manager))
    }
}

