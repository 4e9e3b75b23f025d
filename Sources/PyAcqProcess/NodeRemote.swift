import PyAcqCore
import PyAcqRPC

/// Every node is a remote object with pyacq's node surface (PROTOCOL §7.5); node-specific
/// methods and attributes come from `Node.callMethod` / `Node.attribute`.
extension Node: RemoteObject {
    public var remoteTypeString: String { "<class 'pyacq.nodes.\(Self.typeName)'>" }

    public func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? {
        func method(_ body: @escaping (RemoteCall) throws(PyAcqError) -> Value) -> RemoteEntity {
            .method(RemoteMethod(name) { call throws(PyAcqError) in .value(try body(call)) })
        }
        func streams<S: RemoteObject>(_ list: [(name: String, stream: S)]) -> RemoteEntity {
            .object(StreamDictionary(entries: list.map { ($0.name, $0.stream as any RemoteObject) }))
        }
        switch name {
        case "name": return .value(.string(self.name))
        case "configure": return method { call throws(PyAcqError) in try self.configure(call.keywordMap); return .null }
        case "initialize": return method { _ throws(PyAcqError) in try self.initialize(); return .null }
        case "start": return method { _ throws(PyAcqError) in try self.start(); return .null }
        case "stop": return method { _ throws(PyAcqError) in try self.stop(); return .null }
        case "close": return method { _ throws(PyAcqError) in try self.close(); return .null }
        case "running": return method { _ throws(PyAcqError) in .bool(self.isRunning) }
        case "configured": return method { _ throws(PyAcqError) in .bool(self.isConfigured) }
        case "initialized": return method { _ throws(PyAcqError) in .bool(self.isInitialized) }
        case "closed": return method { _ throws(PyAcqError) in .bool(self.isClosed) }
        case "inputs": return streams(inputs)
        case "outputs": return streams(outputs)
        case "params": return .object(NodeParameters(node: self))
        case "set_params":
            return method { call throws(PyAcqError) in
                for (key, value) in call.keywordMap { try self.setParameter(key, value) }
                return .null
            }
        case "input": return .object(try input)
        case "output": return .object(try output)
        default:
            if let value = attribute(name) { return .value(value) }
            return .method(RemoteMethod(name) { call throws(PyAcqError) in
                guard let result = try self.callMethod(name, args: call.args, kwargs: call.kwargs) else {
                    throw PyAcqError(.invalidArgument, "'\(Self.typeName)' node has no attribute '\(name)'", exceptionType: "AttributeError")
                }
                return .value(result)
            })
        }
    }
}

/// A node's `inputs` / `outputs` dict as seen through a proxy: `outputs["signals"]` gives the
/// stream itself (so it is proxied), `keys()` and `len()` work.
final class StreamDictionary: RemoteObject {
    let entries: [(String, any RemoteObject)]
    init(entries: [(String, any RemoteObject)]) { self.entries = entries }

    var remoteTypeString: String { "<class 'collections.OrderedDict'>" }

    func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? {
        switch name {
        case "__getitem__":
            return .method(RemoteMethod(name) { [entries] call throws(PyAcqError) in
                let key = try call.string(0, "key")
                guard let found = entries.first(where: { $0.0 == key }) else {
                    throw PyAcqError(.index, "'\(key)'", exceptionType: "KeyError")
                }
                return .object(found.1)
            })
        case "keys": return .method(RemoteMethod(name) { [entries] _ throws(PyAcqError) in .value(.array(entries.map { .string($0.0) })) })
        case "__len__": return .method(RemoteMethod(name) { [entries] _ throws(PyAcqError) in .value(.int(entries.count)) })
        case "__contains__":
            return .method(RemoteMethod(name) { [entries] call throws(PyAcqError) in
                let key = try call.string(0, "key")
                return .value(.bool(entries.contains { $0.0 == key }))
            })
        default: return nil
        }
    }
}

/// `node.params`: runtime parameters by name (`node.params["threshold"] = 0.5` sends a
/// fire-and-forget `__setitem__`).
final class NodeParameters: RemoteObject {
    let node: Node
    init(node: Node) { self.node = node }
    var remoteTypeString: String { "<class 'pyacq.core.node.Parameters'>" }

    func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? {
        switch name {
        case "__getitem__":
            return .method(RemoteMethod(name) { [node] call throws(PyAcqError) in
                let key = try call.string(0, "key")
                guard let value = node.parameter(key) else { throw PyAcqError(.index, "'\(key)'", exceptionType: "KeyError") }
                return .value(value)
            })
        case "__setitem__":
            return .method(RemoteMethod(name) { [node] call throws(PyAcqError) in
                try node.setParameter(try call.string(0, "key"), try call.required(1, "value"))
                return .none
            })
        case "keys": return .method(RemoteMethod(name) { [node] _ throws(PyAcqError) in .value(.array(node.parameterNames.map { .string($0) })) })
        default: return nil
        }
    }
}
