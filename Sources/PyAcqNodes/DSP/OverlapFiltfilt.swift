import PyAcqCore

/// Zero-phase filtering of a stream (PROTOCOL §14.2): each chunk is filtered forward with
/// state; once more than `overlapsize` samples exist, the last `chunksize + overlapsize` forward
/// samples are filtered backward (zero state) and the first `chunksize` of them are sent, so the
/// output lags the input by `overlapsize` samples and index = input index − overlapsize.
public final class OverlapFiltfilt: Node, @unchecked Sendable {
    public override class var typeName: String { "OverlapFiltfilt" }
    public override class var inputSpecs: [(String, ValueMap)] { [("signals", ["streamtype": .string("signals")])] }
    public override class var outputSpecs: [(String, ValueMap)] { [("signals", ["streamtype": .string("signals")])] }

    public private(set) var chunksize = 1024
    public private(set) var overlapsize = 512
    private var sos: NDArray?
    private var forward: SosCascade?
    private var backward: SosCascade?
    private var history: [Double] = []  // last chunksize + overlapsize forward samples, C order
    private var channels = 0
    private var poller: InputPoller?
    private let filterLock = Lock()

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        try DSPConfig.reject(kwargs, allowing: ["chunksize", "overlapsize", "coefficients", "engine"], node: Self.typeName)
        let p = StreamParams(kwargs)
        chunksize = try p.int("chunksize", default: 1024)
        overlapsize = try p.int("overlapsize", default: 512)
        guard chunksize > 0, overlapsize >= 0 else {
            throw PyAcqError(.badParams, "chunksize must be > 0 and overlapsize ≥ 0", exceptionType: "ValueError")
        }
        sos = try DSPConfig.coefficients(kwargs, node: Self.typeName)
    }

    public override func inputConnected(_ streamName: String) { DSPConfig.inheritOutput(from: inputs[0].stream, to: outputs[0].stream) }

    public override func didInitialize() throws(PyAcqError) {
        guard let params = try input.params, let sos else { throw PyAcqError(.state, "configure and connect OverlapFiltfilt before initialize()") }
        try FloatBuffers.requireFloat(try params.dtype(), node: Self.typeName)
        channels = try params.shape().dropFirst().reduce(1, *)
        let shape = try params.shape()
        if shape[0] > 0 && shape[0] != chunksize {
            throw PyAcqError(.badParams, "the input's chunks have \(shape[0]) rows; OverlapFiltfilt was configured with chunksize \(chunksize)", exceptionType: "ValueError")
        }
        forward = try SosCascade(sos: sos, channels: channels)
        backward = forward
    }

    /// Processes one input chunk ending at `index`; returns the chunk to send and its index.
    func process(_ data: ArrayView, index: Int) throws(PyAcqError) -> (NDArray, Int)? {
        guard data.shape[0] == chunksize else {
            throw PyAcqError(.invalidArgument, "OverlapFiltfilt needs chunks of exactly \(chunksize) rows, got \(data.shape[0])")
        }
        var work = try FloatBuffers.load(data)
        guard var fwd = forward, var bwd = backward else { throw PyAcqError(.state, "not initialized") }
        work.withUnsafeMutableBufferPointer { fwd.process($0.baseAddress!, rows: chunksize) }
        forward = fwd
        history += work
        let keep = (chunksize + overlapsize) * channels
        if history.count > keep { history.removeFirst(history.count - keep) }
        guard index > overlapsize else { return nil }
        let rows = history.count / channels
        // Backward pass from rest over a copy of the forward output, rows taken last to first.
        var pass = history
        bwd.reset()
        pass.withUnsafeMutableBufferPointer { bwd.process($0.baseAddress!, rows: rows, backward: true) }
        let emit = rows - overlapsize
        let dtype = try self.output.streamDType
        return (pass.withUnsafeBufferPointer { FloatBuffers.store(UnsafeBufferPointer(rebasing: $0.prefix(emit * channels)), rows: emit, channels: channels, as: dtype) },
                index - overlapsize)
    }

    public override func didStart() throws(PyAcqError) {
        let output = try self.output
        filterLock.withLock {
            forward?.reset()
            history = []
        }
        poller = InputPoller(input: try input) { [self] chunk throws(PyAcqError) in
            guard let data = chunk.data else { return }
            if let (out, index) = try filterLock.withLock({ () throws(PyAcqError) in try process(data, index: chunk.index) }) {
                try output.send(out.view, index: index)
            }
        }
        poller?.start(name: "\(name)-filtfilt")
    }

    public override func didStop() throws(PyAcqError) {
        poller?.stop()
        poller = nil
    }
}
