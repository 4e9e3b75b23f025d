import PyAcqCore
import PyAcqTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 11: input a hostile peer or caller controls becomes an error naming the problem.
@Suite(.serialized) struct HostileInputTests {
    /// Headers whose (rows − 1) × row stride is exactly −2^63 used to trap in abs().
    @Test(arguments: [(2, Int.min), (3, -(1 << 62)), (5, -(1 << 61)), (2, Int.max), (1 << 47, 1 << 20)])
    func craftedStridesAreMalformedNotFatal(rows: Int, rowStride: Int) throws {
        let publisher = try RawPublisher("crafted-\(rows)-\(rowStride)")
        let input = InputStream()
        try input.connect(publisher.params(dtype: .string("float32"), shape: [-1, 4]))
        try publisher.waitForSubscriber()
        let data = [UInt8](repeating: 0, count: 64)
        let crafted = PlainDataHeader(index: rows, offset: 0, shape: [rows, 4], strides: [rowStride, 4])
        try publisher.socket.send(bytes: [crafted.encoded, data])
        let good = PlainDataHeader(index: rows + 4, offset: 0, shape: [4, 4], strides: [16, 4])
        try publisher.socket.send(bytes: [good.encoded, data])
        #expect {
            _ = try input.receive(timeoutMs: 5000)
        } throws: { ($0 as? PyAcqError)?.code == .malformed }
        #expect(try input.receive(timeoutMs: 5000).index == rows + 4)
        #expect(input.statistics.malformedMessages == 1)
        input.close()
    }

    @Test func extentArithmeticIsChecked() throws {
        #expect(throws: PyAcqError.self) { try Extent.byteRange(shape: [2, 4], strides: [Int.min, 4], itemsize: 4) }
        #expect(throws: PyAcqError.self) { try Extent.product([1 << 40, 1 << 40], "x") }
        #expect(throws: PyAcqError.self) { try Extent.product([3, -1], "x") }
        #expect(try Extent.byteRange(shape: [3, 4], strides: [-16, 4], itemsize: 4)! == (-32, 16))
        #expect(try Extent.product([1 << 20, 4, 4], "x") == 1 << 24)
        #expect(throws: PyAcqError.self) { try DType(.array([.array([.string("a"), .string("f8"), .array([.int(1 << 40), .int(1 << 40)])])])) }
    }

    /// Sizes beyond memory or beyond Int are errors, from the one allocation path.
    @Test(arguments: [1 << 40, 1 << 62, Int.max / 2])
    func hugeRingBuffersFailCleanly(length: Int) {
        #expect {
            _ = try RingBuffer(length: length, rowShape: [4], dtype: .float32)
        } throws: { error in
            let e = error as? PyAcqError
            return e?.code == .io || e?.code == .badParams || e?.code == .invalidArgument
        }
    }

    @Test(arguments: [1 << 40, 1 << 62])
    func hugeSharedRingsFailCleanly(size: Int) {
        let output = OutputStream()
        #expect {
            try output.configure(["transfermode": .string("sharedmem"), "buffer_size": .int(size),
                                  "shape": .array([.int(-1), .int(4)]), "protocol": .string("inproc")])
        } throws: { ($0 as? PyAcqError).map { [.io, .badParams].contains($0.code) } ?? false }
        #expect(!output.isConfigured)
    }

    @Test func hugeInputBufferFailsCleanly() throws {
        let output = OutputStream()
        try output.configure(["protocol": .string("inproc"), "shape": .array([.int(-1), .int(4)])])
        let input = InputStream()
        try input.connect(output.params.map)
        for size in [1 << 40, 1 << 62] {
            #expect(throws: PyAcqError.self) { try input.setBuffer(size: size) }
        }
        try input.setBuffer(size: 16)
        input.close()
        output.close()
    }

    /// A shared file truncated under a reader is an I/O error on the next read, not SIGBUS.
    @Test func truncatedSharedFileIsAnError() throws {
        let output = OutputStream()
        try output.configure(["transfermode": .string("sharedmem"), "buffer_size": .int(1024),
                              "shape": .array([.int(-1), .int(4)]), "protocol": .string("tcp")])
        let input = InputStream()
        try input.connect(output.params.map)
        #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
        let chunk = NDArray(dtype: .float32, shape: [8, 4])
        try output.send(chunk.view)
        _ = try input.receive(timeoutMs: 5000)
        guard case .string(let path)? = output.params["shm_id"] else { throw TestFailure("no shm_id") }
        #expect(truncate(path, 0) == 0)
        #expect(throws: PyAcqError.self) { try output.send(chunk.view) }
        #expect(throws: PyAcqError.self) { _ = try input.getData(start: 0, stop: 8) }
        input.close()
        output.close()
        // A reader that connects to a file shorter than the params say is refused at once.
        let shortFile = InputStream()
        let output2 = OutputStream()
        try output2.configure(["transfermode": .string("sharedmem"), "buffer_size": .int(1024),
                               "shape": .array([.int(-1), .int(4)]), "protocol": .string("inproc")])
        guard case .string(let path2)? = output2.params["shm_id"] else { throw TestFailure("no shm_id") }
        #expect(truncate(path2, 100) == 0)
        #expect(throws: PyAcqError.self) { try shortFile.connect(output2.params.map) }
        output2.close()
    }

    @Test func portsOutsideTCPRangeAreRejected() {
        for port in ["99999", "-1", "65536", "12a", ""] {
            let output = OutputStream()
            #expect(throws: PyAcqError.self, "port \(port)") {
                try output.configure(["protocol": .string("tcp"), "port": .string(port)])
            }
        }
    }

    @Test func sendIndexBeyondTheWireLimitIsRejected() throws {
        let output = OutputStream()
        try output.configure(["protocol": .string("inproc"), "shape": .array([.int(-1), .int(4)])])
        let chunk = NDArray(dtype: .float32, shape: [1, 4])
        #expect(throws: PyAcqError.self) { try output.send(chunk.view, index: 1 << 62) }
        try output.send(chunk.view, index: (1 << 62) - 1)
        output.close()
    }

    /// Views keep their memory: a receive on another thread or a close does not free it.
    @Test(arguments: ["plaindata", "sharedmem"])
    func viewsOutliveTheStream(mode: String) throws {
        let output = OutputStream()
        try output.configure(["transfermode": .string(mode), "buffer_size": .int(1 << 16),
                              "shape": .array([.int(-1), .int(64)]), "protocol": .string("tcp")])
        let input = InputStream()
        try input.connect(output.params.map)
        #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
        let rows = 4096
        let chunk = NDArray(dtype: .float32, shape: [rows, 64], values: (0..<rows * 64).map { Float($0) })
        try output.send(chunk.view)
        let view = try #require(try input.receive(timeoutMs: 5000).data)
        input.close()
        output.close()
        #expect(floats(view) == chunk.values(as: Float.self))
    }
}

