import PyAcqCore

/// Forwards every chunk of its input to its output with the same index, casting to the output
/// dtype when it differs (PROTOCOL §14.1): changes transfer mode, protocol or dtype.
public final class StreamConverter: Node, @unchecked Sendable {
    public override class var typeName: String { "StreamConverter" }
    public override class var inputSpecs: [(String, ValueMap)] { [("in", [:])] }
    public override class var outputSpecs: [(String, ValueMap)] { [("out", [:])] }

    private var poller: InputPoller?

    /// The output keeps the input's dtype, shape, rate and channel names unless configured
    /// otherwise.
    public override func inputConnected(_ streamName: String) {
        guard let params = inputs.first?.stream.params else { return }
        var inherited = ValueMap()
        for key in ["dtype", "shape", "sample_rate", "channel_info", "streamtype"] { inherited[key] = params[key] }
        outputs.first?.stream.inheritedDefaults = inherited
    }

    public override func didStart() throws(PyAcqError) {
        let output = try self.output
        let target = try output.params.dtype()
        poller = InputPoller(input: try input) { chunk throws(PyAcqError) in
            guard let data = chunk.data else { return }
            if data.dtype == target {
                try output.send(data, index: chunk.index)  // zero copy: the received frame is the payload
            } else {
                try output.send(try data.converted(to: target).view, index: chunk.index)
            }
        }
        poller?.start(name: "\(name)-convert")
    }

    public override func didStop() throws(PyAcqError) {
        poller?.stop()
        poller = nil
    }
}
