import PyAcqCore

/// A Swift caller's handle on a remote object (PROTOCOL §4). Attribute access is deferred
/// (nothing is sent until a call or a value read); every request goes through the calling
/// thread's client for the proxy's server, so a proxy may be used from any thread.
@dynamicMemberLookup
public struct ObjectProxy: Equatable, Sendable {
    public let reference: ProxyReference

    public init(_ reference: ProxyReference) { self.reference = reference }

    public var address: String { reference.rpcAddress }

    /// Two proxies designate the same object when address and object id match (§4.1).
    public static func == (a: ObjectProxy, b: ObjectProxy) -> Bool {
        a.reference.rpcAddress == b.reference.rpcAddress && a.reference.objectId == b.reference.objectId
    }

    /// `proxy.name`: a new proxy with `name` appended to the attribute path.
    public func attribute(_ name: String) -> ObjectProxy {
        var ref = reference
        ref.attributes.append(name)
        return ObjectProxy(ref)
    }

    public subscript(dynamicMember name: String) -> ObjectProxy { attribute(name) }

    public var wireValue: Value { .proxy(reference) }

    func client() throws(PyAcqError) -> RPCClient { try RPCClient.forThread(reference.rpcAddress) }

    /// This thread's client and what is left of `timeoutMs` once it is connected: a first call
    /// to a server that never answers still returns within the caller's timeout.
    func client(within timeoutMs: Int) throws(PyAcqError) -> (RPCClient, remainingMs: Int) {
        guard timeoutMs >= 0 else { return (try client(), -1) }
        let start = monotonicSeconds()
        let c = try RPCClient.forThread(reference.rpcAddress, connectTimeoutMs: max(1, min(1000, timeoutMs)))
        return (c, max(0, timeoutMs - Int((monotonicSeconds() - start) * 1000)))
    }

    /// Calls the designated callable. Returns nil only for `.off`; `.async` returns the future
    /// without waiting.
    @discardableResult
    public func call(_ args: [Value] = [], _ kwargs: ValueMap = [:], returnType: String = "auto", mode: CallMode = .sync,
                     timeoutMs: Int = RPCClient.defaultTimeoutMs) throws(PyAcqError) -> RPCFuture? {
        let options: Value = .map(["obj": wireValue, "args": .array(args), "kwargs": .map(kwargs)])
        return try client().request("call_obj", options: options, returnType: returnType, mode: mode, timeoutMs: timeoutMs)
    }

    /// Calls and waits: the result as a proxy or a value.
    public func invoke(_ args: [Value] = [], _ kwargs: ValueMap = [:], returnType: String = "auto",
                       timeoutMs: Int = RPCClient.defaultTimeoutMs) throws(PyAcqError) -> ObjectProxyOrValue {
        let options: Value = .map(["obj": wireValue, "args": .array(args), "kwargs": .map(kwargs)])
        let (c, remaining) = try client(within: timeoutMs)
        return c.wrap(try c.call("call_obj", options: options, returnType: returnType, timeoutMs: remaining))
    }

    /// `_get_value()`: the object by value.
    public func value(timeoutMs: Int = RPCClient.defaultTimeoutMs) throws(PyAcqError) -> Value {
        let (c, remaining) = try client(within: timeoutMs)
        return try c.call("get_obj", options: .map(["obj": wireValue]), returnType: "value", timeoutMs: remaining)
    }

    /// `_undefer()`: resolves the attribute path on the server and returns a proxy to the
    /// object itself (or its value, with `returnType: "value"`).
    public func resolved(returnType: String = "proxy", timeoutMs: Int = RPCClient.defaultTimeoutMs) throws(PyAcqError) -> ObjectProxyOrValue {
        let (c, remaining) = try client(within: timeoutMs)
        return c.wrap(try c.call("get_obj", options: .map(["obj": wireValue]), returnType: returnType, timeoutMs: remaining))
    }

    /// `_delete()`: drops this proxy's reference on the server.
    public func delete(timeoutMs: Int = RPCClient.defaultTimeoutMs) throws(PyAcqError) {
        let (c, remaining) = try client(within: timeoutMs)
        _ = try c.call("delete", options: .map(["obj_id": .int(reference.objectId), "ref_id": .int(reference.referenceId)]),
                       timeoutMs: remaining)
    }
}
