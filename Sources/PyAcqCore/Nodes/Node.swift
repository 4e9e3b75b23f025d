/// The base of every node (PROTOCOL §7.5): configure → connect inputs / configure outputs →
/// initialize → start/stop (repeatable) → close. Subclasses declare their stream specs and
/// override the `did…` hooks; the base class enforces the order and says what to do when a
/// call comes out of it.
open class Node: @unchecked Sendable {
    public enum State: String, Sendable { case created, configured, initialized, running, stopped, closed }

    public let name: String
    public private(set) var state: State = .created
    public private(set) var inputs: [(name: String, stream: InputStream)] = []
    public private(set) var outputs: [(name: String, stream: OutputStream)] = []
    private let lock = Lock()

    /// The registered type name (`create_node` uses it).
    open class var typeName: String { String(describing: self) }
    /// Input and output specs, copied for each instance (pyacq shares them; we don't).
    open class var inputSpecs: [(String, ValueMap)] { [] }
    open class var outputSpecs: [(String, ValueMap)] { [] }

    public required init(name: String) {
        self.name = name
        for (streamName, spec) in Self.inputSpecs { addInput(streamName, spec: spec) }
        for (streamName, spec) in Self.outputSpecs { addOutput(streamName, spec: spec) }
    }

    // MARK: streams

    @discardableResult
    public func addInput(_ streamName: String, spec: ValueMap) -> InputStream {
        let stream = InputStream(spec: spec, name: "\(name).\(streamName)")
        stream.onConnected = { [weak self] _ in self?.inputConnected(streamName) }
        inputs.append((streamName, stream))
        return stream
    }

    @discardableResult
    public func addOutput(_ streamName: String, spec: ValueMap) -> OutputStream {
        let stream = OutputStream(spec: spec, name: "\(name).\(streamName)")
        stream.onConfigured = { [weak self] _ in self?.outputConfigured(streamName) }
        outputs.append((streamName, stream))
        return stream
    }

    /// Replaces an output by a new one with `spec` (nodes whose output spec depends on their
    /// configuration do this in `didConfigure`, before the output is configured).
    public func setOutputSpec(_ streamName: String, _ spec: ValueMap) {
        guard let i = outputs.firstIndex(where: { $0.name == streamName }) else {
            addOutput(streamName, spec: spec)
            return
        }
        outputs[i].stream.close()
        outputs.remove(at: i)
        let stream = addOutput(streamName, spec: spec)
        outputs.insert(outputs.removeLast(), at: i)
        _ = stream
    }

    public func removeOutputs() {
        for (_, stream) in outputs { stream.close() }
        outputs = []
    }

    public func input(named streamName: String) throws(PyAcqError) -> InputStream {
        guard let s = inputs.first(where: { $0.name == streamName })?.stream else {
            throw PyAcqError(.invalidArgument, "node '\(name)' has no input '\(streamName)' (inputs: \(inputs.map(\.name)))", exceptionType: "KeyError")
        }
        return s
    }

    public func output(named streamName: String) throws(PyAcqError) -> OutputStream {
        guard let s = outputs.first(where: { $0.name == streamName })?.stream else {
            throw PyAcqError(.invalidArgument, "node '\(name)' has no output '\(streamName)' (outputs: \(outputs.map(\.name)))", exceptionType: "KeyError")
        }
        return s
    }

    /// `node.input`: valid only when the node has exactly one input.
    public var input: InputStream {
        get throws(PyAcqError) {
            guard inputs.count == 1 else {
                throw PyAcqError(.state, "node '\(name)' has \(inputs.count) inputs; use inputs[name]", exceptionType: "AttributeError")
            }
            return inputs[0].stream
        }
    }

    public var output: OutputStream {
        get throws(PyAcqError) {
            guard outputs.count == 1 else {
                throw PyAcqError(.state, "node '\(name)' has \(outputs.count) outputs; use outputs[name]", exceptionType: "AttributeError")
            }
            return outputs[0].stream
        }
    }

    // MARK: lifecycle

    public var isConfigured: Bool { lock.withLock { state != .created } }
    public var isInitialized: Bool { lock.withLock { [.initialized, .running, .stopped].contains(state) } }
    public var isRunning: Bool { lock.withLock { state == .running } }
    public var isClosed: Bool { lock.withLock { state == .closed } }

