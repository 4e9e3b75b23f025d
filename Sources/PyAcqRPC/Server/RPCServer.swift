import CZeroMQ
import PyAcqCore

/// A pyacq RPC server (PROTOCOL §1–§4): a ROUTER socket answering the eight actions for the
/// objects in its namespace and object table. Requests are handled one at a time on the thread
/// running the server (`serveForever`, `startThread`, or `processPending` from a client that
/// waits on the same thread — the reentrancy of §4.6).
public final class RPCServer: @unchecked Sendable {
    /// The endpoint as bound (ZMQ_LAST_ENDPOINT): the server's identity inside proxies.
    public let address: String
    let socket: ZMQSocket
    private let lock = Lock()
    private var namespace: [String: RemoteEntity] = [:]
    private let table = ObjectTable()
    private var clientSerializers: [[UInt8]: Serializer] = [:]
    private var clientOrder: [[UInt8]] = []
    public private(set) var isClosed = false
    private var closeRequested = false
    private var thread: PosixThread?
    /// Requests answered so far (all actions), for monitoring.
    public private(set) var requestsHandled = 0

    /// Binds a ROUTER on `address` (default: loopback, any port).
    public init(address: String = "tcp://127.0.0.1:*") throws(PyAcqError) {
        socket = try ZMQSocket(type: ZMQ_ROUTER)
        try socket.setOption(ZMQ_LINGER, 5000)
        try socket.bind(address)
        self.address = socket.lastEndpoint
        namespace["self"] = .object(ServerObject(server: self))
    }

    // MARK: namespace and objects

    /// Publishes `entity` under `name` (what `get_item name` returns).
    public func publish(_ name: String, _ entity: RemoteEntity) {
        lock.withLock { namespace[name] = entity }
    }

    public func publish(_ name: String, object: any RemoteObject) { publish(name, .object(object)) }

    public func namespaceEntry(_ name: String) -> RemoteEntity? { lock.withLock { namespace[name] } }

    /// A proxy to `entity` with a fresh reference id (objects keep their id while referenced).
    public func proxy(for entity: RemoteEntity) -> ProxyReference {
        lock.withLock { table.proxy(for: entity, address: address) }
    }

    public func proxyValue(for object: any RemoteObject) -> Value { .proxy(proxy(for: .object(object))) }

    /// The local entity a proxy to this server designates (§3.6), attributes applied.
    public func resolve(_ ref: ProxyReference) throws(PyAcqError) -> RemoteEntity {
        guard ref.rpcAddress == address else {
            throw PyAcqError(.invalidArgument, "proxy belongs to \(ref.rpcAddress), not to this server (\(address))", exceptionType: "ValueError")
        }
        var entity = try lock.withLock { () throws(PyAcqError) in try table.entity(ref.objectId) }
        for name in ref.attributes { entity = try RPCServer.attribute(of: entity, name) }
        return entity
    }

    public static func attribute(of entity: RemoteEntity, _ name: String) throws(PyAcqError) -> RemoteEntity {
        switch entity {
        case .object(let object):
            if let found = try object.remoteAttribute(name) { return found }
            if name == "__eq__" || name == "__ne__" {
                let equal = name == "__eq__"
                return .method(RemoteMethod(name) { call throws(PyAcqError) in
                    let other = try call.required(0, "other")
                    let same: Bool
                    if let local = try call.localEntity(other), case .object(let o) = local { same = o === object } else { same = false }
                    return .value(.bool(same == equal))
                })
            }
            throw PyAcqError(.invalidArgument, "'\(object.remoteTypeString)' object has no attribute '\(name)'", exceptionType: "AttributeError")
        case .value(let value):
            if let found = ValueAttributes.lookup(value, name) { return found }
            throw PyAcqError(.invalidArgument, "'\(value.kindName)' object has no attribute '\(name)'", exceptionType: "AttributeError")
        case .method(let m):
            throw PyAcqError(.invalidArgument, "method '\(m.name)' has no attribute '\(name)'", exceptionType: "AttributeError")
        }
    }

    // MARK: running

    /// Serves requests on this thread until the server is closed.
    public func serveForever() {
        let state = ThreadState.current
        let previous = state.server
        state.server = self
        defer { state.server = previous }
        while !isClosed {
            _ = try? processPending(timeoutMs: 200)
        }
    }

    /// Runs `serveForever` on a dedicated thread.
    public func startThread(name: String = "rpc-server") {
        thread = PosixThread(name: name) { [self] in serveForever() }
    }

    /// Waits for the server thread (after a `close` request) to finish.
    public func join() { thread?.join() }

    /// Closes a server that runs on its own thread (`startThread`) as a `close` request does, so
    /// its other clients get a disconnect notice, and waits for the thread to end. Idempotent.
    public func stop(timeoutMs: Int = 1000) {
        if !isClosed {
            guard (try? RPCClient.forThread(address).closeServer(timeoutMs: timeoutMs)) != nil || isClosed else { return }
        }
        join()
    }

