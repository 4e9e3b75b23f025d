import CZeroMQ
import PyAcqCore
#if canImport(Glibc)
import Glibc
#endif

/// How a call waits for its reply (PROTOCOL §4.3): block, return a future, or ask for none.
public enum CallMode: String, Sendable { case sync, async, off }

/// The result of a request, filled when the reply arrives. Wait on the thread that sent it:
/// waiting is what reads the socket.
public final class RPCFuture: @unchecked Sendable {
    public let requestId: Int
    let client: RPCClient
    private let creator = pthread_self()
    fileprivate(set) var outcome: Result<Value, PyAcqError>?

    init(requestId: Int, client: RPCClient) {
        self.requestId = requestId
        self.client = client
    }

    public var isDone: Bool { outcome != nil }

    /// The result, waiting up to `timeoutMs` (-1 = forever). Remote exceptions come back as
    /// `.remote` errors carrying the remote exception type.
    public func wait(timeoutMs: Int = -1) throws(PyAcqError) -> Value {
        if outcome == nil {
            guard pthread_equal(creator, pthread_self()) != 0 else {
                throw PyAcqError(.state, "a future must be waited on by the thread that sent its request", exceptionType: "RuntimeError")
            }
            try client.process(until: self, timeoutMs: timeoutMs)
        }
        guard let outcome else { throw PyAcqError(.timeout, "no reply to request \(requestId) from \(client.address) within \(timeoutMs) ms") }
        return try outcome.get()
    }
}

/// A DEALER connection to one RPC server (PROTOCOL §1.2–§1.7). One client exists per
/// (thread, address); get it with `RPCClient.forThread`. While a client waits, the thread's
/// own server keeps serving (§4.6), so call chains that loop back never deadlock.
public final class RPCClient: @unchecked Sendable {
    public let address: String
    public let identity: String
    public var serializer: Serializer = .msgpack
    public private(set) var isDisconnected = false
    public static let defaultTimeoutMs = 10_000

    private let socket: ZMQSocket
    private var nextRequestId = 0
    private var pending: [Int: RPCFuture] = [:]

    /// The calling thread's client for `address`, connecting (with the ping loop) if needed.
    public static func forThread(_ address: String, connectTimeoutMs: Int = 1000) throws(PyAcqError) -> RPCClient {
        let state = ThreadState.current
        if let client = state.clients[address], !client.isDisconnected { return client }
        let client = try RPCClient(address: address, threadName: state.threadName, connectTimeoutMs: connectTimeoutMs)
        state.clients[address] = client
        return client
    }

    private init(address: String, threadName: String, connectTimeoutMs: Int) throws(PyAcqError) {
        self.address = address
        identity = "\(ProcessNames.host).\(ProcessNames.process).\(threadName):\(address)"
        socket = try ZMQSocket(type: ZMQ_DEALER)
        try socket.setOption(ZMQ_LINGER, 1000)
        try socket.setOption(ZMQ_IDENTITY, bytes: Array(identity.utf8))
        try socket.connect(address)
        try waitForServer(timeoutMs: connectTimeoutMs)
    }

    /// The connection ping loop: a ping every 100 ms until the first pong (§1.6).
    private func waitForServer(timeoutMs: Int) throws(PyAcqError) {
        let deadline = monotonicSeconds() + Double(timeoutMs) / 1000
        while monotonicSeconds() < deadline {
            guard let future = try request("ping", options: nil, mode: .async) else { break }
            let slice = min(100, max(1, Int((deadline - monotonicSeconds()) * 1000)))
            try process(until: future, timeoutMs: slice)
            if future.isDone {
                pending[future.requestId] = nil
                _ = try future.wait(timeoutMs: 0)
                return
            }
            pending[future.requestId] = nil  // a late pong is dropped
        }
        throw PyAcqError(.timeout, "no RPC server answered at \(address) within \(timeoutMs) ms", exceptionType: "TimeoutError")
    }

    /// Sends one request. `.off` sends `req_id -1` and returns nil.
    @discardableResult
    public func request(_ action: String, options: Value?, returnType: String = "auto", mode: CallMode = .sync,
                        timeoutMs: Int = RPCClient.defaultTimeoutMs) throws(PyAcqError) -> RPCFuture? {
        guard !isDisconnected else { throw PyAcqError(.closed, "server \(address) has already disconnected", exceptionType: "RuntimeError") }
        let requestId = mode == .off ? -1 : nextRequestId
        if mode != .off { nextRequestId += 1 }
        let opts: [UInt8] = try options.map { v throws(PyAcqError) in try serializer.encode(v) } ?? []
        try socket.send(bytes: [Array(String(requestId).utf8), Array(action.utf8), Array(returnType.utf8),
                                Array(serializer.rawValue.utf8), opts])
        guard mode != .off else { return nil }
        let future = RPCFuture(requestId: requestId, client: self)
        pending[requestId] = future
        if mode == .sync {
            _ = try future.wait(timeoutMs: timeoutMs)
        }
        return future
    }