/// Producer liveness and orphaned shared files.
@Suite(.serialized) struct ProducerLivenessTests {
    @Test(arguments: ["tcp", "ipc"])
    func blockedReaderLearnsThatTheProducerIsGone(proto: String) throws {
        let output = OutputStream()
        try output.configure(["protocol": .string(proto), "shape": .array([.int(-1), .int(4)])])
        let input = InputStream()
        try input.connect(output.params.map)
        #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
        let chunk = NDArray(dtype: .float32, shape: [2, 4])
        try output.send(chunk.view)
        output.close()
        // The chunk sent before the close still arrives, then the news.
        #expect(try input.receive(timeoutMs: 5000).index == 2)
        #expect {
            _ = try input.receive(timeoutMs: 5000)
        } throws: { ($0 as? PyAcqError).map { $0.code == .io && $0.message.contains("producer gone") } ?? false }
        // Told once: afterwards a receive waits as usual.
        #expect { _ = try input.receive(timeoutMs: 50) } throws: { ($0 as? PyAcqError)?.code == .timeout }
        input.close()
    }

    @Test func orphanedSegmentsAreSweptOthersKept() throws {
        let live = try SharedMemory(creating: 4096)
        let dir = SharedMemory.directory
        let orphan = dir + "/pyacq_SharedMem_orphan\(getpid() % 100)"
        let foreign = dir + "/pyacq_SharedMem_foreign\(getpid() % 100)"
        for path in [orphan, foreign] { try Files.writeText("x", to: path) }
        try Files.writeText("", to: dir + "/.pyacq_SharedMem_orphan\(getpid() % 100).owner")
        let removed = SharedMemory.sweepOrphans()
        #expect(removed.contains(orphan))
        #expect(!Files.exists(orphan))
        #expect(Files.exists(foreign), "a file without marker (original pyacq's) must stay")
        #expect(Files.exists(live.path), "a segment whose owner lives must stay")
        unlink(foreign)
        live.removeFile()
        #expect(!Files.exists(live.path))
    }
}

