import PyAcqCore
import PyAcqNodes
import PyAcqProcess
import PyAcqTestSupport
import Testing

@Suite(.serialized) struct NodeTests {
    init() { PyAcqRuntime.bootstrap() }

    func receiveSamples(_ input: InputStream, count: Int) throws -> (index: Int, data: [Double]) {
        var values: [Double] = []
        var index = 0
        while index < count {
            let chunk = try input.receive(timeoutMs: 5000)
            index = chunk.index
            values += try #require(chunk.data).toNDArray().values(as: Double.self)
        }
        return (index, values)
    }

    @Test func lifecycleMisuseSaysWhatToDo() throws {
        let node = try NodeRegistry.create("NumpyDeviceBuffer", name: "dev")
        #expect { try node.start() } throws: { ($0 as? PyAcqError)?.message.contains("configure") == true }
        #expect { try node.initialize() } throws: { ($0 as? PyAcqError)?.code == .state }
        try node.configure(["nb_channel": .int(4), "chunksize": .int(10), "sample_interval": .double(0.0005)])
        #expect { try node.initialize() } throws: { ($0 as? PyAcqError)?.message.contains("outputs['signals'].configure") == true }
        #expect { try node.configure(["nb_chanel": .int(4)]) } throws: { ($0 as? PyAcqError)?.message.contains("nb_chanel") == true }
        #expect { try NodeRegistry.create("NoSuchNode", name: "x") } throws: { ($0 as? PyAcqError)?.message.contains("NumpyDeviceBuffer") == true }
        #expect(NodeRegistry.names.contains("ChannelSplitter"))
    }

    /// A node without threads of its own, to check what the base class does.
    final class PassiveNode: Node, @unchecked Sendable {
        override class var typeName: String { "PassiveNode" }
        override class var outputSpecs: [(String, ValueMap)] { [("out", ["shape": .array([.int(-1), .int(1)])])] }
    }

    @Test func restartingANodeRestartsItsOutputIndexes() throws {
        let node = PassiveNode(name: "passive")
        try node.configure()
        try node.output.configure(["protocol": .string("inproc")])
        try node.initialize()
        try node.start()
        try node.output.send(NDArray(dtype: .float32, shape: [5, 1]).view)
        #expect(try node.output.lastIndex == 5)
        try node.stop()
        try node.start()
        #expect(try node.output.lastIndex == 0)
        #expect { try node.configure() } throws: { ($0 as? PyAcqError)?.message.contains("stop() it first") == true }
        try node.close()
        #expect(node.isClosed)
    }

    @Test func deviceConverterAndSplitterChain() throws {
        // NumpyDeviceBuffer (4 ch, a known buffer) -> StreamConverter (to sharedmem, float64) -> ChannelSplitter.
        let device = try NodeRegistry.create("NumpyDeviceBuffer", name: "dev")
        let rows = 40
        let buffer = NDArray(dtype: .float32, shape: [rows, 4], values: (0..<rows * 4).map { Float($0) })
        try device.configure(["nb_channel": .int(4), "chunksize": .int(10), "sample_interval": .double(0.0005), "buffer": .ndarray(buffer)])
        try device.output.configure(["protocol": .string("inproc")])
        #expect(device.outputs[0].stream.params["channel_info"]?.arrayValue?.count == 4)
        try device.initialize()

        let converter = try NodeRegistry.create("StreamConverter", name: "conv")
        try converter.configure()
        try converter.input.connect(device.output.params.map)
        try converter.output.configure(["protocol": .string("inproc"), "transfermode": .string("sharedmem"), "buffer_size": .int(1000),
                                        "dtype": .string("float64"), "shape": .array([.int(-1), .int(4)])])
        try converter.initialize()

        let splitter = try NodeRegistry.create("ChannelSplitter", name: "split")
        try splitter.configure(["output_channels": .map(["left": .array([.int(0), .int(1)]), "right": .array([.int(3)])])])
        try splitter.input.connect(converter.output.params.map)
        #expect(splitter.outputs.map(\.name) == ["left", "right"])
        try splitter.output(named: "left").configure(["protocol": .string("inproc")])
        try splitter.output(named: "right").configure(["protocol": .string("inproc")])
        try splitter.initialize()

        let left = InputStream(), right = InputStream()
        try left.connect(splitter.output(named: "left").params.map)
        try right.connect(splitter.output(named: "right").params.map)
        for output in [try splitter.output(named: "left"), try splitter.output(named: "right")] { #expect(try output.waitForSubscribers(1, timeoutMs: 5000)) }
        #expect(try converter.output.waitForSubscribers(1, timeoutMs: 5000))
        #expect(try device.output.waitForSubscribers(1, timeoutMs: 5000))

        try splitter.start(); try converter.start(); try device.start()
        let l = try receiveSamples(left, count: 2 * rows)
        let r = try receiveSamples(right, count: 2 * rows)
        try device.stop(); try converter.stop(); try splitter.stop()
        // Sample s of the buffer has values 4s..4s+3 and the device loops over it.
        var expectedLeft: [Double] = []
        var expectedRight: [Double] = []
        for s in 0..<2 * rows {
            let base = Double(4 * (s % rows))
            expectedLeft += [base, base + 1]
            expectedRight.append(base + 3)
        }
        #expect(l.index == 2 * rows && Array(l.data.prefix(expectedLeft.count)) == expectedLeft)
        #expect(Array(r.data.prefix(2 * rows)) == expectedRight)
        #expect(left.statistics.samplesLost == 0)

        for node in [device, converter, splitter] { try node.close() }
        #expect(device.isClosed)
    }
}
