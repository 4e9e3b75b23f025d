import PyAcqCore
import PyAcqTestSupport
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The socket-free wake-up of sharedmem streams between libpyacq ends (SharedMemWakeup), its
/// fallback to PROTOCOL §11.4 notification messages, and exact loss counting with it.
@Suite struct SharedMemWakeupTests {
    static let channels = 4

    /// Every value of sample `s` is a function of `s`, so a reader can check what it got.
    static func rows(_ start: Int, _ count: Int) -> NDArray {
        NDArray(dtype: .int64, shape: [count, channels],
                values: (start..<start + count).flatMap { s in (0..<channels).map { Int64(s) &* 1_000_003 &+ Int64($0) } })
    }

    static func output(protocol proto: String = "ipc", bufferSize: Int = 256, wakeup: Value? = nil) throws -> OutputStream {
        let output = OutputStream()
        var params: ValueMap = ["protocol": .string(proto), "transfermode": .string("sharedmem"), "dtype": .string("int64"),
                                "shape": .array([.int(-1), .int(channels)]), "buffer_size": .int(bufferSize), "double": .bool(true)]
        if let wakeup { params["shm_wakeup"] = wakeup }
        try output.configure(params)
        return output
    }

    static func check(_ chunk: ReceivedChunk, start: Int, rows: Int) throws {
        #expect(chunk.index == start + rows && chunk.rows == rows)
        let view = try #require(chunk.data)
        #expect(view.toNDArray().values(as: Int64.self) == Self.rows(start, rows).values(as: Int64.self),
                "wrong samples in chunk ending at \(chunk.index)")
    }

    @Test(arguments: [0, 50])
    func deliversEveryChunkInOrderWhileTheWriterWrapsTheRingManyTimes(spinMicroseconds: Int) throws {
        let output = try Self.output(bufferSize: 256)
        guard case .string(let page)? = output.params["shm_wakeup"] else {
            Issue.record("a libpyacq sharedmem producer offers a wake-up page in its params")
            return
        }
        #expect(page.hasPrefix(SharedMemory.directory))
        let input = InputStream()
        input.spinMicroseconds = spinMicroseconds
        try input.connect(output.params.map)
        #expect(input.usesSocketFreeWakeup)

        let chunks = 6000  // 1-7 rows each: ~94 laps of the 256-sample ring
        let readUpTo = Atomic<Int>(0)
        let writer = PosixThread(name: "wakeup-writer") {
            var sample = 0
            for n in 0..<chunks {
                let rows = 1 + n % 7
                // Stay within half a ring of the reader: every chunk must arrive, none overwritten.
                while sample + rows - readUpTo.load(ordering: .acquiring) > 128 { sched_yield() }
                try? output.send(Self.rows(sample, rows).view)
                sample += rows
            }
        }
        var sample = 0
        for n in 0..<chunks {
            let chunk = try input.receive(timeoutMs: 10_000)
            try Self.check(chunk, start: sample, rows: 1 + n % 7)
            sample = chunk.index
            readUpTo.store(sample, ordering: .releasing)
        }
        writer.join()
        let stats = input.statistics
        #expect(stats.chunksReceived == chunks && stats.samplesLost == 0 && stats.malformedMessages == 0)
        #expect(try input.emptyQueue() == 0)

        // The producer closes: the reader learns it (after its last chunk), it does not time out.
        output.close()
        do throws(PyAcqError) {
            _ = try input.receive(timeoutMs: 10_000)
            Issue.record("receive after the producer closed must fail")
        } catch {
            #expect(error.code == .io && error.message.contains("producer gone"))
        }
        input.close()
    }

    @Test func aSlowReaderCountsEveryLostSampleExactly() throws {
        // 64-sample ring, 5000 chunks written before the reader looks: the page's slots are
        // reused many times and most samples are overwritten. Nothing may go uncounted.
        let output = try Self.output(protocol: "inproc", bufferSize: 64)
        let input = InputStream()
        try input.connect(output.params.map)
        #expect(input.usesSocketFreeWakeup)
        var total = 0
        for n in 0..<5000 {
            let rows = 1 + n % 5
            try output.send(Self.rows(total, rows).view)
            total += rows
        }
        let received = try Self.drain(input)
        let stats = input.statistics
        #expect(received > 0 && received < total)
        #expect(stats.samplesReceived == received)
        #expect(stats.samplesReceived + stats.samplesLost == total, "received \(stats.samplesReceived) + lost \(stats.samplesLost) != sent \(total)")
        output.close()
    }

    /// Receives until nothing is left (overruns are counted by the stream); returns the samples got.
    static func drain(_ input: InputStream) throws -> Int {
        var received = 0
        while true {
            let chunk: ReceivedChunk
            do throws(PyAcqError) {
                chunk = try input.receive(timeoutMs: 0)
            } catch where error.code == .overrun {
                continue
            } catch {
                #expect(error.code == .timeout)
                return received
            }
            received += chunk.rows
            try check(chunk, start: chunk.index - chunk.rows, rows: chunk.rows)
        }
    }

    @Test func aReaderJoiningMidStreamCountsOnlyWhatItMissed() throws {
        let output = try Self.output(protocol: "inproc", bufferSize: 64)
        try output.send(Self.rows(0, 10).view)
        let input = InputStream()
        try input.connect(output.params.map)
        for start in stride(from: 10, to: 210, by: 10) { try output.send(Self.rows(start, 10).view) }
        let received = try Self.drain(input)
        let stats = input.statistics
        #expect(stats.samplesReceived == received && stats.samplesReceived + stats.samplesLost == 200)
        output.close()
    }

    @Test(arguments: ["tcp", "ipc", "inproc"])
    func fallsBackToNotificationMessagesWhenThePeerDoesNotOfferIt(proto: String) throws {
        // A producer told not to offer it (as an original pyacq producer never does).
        let plain = try Self.output(protocol: proto, wakeup: .bool(false))
        #expect(plain.params["shm_wakeup"] == .bool(false))
        // A producer that offers it, read by a consumer that refuses it and by one that never
        // saw the key (the params an original pyacq peer would pass on, without it).
        let offering = try Self.output(protocol: proto)
        var withoutKey = offering.params.map
        withoutKey["shm_wakeup"] = nil
        // A page path that is not a wake-up page: the consumer falls back, it does not fail.
        var bogus = offering.params.map
        bogus["shm_wakeup"] = offering.params["shm_id"]

        let readers: [(InputStream, OutputStream, Bool)] = [
            (try Self.connected(plain.params.map), plain, false),
            (try Self.connected(offering.params.map, spec: ["shm_wakeup": .bool(false)]), offering, false),
            (try Self.connected(withoutKey), offering, false),
            (try Self.connected(bogus), offering, false),
            (try Self.connected(offering.params.map), offering, true),
        ]
        for (input, _, viaPage) in readers { #expect(input.usesSocketFreeWakeup == viaPage) }
        for output in [plain, offering] {
            let count = readers.filter { $0.1 === output }.count
            #expect(try output.waitForSubscribers(count, timeoutMs: 10_000))
        }
        for start in stride(from: 0, to: 60, by: 6) {
            try plain.send(Self.rows(start, 6).view)
            try offering.send(Self.rows(start, 6).view)
        }
        for (input, _, _) in readers {
            for start in stride(from: 0, to: 60, by: 6) {
                try Self.check(try input.receive(timeoutMs: 10_000), start: start, rows: 6)
            }
            #expect(input.statistics.samplesLost == 0)
            input.close()
        }
        plain.close()
        offering.close()
    }

    static func connected(_ params: ValueMap, spec: ValueMap = [:]) throws -> InputStream {
        let input = InputStream(spec: spec)
        try input.connect(params)
        return input
    }

    @Test func pollAndSpinWorkWithThePage() throws {
        let output = try Self.output(protocol: "inproc")
        let input = InputStream()
        try input.connect(output.params.map)
        input.spinMicroseconds = 20
        #expect(try input.poll(timeoutMs: 0) == false)
        try output.send(Self.rows(0, 3).view)
        #expect(try input.poll(timeoutMs: 1000))
        try Self.check(try input.receive(timeoutMs: 0), start: 0, rows: 3)
        do throws(PyAcqError) {
            _ = try input.receive(timeoutMs: 1)
            Issue.record("an empty page must time out")
        } catch {
            #expect(error.code == .timeout)
        }
        output.close()
    }
}