/// Loss accounting stays exact when notifications arrive stale or refer to overwritten rows.
@Suite(.serialized) struct LossAccountingTests {
    func note(_ index: Int, _ rows: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt64(index).bigEndian, Array.init) + withUnsafeBytes(of: UInt64(rows).bigEndian, Array.init)
    }

    /// A producer ring written directly, and notifications sent by hand.
    func setUp(ringLength: Int, written: Int) throws -> (OutputStream, RawPublisher, InputStream) {
        let output = OutputStream()
        // Unstamped: the hand-made notifications below impersonate the plain endpoint.
        try output.configure(["protocol": .string("inproc"), "transfermode": .string("sharedmem"), "buffer_size": .int(ringLength),
                              "shape": .array([.int(-1), .int(2)]), "timestamps": .bool(false)])
        for _ in 0..<written / 64 { try output.send(NDArray(dtype: .float32, shape: [64, 2]).view) }
        let publisher = try RawPublisher("loss")
        var params = output.params.map
        params["interface"] = .string(String(publisher.endpoint.dropFirst("inproc://".count)))
        params["shm_wakeup"] = nil  // hand-made notifications: what an original pyacq producer sends
        let input = InputStream()
        try input.connect(params)
        try publisher.waitForSubscriber()
        return (output, publisher, input)
    }

    @Test func staleNotificationAddsNoLoss() throws {
        let (output, publisher, input) = try setUp(ringLength: 256, written: 128)
        for (index, rows) in [(16, 16), (32, 16), (48, 16), (32, 16), (64, 16)] {
            try publisher.socket.send(bytes: [note(index, rows)])
            _ = try input.receive(timeoutMs: 5000)
        }
        #expect(input.statistics.samplesLost == 0)
        #expect(input.statistics.chunksReceived == 5)
        input.close()
        output.close()
    }

    @Test func overwrittenRowsAreCountedOnce() throws {
        let (output, publisher, input) = try setUp(ringLength: 64, written: 256)
        // [0, 16) received... then its rows are long gone: 16 lost, and the stale one adds none.
        for (index, rows) in [(32, 16), (48, 16), (32, 16)] {
            try publisher.socket.send(bytes: [note(index, rows)])
            #expect(throws: PyAcqError.self) { _ = try input.receive(timeoutMs: 5000) }
        }
        try publisher.socket.send(bytes: [note(256, 16)])
        _ = try input.receive(timeoutMs: 5000)
        #expect(input.statistics.samplesLost + input.statistics.samplesReceived == 256 - 16)
        input.close()
        output.close()
    }
}

/// Findings of the fuzzer (scripts/fuzz.sh), kept as regression tests.
@Suite struct FuzzFindingTests {
    /// Zero strides let 64 bytes describe ~2^40 elements; copying them never ended.
    @Test func elementsMayNotOutnumberTheirBytes() throws {
        let data = [UInt8](repeating: 0, count: 64)
        try data.withUnsafeBytes { raw in
            #expect(throws: PyAcqError.self) {
                _ = try ArrayView(block: raw.baseAddress!, blockLength: 64, offset: 0, dtype: .float32,
                                  shape: [1 << 40, 4], strides: [0, 4], owner: nil)
            }
            _ = try ArrayView(block: raw.baseAddress!, blockLength: 64, offset: 0, dtype: .float32,
                              shape: [4, 4], strides: [16, 4], owner: nil)
        }
    }
}

