import PyAcqCore

/// Splits a multichannel input into one output per group of channels (PROTOCOL §14.1):
/// `configure(output_channels={name: [channel indexes]})`; outputs appear when the input is
/// connected, with the input's dtype and sample rate.
public final class ChannelSplitter: Node, @unchecked Sendable {
    public override class var typeName: String { "ChannelSplitter" }
    public override class var inputSpecs: [(String, ValueMap)] { [("in", [:])] }

    private var groups: [(name: String, channels: [Int])] = []
    private var poller: InputPoller?

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        if let unknown = kwargs.keys.first(where: { $0 != "output_channels" }) {
            throw PyAcqError(.badParams, "ChannelSplitter.configure() got an unexpected keyword '\(unknown)'", exceptionType: "TypeError")
        }
        guard case .map(let map)? = kwargs["output_channels"], !map.isEmpty else {
            throw PyAcqError(.badParams, "ChannelSplitter needs output_channels={name: [channel, ...]}", exceptionType: "ValueError")
        }
        groups = []
        for (name, value) in map {
            guard case .array(let items) = value, !items.isEmpty else {
                throw PyAcqError(.badParams, "output_channels['\(name)'] must be a non-empty list of channel indexes", exceptionType: "ValueError")
            }
            var channels: [Int] = []
            for item in items {
                guard let c = item.intValue, c >= 0 else { throw PyAcqError(.badParams, "channel indexes must be ints ≥ 0", exceptionType: "ValueError") }
                channels.append(c)
            }
            groups.append((name, channels))
        }
    }

    public override func inputConnected(_ streamName: String) {
        guard let params = inputs.first?.stream.params, let dtype = params["dtype"] else { return }
        removeOutputs()
        for group in groups {
            addOutput(group.name, spec: [
                "streamtype": .string("analogsignal"), "dtype": dtype, "sample_rate": params["sample_rate"] ?? .double(1),
                "port": .string("*"), "nb_channel": .int(group.channels.count),
                "shape": .array([.int(-1), .int(group.channels.count)]),
            ])
        }
    }

    public override func didInitialize() throws(PyAcqError) {
        let width = try input.params?.shape().last ?? 0
        for group in groups where group.channels.contains(where: { $0 >= width }) {
            throw PyAcqError(.badParams, "output '\(group.name)' asks for channels \(group.channels) but the input has \(width)", exceptionType: "ValueError")
        }
    }

    public override func didStart() throws(PyAcqError) {
        let targets = try groups.map { group throws(PyAcqError) in (try output(named: group.name), group.channels) }
        poller = InputPoller(input: try input) { chunk throws(PyAcqError) in
            guard let data = chunk.data else { return }
            for (stream, channels) in targets {
                try stream.send(try ChannelSplitter.select(channels, from: data).view, index: chunk.index)
            }
        }
        poller?.start(name: "\(name)-split")
    }

    public override func didStop() throws(PyAcqError) {
        poller?.stop()
        poller = nil
    }

    /// `data[:, channels]` as a C-contiguous copy.
    static func select(_ channels: [Int], from data: ArrayView) throws(PyAcqError) -> NDArray {
        guard data.ndim == 2, channels.allSatisfy({ $0 < data.shape[1] }) else {
            throw PyAcqError(.invalidArgument, "ChannelSplitter needs (samples, channels) chunks covering channels \(channels); got shape \(data.shape)")
        }
        let rows = data.shape[0]
        let out = NDArray(dtype: data.dtype, shape: [rows, channels.count])
        let size = data.dtype.itemsize
        for (j, c) in channels.enumerated() {
            let column = ArrayView(base: data.base + c * data.strides[1], dtype: data.dtype, shape: [rows], strides: [data.strides[0]])
            stridedCopy(from: column.base, srcStrides: column.strides, to: out.storage.pointer + j * size,
                        dstStrides: [channels.count * size], shape: [rows], itemsize: size)
        }
        return out
    }
}
