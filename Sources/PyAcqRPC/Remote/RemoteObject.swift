import PyAcqCore

/// What a proxy can designate on a server: a plain value, an object, or a bound method.
public enum RemoteEntity {
    case value(Value)
    case object(any RemoteObject)
    case method(RemoteMethod)

    public static var none: RemoteEntity { .value(.null) }
}

/// A callable: positional and keyword values in, an entity out.
public struct RemoteMethod {
    public let name: String
    public let body: (RemoteCall) throws(PyAcqError) -> RemoteEntity

    public init(_ name: String, _ body: @escaping (RemoteCall) throws(PyAcqError) -> RemoteEntity) {
        self.name = name
        self.body = body
    }
}

/// An object reachable through proxies. Swift has no reflection to lean on, so each type
/// declares what it exposes in one dispatch table; nothing else is reachable from the wire.
public protocol RemoteObject: AnyObject {
    /// Shown in proxies' `type_str`, e.g. `<class 'pyacq.core.stream.OutputStream'>`.
    var remoteTypeString: String { get }
    /// The attribute or method `name`, or nil when the object has none.
    func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity?
}

/// A dispatch table for one remote type: methods and attribute getters by name.
/// Built once, then only read: safe to share between threads.
public struct RemoteInterface<Target: AnyObject>: @unchecked Sendable {
    public typealias Method = (Target, RemoteCall) throws(PyAcqError) -> RemoteEntity
    public typealias Getter = (Target) throws(PyAcqError) -> RemoteEntity

    private var methods: [String: Method] = [:]
    private var getters: [String: Getter] = [:]

    public init() {}

    public mutating func method(_ name: String, _ body: @escaping Method) { methods[name] = body }

    /// A method whose result is None.
    public mutating func action(_ name: String, _ body: @escaping (Target, RemoteCall) throws(PyAcqError) -> Void) {
        method(name) { (target: Target, call: RemoteCall) throws(PyAcqError) -> RemoteEntity in
            try body(target, call)
            return RemoteEntity.none
        }
    }
    public mutating func attribute(_ name: String, _ body: @escaping Getter) { getters[name] = body }

    public func lookup(_ name: String, on target: Target) throws(PyAcqError) -> RemoteEntity? {
        if let getter = getters[name] { return try getter(target) }
        if let body = methods[name] {
            return .method(RemoteMethod(name) { call throws(PyAcqError) in try body(target, call) })
        }
        return nil
    }

    public var names: [String] { (Array(methods.keys) + Array(getters.keys)).sorted() }
}

/// The arguments of one call, with typed accessors that produce Python-style errors.
public struct RemoteCall {
    public let method: String
    public let args: [Value]
    public let kwargs: ValueMap
    /// The server handling the call (to resolve proxies to its own objects, mint proxies…).
    public let server: RPCServer?

    public init(method: String, args: [Value], kwargs: ValueMap, server: RPCServer?) {
        self.method = method
        self.args = args
        self.kwargs = kwargs
        self.server = server
    }

    /// Positional argument `position` or keyword `name`, nil if absent.
    public func argument(_ position: Int, _ name: String) -> Value? {
        if position < args.count { return args[position] }
        return kwargs[name]
    }

    public func required(_ position: Int, _ name: String) throws(PyAcqError) -> Value {
        guard let v = argument(position, name) else {
            throw PyAcqError(.invalidArgument, "\(method)() missing required argument '\(name)'", exceptionType: "TypeError")
        }
        return v
    }

    public func string(_ position: Int, _ name: String) throws(PyAcqError) -> String {
        guard case .string(let s) = try required(position, name) else {
            throw PyAcqError(.invalidArgument, "\(method)() argument '\(name)' must be a str", exceptionType: "TypeError")
        }
        return s
    }

    public func int(_ position: Int, _ name: String, default fallback: Int? = nil) throws(PyAcqError) -> Int {
        guard let v = argument(position, name), !v.isNull else {
            if let fallback { return fallback }
            throw PyAcqError(.invalidArgument, "\(method)() missing required argument '\(name)'", exceptionType: "TypeError")
        }
        guard let i = v.intValue else {
            throw PyAcqError(.invalidArgument, "\(method)() argument '\(name)' must be an int, got \(v.kindName)", exceptionType: "TypeError")
        }
        return i
    }

    public func bool(_ position: Int, _ name: String, default fallback: Bool) throws(PyAcqError) -> Bool {
        guard let v = argument(position, name), !v.isNull else { return fallback }
        if let b = v.boolValue { return b }
        if let i = v.intValue { return i != 0 }
        throw PyAcqError(.invalidArgument, "\(method)() argument '\(name)' must be a bool", exceptionType: "TypeError")
    }

