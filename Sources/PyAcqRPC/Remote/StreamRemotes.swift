import PyAcqCore

// OutputStream and InputStream as remote objects, with pyacq's method names, so Python peers
// (and Swift proxies) can configure, connect, send and receive across processes.

extension OutputStream: RemoteObject {
    public var remoteTypeString: String { "<class 'pyacq.core.stream.outputstream.OutputStream'>" }

    static let remoteInterface: RemoteInterface<OutputStream> = {
        var i = RemoteInterface<OutputStream>()
        i.action("configure") { stream, call throws(PyAcqError) in try stream.configure(call.keywordMap) }
        i.attribute("params") { stream throws(PyAcqError) in .value(.map(stream.params.map)) }
        i.attribute("spec") { stream throws(PyAcqError) in .value(.map(stream.spec)) }
        i.attribute("last_index") { stream throws(PyAcqError) in .value(.int(stream.lastIndex)) }
        // Lets a peer wait until its subscription has reached the publisher before data flows.
        i.attribute("subscriber_count") { stream throws(PyAcqError) in .value(.int(stream.subscriberCount)) }
        i.method("send") { stream, call throws(PyAcqError) in
            guard case .ndarray(let array) = try call.required(0, "data") else {
                throw PyAcqError(.invalidArgument, "send() data must be an ndarray", exceptionType: "TypeError")
            }
            let index = call.argument(1, "index").flatMap { $0.isNull ? nil : $0.intValue }
            try stream.send(array.view, index: index)
            return .none
        }
        i.action("reset_buffer_index") { stream, _ throws(PyAcqError) in try stream.resetIndex() }
        i.action("close") { stream, _ throws(PyAcqError) in stream.close() }
        return i
    }()

    public func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? {
        try Self.remoteInterface.lookup(name, on: self)
    }
}

extension InputStream: RemoteObject {
    public var remoteTypeString: String { "<class 'pyacq.core.stream.inputstream.InputStream'>" }

    /// Connects to a params map, a local OutputStream, or a proxy to a remote one whose params
    /// are fetched by value (PROTOCOL §8.3).
    public func connect(to target: Value, server: RPCServer?) throws(PyAcqError) {
        if case .proxy(let ref) = target, let server, ref.rpcAddress == server.address,
           case .object(let object) = try server.resolve(ref), let output = object as? OutputStream {
            try connect(output.params.map)
            return
        }
        try connect(to: target)
    }

    static let remoteInterface: RemoteInterface<InputStream> = {
        var i = RemoteInterface<InputStream>()
        i.action("connect") { stream, call throws(PyAcqError) in try stream.connect(to: try call.required(0, "output"), server: call.server) }
        i.attribute("params") { stream throws(PyAcqError) in .value(stream.params.map { .map($0.map) } ?? .null) }
        i.method("poll") { stream, call throws(PyAcqError) in
            // pyacq's InputStream.poll(timeout) hands `timeout` to ZeroMQ: milliseconds (None = forever).
            let ms = call.argument(0, "timeout").flatMap { $0.isNull ? nil : $0.doubleValue }.map { max(0, Int($0)) } ?? -1
            return .value(.bool(try stream.poll(timeoutMs: ms)))
        }
        i.method("recv") { stream, call throws(PyAcqError) in
            let withData = try call.bool(0, "return_data", default: true)
            let chunk = try stream.receive(timeoutMs: millis(call.argument(1, "timeout")), withData: withData)
            return .value(.array([.int(chunk.index), chunk.data.map { .ndarray($0.toNDArray()) } ?? .null]))
        }
        i.method("empty_queue") { stream, _ throws(PyAcqError) in .value(.int(try stream.emptyQueue())) }
        i.method("set_buffer") { stream, call throws(PyAcqError) in
            var order: [Int]?
            if case .array(let items)? = call.argument(2, "axisorder") { order = items.compactMap(\.intValue) }
            try stream.setBuffer(size: try call.int(0, "size"), double: try call.bool(1, "double", default: true),
                                 axisOrder: order, fill: call.argument(4, "fill"))
            return .none
        }
        i.method("get_data") { stream, call throws(PyAcqError) in
            let data = try stream.getData(start: try call.int(0, "start"), stop: try call.int(1, "stop"), copy: true)
            return .value(.ndarray(data.toNDArray()))
        }
        i.action("reset_buffer_index") { stream, _ throws(PyAcqError) in try stream.resetBufferIndex() }
        i.action("close") { stream, _ throws(PyAcqError) in stream.close() }
        return i
    }()

    public func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? {
        try Self.remoteInterface.lookup(name, on: self)
    }
}

/// A Python timeout in seconds (None = forever) as milliseconds.
func millis(_ seconds: Value?) -> Int {
    guard let s = seconds?.doubleValue else { return -1 }
    return max(0, Int(s * 1000))
}

/// The params of the output stream a proxy designates, fetched by value as pyacq does
/// (PROTOCOL §8.3); a proxy to this thread's own server resolves locally.
public func fetchRemoteOutputParams(_ ref: ProxyReference, timeoutMs: Int = RPCClient.defaultTimeoutMs) throws(PyAcqError) -> ValueMap {
    if let server = ThreadState.current.server, ref.rpcAddress == server.address,
       case .object(let object) = try server.resolve(ref), let output = object as? OutputStream {
        return output.params.map
    }
    guard case .map(let params) = try ObjectProxy(ref).attribute("params").value(timeoutMs: timeoutMs) else {
        throw PyAcqError(.badParams, "the remote output's params are not a dict", exceptionType: "TypeError")
    }
    return params
}

/// `pyacq.core.stream`: constructors for streams created by remote peers.
public enum StreamModule {
    public static func register() {
        var i = RemoteInterface<RemoteModule>()
        i.method("OutputStream") { _, call throws(PyAcqError) in
            .object(OutputStream(spec: call.argument(0, "spec")?.mapValue ?? [:], name: call.argument(1, "name")?.stringValue ?? ""))
        }
        i.method("InputStream") { _, call throws(PyAcqError) in
            .object(InputStream(spec: call.argument(0, "spec")?.mapValue ?? [:], name: call.argument(1, "name")?.stringValue ?? ""))
        }
        for name in ["pyacq.core.stream", "pyacq.core", "pyacq"] {
            RemoteModules.register(name, RemoteModule(name: name, interface: i))
        }
    }
}
