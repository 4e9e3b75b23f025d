import PyAcqCore

/// Re-chunks a stream into chunks of exactly `chunksize` rows (PROTOCOL §14.1):
/// `configure(chunksize=100)`; the output keeps the input's dtype, shape, rate and channel
/// names; chunks are sent with automatic indexes. Rows that do not fill a chunk wait for the
/// next input chunk (they are sent, never dropped, once enough arrive).
public final class ChunkResizer: Node, @unchecked Sendable {
    public override class var typeName: String { "ChunkResizer" }
    public override class var inputSpecs: [(String, ValueMap)] { [("in", [:])] }
    public override class var outputSpecs: [(String, ValueMap)] { [("out", [:])] }

    public private(set) var chunksize = 100
    private var poller: InputPoller?
    private var pending = RowAccumulator()

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        if let unknown = kwargs.keys.first(where: { $0 != "chunksize" }) {
            throw PyAcqError(.badParams, "ChunkResizer.configure() got an unexpected keyword '\(unknown)'", exceptionType: "TypeError")
        }
        let size = try StreamParams(kwargs).int("chunksize", default: 100)
        guard size > 0 else {
            throw PyAcqError(.badParams, "ChunkResizer chunksize must be positive, got \(size)", exceptionType: "ValueError")
        }
        chunksize = size
    }

    public override func inputConnected(_ streamName: String) { DSPConfig.inheritOutput(from: inputs[0].stream, to: outputs[0].stream) }

    public override func didStart() throws(PyAcqError) {
        let output = try self.output
        let size = chunksize
        pending = RowAccumulator()
        poller = InputPoller(input: try input) { [self] chunk throws(PyAcqError) in
            guard let data = chunk.data else { return }
            try pending.append(data)
            while let full = pending.take(rows: size) { try output.send(full.view) }
        }
        poller?.start(name: "\(name)-resize")
    }

    public override func didStop() throws(PyAcqError) {
        poller?.stop()
        poller = nil
    }

    /// Rows waiting to fill a chunk (exposed for tests and diagnostics).
    public override func attribute(_ attributeName: String) -> Value? {
        attributeName == "pending_rows" ? .int(pending.rows) : nil
    }
}

/// Contiguous rows of one dtype and row shape, appended chunk by chunk and taken from the front.
struct RowAccumulator {
    private var storage: [UInt8] = []
    private var start = 0
    private(set) var rows = 0
    private var dtype: DType?
    private var rowShape: [Int] = []

    private var rowBytes: Int { (dtype?.itemsize ?? 0) * rowShape.reduce(1, *) }

    mutating func append(_ data: ArrayView) throws(PyAcqError) {
        guard data.ndim >= 1 else {
            throw PyAcqError(.invalidArgument, "ChunkResizer needs chunks with a time axis; got a scalar")
        }
        let shape = Array(data.shape.dropFirst())
        if let dtype, dtype != data.dtype || shape != rowShape {
            throw PyAcqError(.invalidArgument, "ChunkResizer got a chunk of \(data.dtype) rows \(shape) after \(dtype) rows \(rowShape)")
        }
        dtype = data.dtype
        rowShape = shape
        let count = data.byteCount
        let offset = storage.count
        storage.append(contentsOf: repeatElement(0, count: count))
        if count > 0 { storage.withUnsafeMutableBytes { if let base = $0.baseAddress { data.copyCOrder(to: base + offset) } } }
        rows += data.shape[0]
    }

    /// The first `count` rows as a new array, or nil when fewer are waiting.
    mutating func take(rows count: Int) -> NDArray? {
        guard let dtype, rows >= count else { return nil }
        let bytes = count * rowBytes
        let out = NDArray(dtype: dtype, shape: [count] + rowShape)
        if bytes > 0 { storage.withUnsafeBytes { if let base = $0.baseAddress { out.storage.pointer.copyMemory(from: base + start, byteCount: bytes) } } }
        start += bytes
        rows -= count
        // Compact once the consumed prefix dominates, so appends stay amortised O(1).
        if start > storage.count / 2 {
            storage.removeFirst(start)
            start = 0
        }
        return out
    }
}