    /// A keyword map such as `configure(**kwargs)`: the kwargs, or a single map positional.
    public var keywordMap: ValueMap {
        if kwargs.isEmpty, let first = args.first, case .map(let m) = first { return m }
        return kwargs
    }

    /// The local object designated by a proxy argument that belongs to this server.
    public func localEntity(_ value: Value) throws(PyAcqError) -> RemoteEntity? {
        guard case .proxy(let ref) = value, let server, ref.rpcAddress == server.address else { return nil }
        return try server.resolve(ref)
    }
}

/// Generic behaviour of plain values seen through a proxy: indexing, length, membership,
/// comparisons and the dict/list methods pyacq users reach for.
enum ValueAttributes {
    static func lookup(_ value: Value, _ name: String) -> RemoteEntity? {
        let method = { (body: @escaping (RemoteCall) throws(PyAcqError) -> Value) -> RemoteEntity in
            .method(RemoteMethod(name) { call throws(PyAcqError) in .value(try body(call)) })
        }
        switch name {
        case "__getitem__": return method { call throws(PyAcqError) in try item(value, try call.required(0, "key")) }
        case "__len__":
            return method { _ throws(PyAcqError) in
                switch value {
                case .array(let a): return .int(a.count)
                case .map(let m): return .int(m.count)
                case .string(let s): return .int(s.count)
                case .bytes(let b): return .int(b.count)
                default: throw PyAcqError(.invalidArgument, "object of type '\(value.kindName)' has no len()", exceptionType: "TypeError")
                }
            }
        case "__contains__":
            return method { call throws(PyAcqError) in
                let key = try call.required(0, "key")
                switch value {
                case .map(let m): return .bool(key.stringValue.map(m.contains) ?? false)
                case .array(let a): return .bool(a.contains { $0.looselyEquals(key) })
                default: return .bool(false)
                }
            }
        case "__eq__": return method { call throws(PyAcqError) in .bool(value.looselyEquals(try call.required(0, "other"))) }
        case "__ne__": return method { call throws(PyAcqError) in .bool(!value.looselyEquals(try call.required(0, "other"))) }
        case "__repr__", "__str__": return method { _ throws(PyAcqError) in .string((try? value.jsonText()) ?? value.kindName) }
        case "keys" where value.mapValue != nil: return method { _ throws(PyAcqError) in .array(value.mapValue!.keys.map { .string($0) }) }
        case "values" where value.mapValue != nil: return method { _ throws(PyAcqError) in .array(value.mapValue!.entries.map(\.value)) }
        case "items" where value.mapValue != nil:
            return method { _ throws(PyAcqError) in .array(value.mapValue!.entries.map { .array([.string($0.key), $0.value]) }) }
        case "get" where value.mapValue != nil:
            return method { call throws(PyAcqError) in
                value.mapValue![try call.string(0, "key")] ?? call.argument(1, "default") ?? .null
            }
        default: return nil
        }
    }

    static func item(_ value: Value, _ key: Value) throws(PyAcqError) -> Value {
        switch (value, key) {
        case (.map(let m), .string(let k)):
            guard let v = m[k] else { throw PyAcqError(.index, "'\(k)'", exceptionType: "KeyError") }
            return v
        case (.array(let a), _):
            guard let i = key.intValue else { throw PyAcqError(.invalidArgument, "list indices must be integers", exceptionType: "TypeError") }
            let j = i < 0 ? i + a.count : i
            guard j >= 0 && j < a.count else { throw PyAcqError(.index, "list index out of range", exceptionType: "IndexError") }
            return a[j]
        default:
            throw PyAcqError(.invalidArgument, "'\(value.kindName)' object is not subscriptable by \(key.kindName)", exceptionType: "TypeError")
        }
    }
}

/// A plain value kept on the server because a client asked for a proxy to it.
final class ValueBox: RemoteObject {
    let value: Value
    init(_ value: Value) { self.value = value }
    var remoteTypeString: String { "<class '\(value.kindName)'>" }
    func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? { ValueAttributes.lookup(value, name) }
}

/// A bound method kept on the server as a proxied object.
final class MethodBox: RemoteObject {
    let method: RemoteMethod
    init(_ method: RemoteMethod) { self.method = method }
    var remoteTypeString: String { "<class 'method'>" }
    func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? { nil }
}
