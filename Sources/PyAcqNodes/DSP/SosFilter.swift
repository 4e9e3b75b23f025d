import PyAcqCore

/// Causal IIR filtering with second-order sections and state kept across chunks
/// (PROTOCOL §14.2), output sent with the input's index. `set_coefficients` works while running.
public final class SosFilter: Node, @unchecked Sendable {
    public override class var typeName: String { "SosFilter" }
    public override class var inputSpecs: [(String, ValueMap)] { [("signals", ["streamtype": .string("signals")])] }
    public override class var outputSpecs: [(String, ValueMap)] { [("signals", ["streamtype": .string("signals")])] }

    private var sos: NDArray?
    private var cascade: SosCascade?
    private let filterLock = Lock()
    private var poller: InputPoller?

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        try DSPConfig.reject(kwargs, allowing: ["coefficients", "engine", "chunksize"], node: Self.typeName)
        sos = try DSPConfig.coefficients(kwargs, node: Self.typeName)
    }

    public override func inputConnected(_ streamName: String) { DSPConfig.inheritOutput(from: inputs[0].stream, to: outputs[0].stream) }

    public override func didInitialize() throws(PyAcqError) {
        guard let params = try input.params else { throw PyAcqError(.state, "connect the input before initialize()") }
        try FloatBuffers.requireFloat(try params.dtype(), node: Self.typeName)
        let channels = try params.shape().dropFirst().reduce(1, *)
        guard let sos else { throw PyAcqError(.state, "configure SosFilter first") }
        let cascade = try SosCascade(sos: sos, channels: channels)
        filterLock.withLock { self.cascade = cascade }
    }

    /// Replaces the coefficients; the state is kept when the section count is unchanged.
    public func setCoefficients(_ c: NDArray) throws(PyAcqError) {
        try filterLock.withLock { () throws(PyAcqError) in
            if cascade != nil { try cascade!.setCoefficients(c) }
            sos = c
        }
    }

    public override func callMethod(_ method: String, args: [Value], kwargs: ValueMap) throws(PyAcqError) -> Value? {
        guard method == "set_coefficients" else { return nil }
        guard case .ndarray(let c)? = args.first ?? kwargs["coefficients"] else {
            throw PyAcqError(.badParams, "set_coefficients needs an ndarray", exceptionType: "TypeError")
        }
        try setCoefficients(c)
        return .null
    }

    public override func didStart() throws(PyAcqError) {
        let output = try self.output
        let target = try output.params.dtype()
        filterLock.withLock { cascade?.reset() }
        poller = InputPoller(input: try input) { [self] chunk throws(PyAcqError) in
            guard let data = chunk.data else { return }
            let out = try filterLock.withLock { () throws(PyAcqError) -> NDArray? in try cascade?.filter(data, as: target) }
            if let out { try output.send(out.view, index: chunk.index) }
        }
        poller?.start(name: "\(name)-sos")
    }

    public override func didStop() throws(PyAcqError) {
        poller?.stop()
        poller = nil
    }
}

/// Shared configure checks of the DSP nodes.
enum DSPConfig {
    static func reject(_ kwargs: ValueMap, allowing allowed: Set<String>, node: String) throws(PyAcqError) {
        if let unknown = kwargs.keys.first(where: { !allowed.contains($0) }) {
            throw PyAcqError(.badParams, "\(node).configure() got an unexpected keyword '\(unknown)'", exceptionType: "TypeError")
        }
    }

    /// Validated `coefficients` (and `engine`) of a filter's configure.
    static func coefficients(_ kwargs: ValueMap, node: String) throws(PyAcqError) -> NDArray {
        guard case .ndarray(let c)? = kwargs["coefficients"] else {
            throw PyAcqError(.badParams, "\(node) needs coefficients=<ndarray (n_sections, 6)>", exceptionType: "ValueError")
        }
        _ = try SosCascade(sos: c, channels: c.shape.count == 3 ? c.shape[0] : 1)
        try checkEngine(kwargs["engine"])
        return c
    }

    /// pyacq's engine names all select this implementation.
    static func checkEngine(_ engine: Value?) throws(PyAcqError) {
        guard let engine, !engine.isNull else { return }
        guard let name = engine.stringValue, ["scipy", "numpy", "opencl", "opencl2", "opencl3", "swift"].contains(name) else {
            throw PyAcqError(.badParams, "unknown engine \(engine); use 'scipy'", exceptionType: "ValueError")
        }
    }

    /// The output keeps the input's rate, dtype, shape and channel names.
    static func inheritOutput(from input: InputStream, to output: OutputStream) {
        guard let params = input.params else { return }
        var inherited = ValueMap()
        for key in ["sample_rate", "dtype", "shape", "channel_info"] { inherited[key] = params[key] }
        output.inheritedDefaults = inherited
    }
}
