import PyAcqCore
import PyAcqNodes
import Testing

/// ChunkResizer (PROTOCOL §14.1) in one process: input chunks of varying length come out as
/// chunks of exactly `chunksize` rows, every row in order, automatic indexes.
@Suite(.serialized) struct ChunkResizerTests {
    init() { BuiltinNodes.register() }

    @Test func rechunksEveryRowInOrder() throws {
        let node = try NodeRegistry.create("ChunkResizer", name: "resize")
        try node.configure(["chunksize": .int(7)])
        let source = OutputStream(spec: [:], name: "src")
        try source.configure(["protocol": .string("inproc"), "dtype": .string("int32"), "shape": .array([.int(-1), .int(3)]),
                              "sample_rate": .double(100), "channel_info": .array([.map(["name": .string("a")])])])
        try node.input.connect(source.params.map)
        try node.output.configure(["protocol": .string("inproc")])
        #expect(node.outputs[0].stream.params["dtype"] == .string("int32"))
        #expect(node.outputs[0].stream.params["sample_rate"] == .double(100))
        #expect(node.outputs[0].stream.params["channel_info"]?.arrayValue?.count == 1)
        try node.initialize()
        let sink = InputStream()
        try sink.connect(node.output.params.map)
        #expect(try node.output.waitForSubscribers(1, timeoutMs: 5000))
        #expect(try source.waitForSubscribers(1, timeoutMs: 5000))
        try node.start()
        // 1 + 2 + … + 12 = 78 rows in uneven chunks; row r holds r*10 + channel.
        var sent = 0
        for length in 1...12 {
            let values = (sent..<sent + length).flatMap { r in (0..<3).map { Int32(r * 10 + $0) } }
            try source.send(NDArray(dtype: .int32, shape: [length, 3], values: values).view)
            sent += length
        }
        var received: [Int32] = []
        var indexes: [Int] = []
        while received.count < (sent / 7) * 7 * 3 {
            let chunk = try sink.receive(timeoutMs: 5000)
            let data = try #require(chunk.data)
            #expect(data.shape == [7, 3])
            indexes.append(chunk.index)
            received += data.toNDArray().values(as: Int32.self)
        }
        #expect(indexes == (1...(sent / 7)).map { $0 * 7 })
        #expect(received == (0..<(sent / 7) * 7).flatMap { r in (0..<3).map { Int32(r * 10 + $0) } })
        #expect(node.attribute("pending_rows") == .int(sent % 7))
        try node.close()
        source.close()
    }

    @Test func badChunksizeIsRefused() throws {
        let node = try NodeRegistry.create("ChunkResizer", name: "resize")
        #expect { try node.configure(["chunksize": .int(0)]) } throws: { ($0 as? PyAcqError)?.message.contains("positive") == true }
        #expect { try node.configure(["chunk": .int(3)]) } throws: { ($0 as? PyAcqError)?.message.contains("'chunk'") == true }
    }
}
