import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore
import PyAcqTestSupport
import Testing

/// Golden tests against ../shared/spec/vectors: what our streams put on the wire and in the
/// shared file must equal what the original pyacq produced, byte for byte.
@Suite(.serialized) struct WireVectorTests {
    static func plainChunks() throws -> [Value] { try Vectors.load("plaindata.json")["chunks"]?.arrayValue ?? [] }

    @Test func plaindataSendIsByteExact() throws {
        let chunks = try Self.plainChunks()
        #expect(chunks.count == 6)
        for chunk in chunks {
            let sent = chunk["sent_array"]
            let dtype = try DType(chunk["stream_dtype_param"])
            let view = try stridedArray(dtype: dtype, shape: sent["shape"].ints, strides: sent["strides"].ints,
                                        values: flatten(sent["values"], depth: sent["shape"].ints.count))
            let output = OutputStream()
            try output.configure(["protocol": .string("inproc"), "dtype": chunk["stream_dtype_param"],
                                  "shape": .array([.int(-1)] + sent["shape"].ints.dropFirst().map { .int($0) })])
            let sub = try rawSocket(ZMQ_SUB)
            try sub.setOption(ZMQ_SUBSCRIBE, bytes: [])
            try sub.connect(try output.params.url())
            #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
            try output.send(view, index: chunk["index"].intValue!)
            guard let frames = try sub.receiveMessage() else { throw TestFailure("no message") }
            let name = chunk["name"].stringValue!
            #expect(frames.count == 2, "\(name)")
            #expect(hex(frames[0].bytes) == chunk["header_hex"].stringValue!, "\(name) header")
            #expect(hex(frames[1].bytes) == chunk["data_hex"].stringValue!, "\(name) data")
            output.close()
        }
    }

    @Test func plaindataReceiveRebuildsTheViews() throws {
        for chunk in try Self.plainChunks() {
            let name = chunk["name"].stringValue!
            let publisher = try RawPublisher("plain")
            let input = InputStream()
            let expected = chunk["receiver_view"]
            try input.connect(publisher.params(dtype: chunk["stream_dtype_param"],
                                               shape: [-1] + expected["shape"].ints.dropFirst()))
            try publisher.waitForSubscriber()
            try publisher.socket.send(bytes: [unhex(chunk["header_hex"].stringValue!), unhex(chunk["data_hex"].stringValue!)])
            let received = try input.receive(timeoutMs: 5000)
            let view = try #require(received.data)
            #expect(received.index == chunk["index"].intValue, "\(name)")
            #expect(view.shape == expected["shape"].ints, "\(name)")
            #expect(view.strides == expected["strides"].ints, "\(name)")
            let dtype = try DType(chunk["stream_dtype_param"])
            let want = try flatten(expected["values"], depth: view.ndim).map { try elementBytes($0, dtype) }
            #expect(elements(view) == want, "\(name)")
        }
    }

    @Test func bloscChunksDecompress() throws {
        let chunks = try Vectors.load("blosc.json")["chunks"]?.arrayValue ?? []
        for chunk in chunks where chunk["header_frame_hex"] != .null {
            let publisher = try RawPublisher("blosc")
            let input = InputStream()
            try input.connect(publisher.params(dtype: .string("float32"), shape: [-1, 4],
                                               extra: ["compression": chunk["method"]]))
            try publisher.waitForSubscriber()
            try publisher.socket.send(bytes: [unhex(chunk["header_frame_hex"].stringValue!), unhex(chunk["compressed_hex"].stringValue!)])
            let view = try #require(try input.receive(timeoutMs: 5000).data)
            #expect(view.shape == [256, 4])
            #expect(floats(view) == (0..<1024).map { Float($0 % 50) })
        }
    }

    @Test(arguments: ["blosc-lz4", "blosc-blosclz"])
    func compressedStreamRoundTrips(method: String) throws {
        let output = OutputStream()
        try output.configure(["protocol": .string("inproc"), "dtype": .string("float32"), "shape": .array([.int(-1), .int(4)]),
                              "compression": .string(method)])
        let input = InputStream()
        try input.connect(output.params.map)
        #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
        let values = (0..<1024).map { Float($0 % 50) }
        let array = NDArray(dtype: .float32, shape: [256, 4], values: values)
        try output.send(array.view)
        try output.send(try stridedArray(dtype: .float32, shape: [2, 4], strides: [-16, 4], values: (0..<8).map { .double(Double($0)) }))
        #expect(floats(try #require(try input.receive(timeoutMs: 5000).data)) == values)
        let reversed = try #require(try input.receive(timeoutMs: 5000).data)
        #expect(floats(reversed) == (0..<8).map(Float.init))
    }

    @Test func sharedmemFilesMatchPyacq() throws {
        let scenarios = try Vectors.load("sharedmem.json")["scenarios"]?.arrayValue ?? []
        #expect(scenarios.count == 2)
        for scenario in scenarios {
            let output = OutputStream()
            var kwargs = scenario["configure_kwargs"].mapValue!
            kwargs["transfermode"] = .string("sharedmem")
            kwargs["protocol"] = .string("inproc")
            try output.configure(kwargs)
            let ring = try #require(output.sharedRing)
            let shm = try #require(ring.sharedMemory)
            #expect(shm.size == scenario["file_size"].intValue)
            let input = InputStream()
            try input.connect(output.params.map)
            #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
            let sub = try rawSocket(ZMQ_SUB)
            try sub.setOption(ZMQ_SUBSCRIBE, bytes: [])
            try sub.connect(try output.params.url())
            #expect(try output.waitForSubscribers(2, timeoutMs: 5000))
            let dtype = try DType(kwargs["dtype"]!)
            for step in scenario["steps"].arrayValue! {
                if step["chunk"] != .null {
                    let rows = step["chunk"].arrayValue!
                    let shape = [rows.count, rows[0].arrayValue!.count]
                    let chunk = try stridedArray(dtype: dtype, shape: shape, strides: cStrides(shape: shape, itemsize: dtype.itemsize),
                                                 values: flatten(step["chunk"], depth: 2))
                    let index = Int(step["after"].stringValue!.split(separator: "=").last!)!
                    try output.send(chunk, index: index)
                    let notice = try #require(try sub.receiveMessage())
                    #expect(notice.map { hex($0.bytes) } == step["message_frames_hex"].arrayValue!.map { $0.stringValue! })
                    let got = try input.receive(timeoutMs: 5000)
                    let view = try #require(got.data)
                    let expected = step["reader_returned"]["$ndarray"]
                    #expect(got.index == index)
                    #expect(view.strides == expected["strides"].ints)
                    let want = try flatten(expected["values"], depth: 2).map { try elementBytes($0, dtype) }
                    #expect(elements(view) == want)
                }
                let file = hex(UnsafeRawBufferPointer(start: shm.pointer, count: shm.size))
                #expect(file == step["file_hex"].stringValue!, "\(scenario["title"]) after \(step["after"])")
            }
            let path = shm.path
            output.close()
            #expect(access(path, F_OK) != 0, "shared file removed on close")
        }
    }

    @Test func sharedFileIsPrivateToItsUser() throws {
        let output = OutputStream()
        try output.configure(["transfermode": .string("sharedmem"), "buffer_size": .int(8), "protocol": .string("inproc")])
        let path = try #require(output.sharedRing?.sharedMemory?.path)
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(path.hasPrefix("/tmp/pyacq_SharedMem_") || path.contains("pyacq_SharedMem_"))
        #expect(output.params["shm_id"] == .string(path))
        output.close()
    }
}