    /// Sends a request and waits for its value.
    public func call(_ action: String, options: Value?, returnType: String = "auto",
                     timeoutMs: Int = RPCClient.defaultTimeoutMs) throws(PyAcqError) -> Value {
        guard let future = try request(action, options: options, returnType: returnType, mode: .async) else { return .null }
        return try future.wait(timeoutMs: timeoutMs)
    }

    /// Reads replies (and serves this thread's server) until `future` is done or time is up.
    func process(until future: RPCFuture?, timeoutMs: Int) throws(PyAcqError) {
        let deadline = timeoutMs < 0 ? Double.infinity : monotonicSeconds() + Double(timeoutMs) / 1000
        while !(future?.isDone ?? false) {
            let server = ThreadState.current.server
            let remaining = deadline - monotonicSeconds()
            if remaining <= 0 { return }
            let slice = remaining.isInfinite ? 100 : min(100, Int(remaining * 1000) + 1)
            var items = [zmq_pollitem_t(socket: socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)]
            if let server, !server.isClosed {
                items.append(zmq_pollitem_t(socket: server.socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
            }
            let rc = zmq_poll(&items, Int32(items.count), slice)
            if rc < 0 {
                if zmq_errno() == EINTR { continue }
                throw PyAcqError(.io, "zmq_poll failed while waiting for \(address)")
            }
            if items[0].revents & Int16(ZMQ_POLLIN) != 0 {
                while let frames = try socket.receiveMessage(dontWait: true) { handleIncoming(frames) }
            }
            if items.count > 1, items[1].revents & Int16(ZMQ_POLLIN) != 0 {
                try server?.processPending(timeoutMs: 0)
            }
            if isDisconnected, let future, !future.isDone {
                future.outcome = .failure(PyAcqError(.closed, "server \(address) has already disconnected", exceptionType: "RuntimeError"))
            }
        }
    }

    private func handleIncoming(_ frames: [ZMQMessage]) {
        guard frames.count == 1, let message = try? serializer.decode(frames[0].bytes), case .map(let map) = message else { return }
        switch map["action"] {
        case .string("disconnect")?:
            markDisconnected()
        case .string("return")?:
            guard let id = map["req_id"]?.intValue, let future = pending.removeValue(forKey: id) else { return }  // late reply
            if let error = map["error"], !error.isNull {
                future.outcome = .failure(RPCClient.remoteError(error, address: address))
            } else {
                future.outcome = .success(map["rval"] ?? .null)
            }
        default:
            return
        }
    }

    private func markDisconnected() {
        isDisconnected = true
        for future in pending.values where !future.isDone {
            future.outcome = .failure(PyAcqError(.closed, "server \(address) has already disconnected", exceptionType: "RuntimeError"))
        }
        pending = [:]
    }

    static func remoteError(_ error: Value, address: String) -> PyAcqError {
        guard case .array(let parts) = error, parts.count == 2, case .string(let type) = parts[0] else {
            return PyAcqError(.remote, "malformed error reply from \(address)")
        }
        let lines = parts[1].arrayValue?.compactMap(\.stringValue) ?? []
        let last = lines.last?.trimmingCharacters(in: "\n ") ?? type
        return PyAcqError(.remote, "remote \(last) (from \(address))", exceptionType: type, traceback: lines.joined())
    }

    // MARK: actions

    public func ping(timeoutMs: Int = 1000) throws(PyAcqError) -> Value { try call("ping", options: nil, timeoutMs: timeoutMs) }

    public func getItem(_ name: String) throws(PyAcqError) -> ObjectProxyOrValue {
        wrap(try call("get_item", options: .map(["name": .string(name)])))
    }

    public func setItem(_ name: String, _ value: Value) throws(PyAcqError) {
        _ = try call("set_item", options: .map(["name": .string(name), "obj": value]))
    }

    public func importModule(_ name: String) throws(PyAcqError) -> ObjectProxyOrValue {
        wrap(try call("import", options: .map(["module": .string(name)])))
    }

    /// Asks the server to close (it notifies its other clients first).
    public func closeServer(timeoutMs: Int = 1000) throws(PyAcqError) {
        let result = try call("close", options: nil, timeoutMs: timeoutMs)
        if result == .bool(true) { markDisconnected() }
    }

    /// Sends any value and gets a proxy to a server-side copy (pyacq's `transfer`).
    public func transfer(_ value: Value) throws(PyAcqError) -> ObjectProxyOrValue {
        wrap(try call("get_obj", options: .map(["obj": value]), returnType: "proxy"))
    }

    func wrap(_ value: Value) -> ObjectProxyOrValue {
        if case .proxy(let ref) = value { return .proxy(ObjectProxy(ref)) }
        return .value(value)
    }
}

/// A call result: a proxy, or a value sent by value.
public enum ObjectProxyOrValue {
    case proxy(ObjectProxy)
    case value(Value)

    public var proxy: ObjectProxy? { if case .proxy(let p) = self { return p } else { return nil } }
    public var value: Value? { if case .value(let v) = self { return v } else { return nil } }
}