    /// Handles every request already queued, waiting up to `timeoutMs` for the first one.
    /// Returns the number handled. Call only from the thread that serves this server.
    @discardableResult
    public func processPending(timeoutMs: Int) throws(PyAcqError) -> Int {
        guard !isClosed else { return 0 }
        guard try socket.poll(timeoutMs: timeoutMs) else { return 0 }
        var handled = 0
        while !isClosed, let frames = try socket.receiveMessage(dontWait: true) {
            handle(frames)
            handled += 1
        }
        return handled
    }

    /// Closes the server once the request being handled has been answered (what a NodeGroup's
    /// `close()` does to its own process). Call from the server thread.
    public func closeAfterCurrentRequest() { closeRequested = true }

    // MARK: requests

    private struct Request {
        let identity: [UInt8]
        let id: Int
        let action: String
        let returnType: String
        let serializer: Serializer
        let options: Value
    }

    private func handle(_ frames: [ZMQMessage]) {
        requestsHandled += 1
        guard let identityFrame = frames.first else { return }
        let identity = identityFrame.array
        // A request id we can read gets an answer, whatever else is wrong (PROTOCOL §15.4).
        let requestId = frames.count > 1 ? RPCServer.parseRequestId(frames[1].bytes) : nil
        let serializer = frames.count > 4 ? Serializer(rawValue: String(decoding: frames[4].bytes, as: UTF8.self)) : nil
        let replySerializer = serializer ?? lock.withLock { clientSerializers[identity] } ?? .msgpack
        do throws(PyAcqError) {
            guard frames.count == 6 else {
                throw PyAcqError(.malformed, "request has \(frames.count - 1) frames; expected 5 (req_id, action, return_type, serializer, opts)", exceptionType: "ValueError")
            }
            guard let requestId else { throw PyAcqError(.malformed, "req_id frame is not a decimal integer", exceptionType: "ValueError") }
            guard let serializer else {
                throw PyAcqError(.malformed, "unknown serializer '\(String(decoding: frames[4].bytes, as: UTF8.self))'", exceptionType: "ValueError")
            }
            remember(identity, serializer)
            let options: Value = frames[5].size == 0 ? .null : try serializer.decode(frames[5].bytes)
            let request = Request(identity: identity, id: requestId, action: String(decoding: frames[2].bytes, as: UTF8.self),
                                  returnType: String(decoding: frames[3].bytes, as: UTF8.self), serializer: serializer,
                                  options: options)
            let result = try perform(request)
            if requestId >= 0 { reply(to: identity, id: requestId, serializer: serializer, rval: result, returnType: request.returnType) }
            // A `close` request notifies the other clients; a close asked for by one of our own
            // objects (NodeGroup.close) notifies every client, the caller included.
            if request.action == "close" { finishClose(caller: identity) } else if closeRequested { finishClose(caller: nil) }
        } catch {
            guard let requestId, requestId >= 0 else { return }
            sendError(error, to: identity, id: requestId, serializer: replySerializer)
            if closeRequested { finishClose(caller: nil) }
        }
    }