    private func require(_ allowed: Set<State>, to action: String, hint: String) throws(PyAcqError) {
        let current = lock.withLock { state }
        guard allowed.contains(current) else {
            throw PyAcqError(.state, "cannot \(action) node '\(name)' while it is \(current.rawValue): \(hint)", exceptionType: "RuntimeError")
        }
    }

    public final func configure(_ kwargs: ValueMap = [:]) throws(PyAcqError) {
        try require([.created, .configured, .initialized, .stopped], to: "configure",
                    hint: state == .running ? "stop() it first" : "create a new node")
        try didConfigure(kwargs)
        lock.withLock { state = .configured }
    }

    public final func initialize() throws(PyAcqError) {
        try require([.configured, .initialized, .stopped], to: "initialize", hint: "call configure() first")
        for (streamName, stream) in outputs where !stream.isConfigured {
            throw PyAcqError(.state, "output '\(streamName)' of node '\(name)' is not configured; call node.outputs['\(streamName)'].configure(...) before initialize()",
                             exceptionType: "RuntimeError")
        }
        try didInitialize()
        lock.withLock { state = .initialized }
    }

    /// Starts processing. Output indexes restart at 0 (PROTOCOL §7.5).
    public final func start() throws(PyAcqError) {
        try require([.initialized, .stopped], to: "start", hint: state == .running ? "it is already running" : "call configure() and initialize() first")
        for (_, stream) in outputs { try stream.resetIndex() }
        lock.withLock { state = .running }
        do { try didStart() } catch {
            lock.withLock { state = .stopped }
            throw error
        }
    }

    public final func stop() throws(PyAcqError) {
        try require([.running], to: "stop", hint: "it is not running")
        try didStop()
        lock.withLock { state = .stopped }
    }

    public final func close() throws(PyAcqError) {
        if isRunning { try stop() }
        guard !isClosed else { return }
        try didClose()
        for (_, s) in inputs { s.close() }
        for (_, s) in outputs { s.close() }
        lock.withLock { state = .closed }
    }

    // MARK: hooks for subclasses

    open func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        if let unknown = kwargs.keys.first {
            throw PyAcqError(.badParams, "\(Self.typeName).configure() got an unexpected keyword '\(unknown)'", exceptionType: "TypeError")
        }
    }
    open func didInitialize() throws(PyAcqError) {}
    open func didStart() throws(PyAcqError) {}
    open func didStop() throws(PyAcqError) {}
    open func didClose() throws(PyAcqError) {}
    /// Runtime parameters (pyacq's `node.params[...]`), changeable while running.
    open var parameterNames: [String] { [] }
    open func parameter(_ name: String) -> Value? { nil }
    open func setParameter(_ name: String, _ value: Value) throws(PyAcqError) {
        throw PyAcqError(.badParams, "\(Self.typeName) has no parameter '\(name)' (parameters: \(parameterNames.joined(separator: ", ")))", exceptionType: "KeyError")
    }

    /// Node-specific methods reachable by name from remote peers and the C ABI (e.g. a
    /// trigger's `set_threshold`); nil when the node has no such method.
    open func callMethod(_ method: String, args: [Value], kwargs: ValueMap) throws(PyAcqError) -> Value? { nil }
    /// Node-specific attributes readable by name; nil when unknown.
    open func attribute(_ attributeName: String) -> Value? { nil }
    open func inputConnected(_ streamName: String) {}
    open func outputConfigured(_ streamName: String) {}
}

/// Node types by the names `create_node` uses (PROTOCOL §14).
public enum NodeRegistry {
    nonisolated(unsafe) private static var types: [String: Node.Type] = [:]
    private static let lock = Lock()

    public static func register(_ type: Node.Type, as name: String? = nil) throws(PyAcqError) {
        let key = name ?? type.typeName
        try lock.withLock { () throws(PyAcqError) in
            if let existing = types[key], existing != type {
                throw PyAcqError(.badParams, "node type '\(key)' is already registered", exceptionType: "ValueError")
            }
            types[key] = type
        }
    }

    public static var names: [String] { lock.withLock { types.keys.sorted() } }

    public static func create(_ typeName: String, name: String) throws(PyAcqError) -> Node {
        guard let type = lock.withLock({ types[typeName] }) else {
            throw PyAcqError(.badParams, "unknown node type '\(typeName)'; available types: \(names.joined(separator: ", "))", exceptionType: "KeyError")
        }
        return type.init(name: name)
    }
}