/// A stalled plaindata consumer: the producer holds at most max_queued_bytes, and its drops are
/// counted while they happen; the consumer's counts add up once it reads again.
@Suite(.serialized) struct SlowConsumerTests {
    @Test func producerMemoryIsBoundedAndItsDropsAreCounted() throws {
        let output = OutputStream()
        try output.configure(["protocol": .string("tcp"), "shape": .array([.int(-1), .int(16)]),
                              "max_queued_bytes": .int(8 << 20)])
        let input = InputStream()
        try input.connect(output.params.map)
        #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
        let rows = 16384  // 1 MiB chunks
        let chunk = NDArray(dtype: .float32, shape: [rows, 16])
        let total = 400
        for _ in 0..<total { try output.send(chunk.view) }
        #expect(output.chunksDropped > 0, "nothing dropped: the producer held everything")
        #expect(output.samplesDropped == output.chunksDropped * rows)
        // The consumer catches up; a last chunk makes a tail loss visible as a gap.
        while (try? input.receive(timeoutMs: 300, withData: false)) != nil {}
        let before = output.chunksDropped
        try output.send(chunk.view)
        #expect(output.chunksDropped == before, "an idle consumer's queue must not cause drops")
        var last = 0
        while last < (total + 1) * rows { last = try input.receive(timeoutMs: 5000, withData: false).index }
        #expect(input.statistics.samplesReceived + input.statistics.samplesLost == last)
        #expect(input.statistics.samplesLost >= output.samplesDropped)
        input.close()
        output.close()
    }

    /// Queue depths from max_queued_bytes: fixed-length chunks get a message count per
    /// consumer (with a floor the byte bound is raised to), variable ones fixed counts.
    @Test func queueDepthsFollowTheByteBound() {
        let mib = 1 << 20
        let chunk = QueueLimits.chunkBytes(shape: [16384, 16], itemsize: 4)
        #expect(chunk == mib)
        #expect(QueueLimits.chunkBytes(shape: [-1, 16], itemsize: 4) == nil)
        #expect(QueueLimits.producerMessages(chunkBytes: chunk, maxQueuedBytes: 64 * mib) == 63)
        #expect(QueueLimits.producerMessages(chunkBytes: chunk, maxQueuedBytes: mib) == 16)
        #expect(QueueLimits.producerBytes(chunkBytes: chunk, maxQueuedBytes: mib) == 16 * (mib + 256))
        #expect(QueueLimits.producerBytes(chunkBytes: nil, maxQueuedBytes: mib) == mib)
        #expect(QueueLimits.producerMessages(chunkBytes: 1024, maxQueuedBytes: 256 * mib) == 100_000)
        #expect(QueueLimits.producerMessages(chunkBytes: nil, maxQueuedBytes: mib) == QueueLimits.producerMessagesVariable)
        #expect(QueueLimits.consumerMessages(chunkBytes: chunk, maxQueuedBytes: 20 * mib) == 19)
        #expect(QueueLimits.consumerMessages(chunkBytes: chunk, maxQueuedBytes: 256 * mib) == QueueLimits.consumerMessagesMax)
        #expect(QueueLimits.consumerMessages(chunkBytes: chunk, maxQueuedBytes: 1) == 2)
        #expect(QueueLimits.producerBytes(chunkBytes: Int.max / 2, maxQueuedBytes: 1) == Int.max)
    }

    @Test func maxQueuedBytesMustBePositive() {
        let output = OutputStream()
        #expect(throws: PyAcqError.self) { try output.configure(["protocol": .string("inproc"), "max_queued_bytes": .int(0)]) }
    }
}
