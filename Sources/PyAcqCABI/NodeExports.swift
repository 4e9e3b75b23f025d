import CPyAcqHeader
import PyAcqCore
import PyAcqProcess
import PyAcqRPC

// Nodes (in node groups or local) and their streams behind pyacq_node_* and pyacq_stream_*.

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
    try node(h).entity(path.split(separator: ".").map(String.init)).call(args, kwargs, timeout: timeout)
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
        let entity = try node(h).entity(try string(path, "attribute").split(separator: ".").map(String.init))
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
        case .remote(let proxy): _ = try callRemote(proxy, "configure", [], map, timeout: timeout)
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
            _ = try callRemote(inputProxy, "connect", [outputProxy.wireValue], timeout: timeout)
        case (.remote(let inputProxy), _):
            _ = try callRemote(inputProxy, "connect", [.map(try producer.producerParams(timeout: timeout))], timeout: timeout)
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