    static func parseRequestId(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: " \t\n")
        guard !text.isEmpty, text.count <= 20 else { return nil }
        return Int(text)
    }

    private func remember(_ identity: [UInt8], _ serializer: Serializer) {
        lock.withLock {
            if clientSerializers.updateValue(serializer, forKey: identity) == nil { clientOrder.append(identity) }
        }
    }

    private func perform(_ request: Request) throws(PyAcqError) -> RemoteEntity {
        let opts = request.options
        func option(_ key: String) throws(PyAcqError) -> Value {
            guard case .map(let map) = opts, let v = map[key] else {
                throw PyAcqError(.invalidArgument, "\(request.action) needs option '\(key)'", exceptionType: "KeyError")
            }
            return v
        }
        func optionMap() -> ValueMap { opts.mapValue ?? [:] }
        switch request.action {
        case "ping":
            return .value(.string("pong"))
        case "close":
            return .value(.bool(true))
        case "get_item":
            guard case .string(let name) = try option("name") else { throw PyAcqError(.invalidArgument, "get_item 'name' must be a str", exceptionType: "TypeError") }
            guard let entry = namespaceEntry(name) else { throw PyAcqError(.index, "'\(name)'", exceptionType: "KeyError") }
            return entry
        case "set_item":
            guard case .string(let name) = try option("name") else { throw PyAcqError(.invalidArgument, "set_item 'name' must be a str", exceptionType: "TypeError") }
            publish(name, try localize(try option("obj")))
            return .none
        case "get_obj":
            return try localize(try option("obj"))
        case "call_obj":
            let target = try localize(try option("obj"))
            let map = optionMap()
            let args: [Value]
            switch map["args"] {
            case nil: args = []
            case .array(let a)?: args = a
            default: throw PyAcqError(.invalidArgument, "call_obj 'args' must be a list", exceptionType: "TypeError")
            }
            let kwargs: ValueMap
            switch map["kwargs"] {
            case nil: kwargs = [:]
            case .map(let m)?: kwargs = m
            default: throw PyAcqError(.invalidArgument, "call_obj 'kwargs' must be a dict", exceptionType: "TypeError")
            }
            guard case .method(let method) = target else {
                throw PyAcqError(.invalidArgument, "object is not callable", exceptionType: "TypeError")
            }
            return try method.body(RemoteCall(method: method.name, args: args, kwargs: kwargs, server: self))
        case "delete":
            guard let objectId = try option("obj_id").intValue, let refId = try option("ref_id").intValue else {
                throw PyAcqError(.invalidArgument, "delete needs int 'obj_id' and 'ref_id'", exceptionType: "TypeError")
            }
            try lock.withLock { () throws(PyAcqError) in try table.release(objectId: Int64(objectId), referenceId: Int64(refId)) }
            return .none
        case "import":
            guard case .string(let module) = try option("module") else { throw PyAcqError(.invalidArgument, "import 'module' must be a str", exceptionType: "TypeError") }
            let name = module.hasPrefix(".") ? String(module.dropFirst()) : module
            guard let entity = RemoteModules.module(named: name) else {
                throw PyAcqError(.invalidArgument, "No module named '\(name)' is available on this server", exceptionType: "ModuleNotFoundError")
            }
            if case .array(let names)? = optionMap()["fromlist"], !names.isEmpty {
                var members: [Value] = []
                for n in names {
                    guard case .string(let s) = n else { throw PyAcqError(.invalidArgument, "fromlist must hold str", exceptionType: "TypeError") }
                    members.append(wireValue(for: try RPCServer.attribute(of: entity, s), returnType: "auto"))
                }
                return .value(.array(members))
            }
            return entity
        default:
            throw PyAcqError(.invalidArgument, "Invalid RPC action '\(request.action)'", exceptionType: "ValueError")
        }
    }

    /// Replaces proxies to this server's objects by the objects themselves (§3.6), at the top
    /// level (nested local proxies stay proxies; handlers resolve them with `localEntity`).
    private func localize(_ value: Value) throws(PyAcqError) -> RemoteEntity {
        if case .proxy(let ref) = value, ref.rpcAddress == address { return try resolve(ref) }
        return .value(value)
    }

    /// The value sent for `entity` under a return type (PROTOCOL §2.9).
    private func wireValue(for entity: RemoteEntity, returnType: String) -> Value {
        switch (entity, returnType) {
        case (.value(let v), "proxy"): return .proxy(proxy(for: .value(v)))
        case (.value(let v), _): return v
        default: return .proxy(proxy(for: entity))
        }
    }

    private func reply(to identity: [UInt8], id: Int, serializer: Serializer, rval: RemoteEntity, returnType: String) {
        let message: ValueMap = ["action": .string("return"), "req_id": .int(id),
                                 "rval": wireValue(for: rval, returnType: returnType), "error": .null]
        do throws(PyAcqError) {
            try send(to: identity, try serializer.encode(.map(message)))
        } catch {
            sendError(PyAcqError(.internalError, "cannot serialize the result: \(error.message)", exceptionType: "TypeError"),
                      to: identity, id: id, serializer: serializer)
        }
    }

    private func sendError(_ error: PyAcqError, to identity: [UInt8], id: Int, serializer: Serializer) {
        let who = String(decoding: identity, as: UTF8.self)
        let lines: [Value] = [
            .string("Error while processing request \(who) [\(id)]: "),
            .string(" < exception caught here >\n"),
            .string("\(error.exceptionType): \(error.message)\n"),
        ]
        let message: ValueMap = ["action": .string("return"), "req_id": .int(id), "rval": .null,
                                 "error": .array([.string(error.exceptionType), .array(lines)])]
        if let bytes = try? serializer.encode(.map(message)) { try? send(to: identity, bytes) }
    }

    private func send(to identity: [UInt8], _ payload: [UInt8]) throws(PyAcqError) {
        try socket.send(bytes: [identity, payload])
    }

    /// After replying to `close`: disconnect notices to every other client (§1.5), then close.
    private func finishClose(caller: [UInt8]?) {
        let others = lock.withLock { clientOrder.filter { $0 != caller }.map { ($0, clientSerializers[$0] ?? .msgpack) } }
        for (identity, serializer) in others {
            if let bytes = try? serializer.encode(.map(["action": .string("disconnect")])) { try? send(to: identity, bytes) }
        }
        isClosed = true
        socket.close()
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

/// What `get_item "self"` returns: a few facts about the server itself.
final class ServerObject: RemoteObject {
    weak var server: RPCServer?
    init(server: RPCServer) { self.server = server }
    var remoteTypeString: String { "<class 'pyacq.core.rpc.server.RPCServer'>" }
    func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? {
        switch name {
        case "address": return .value(.string(server?.address ?? ""))
        default: return nil
        }
    }
}
