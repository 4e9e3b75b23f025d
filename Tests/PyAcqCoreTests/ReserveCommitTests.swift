import PyAcqCore
import PyAcqTestSupport
import Testing

/// Zero-copy production: rows reserved in an output, written in place, committed; consumers
/// see exactly what a send of the same rows would have given them.
@Suite struct ReserveCommitTests {
    func pair(_ params: ValueMap) throws -> (OutputStream, InputStream) {
        let output = OutputStream()
        var p = params
        p["protocol"] = .string("inproc")
        try output.configure(p)
        let input = InputStream()
        try input.connect(output.params.map)
        #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
        return (output, input)
    }

    func write(_ reservation: OutputStream.Reservation, startingAt value: Int) {
        let count = reservation.byteCount / 4
        let p = reservation.data.bindMemory(to: Float.self, capacity: count)
        for i in 0..<count { p[i] = Float(value + i) }
    }

    @Test(arguments: [
        ["transfermode": Value.string("plaindata")],
        ["transfermode": .string("sharedmem"), "buffer_size": .int(10), "double": .bool(true)],
        ["transfermode": .string("sharedmem"), "buffer_size": .int(10), "double": .bool(false)],
        ["transfermode": .string("sharedmem"), "buffer_size": .int(10), "axisorder": .array([.int(1), .int(0)])],
    ] as [ValueMap])
    func committedRowsReachTheConsumer(_ mode: ValueMap) throws {
        var params = mode
        params["dtype"] = .string("float32")
        params["shape"] = .array([.int(-1), .int(2)])
        let (output, input) = try pair(params)
        var value = 0
        // Chunks of 3 rows wrap around the 10-row ring: in place when contiguous, staged otherwise.
        for chunk in 1...7 {
            let reservation = try output.reserve(rows: 3)
            #expect(reservation.rows == 3 && reservation.index == 3 * chunk && reservation.byteCount == 24)
            #expect(throws: PyAcqError.self) { try output.send(NDArray(dtype: .float32, shape: [1, 2]).view) }
            write(reservation, startingAt: value)
            try output.commit()
            let received = try input.receive(timeoutMs: 5000)
            #expect(received.index == 3 * chunk && received.rows == 3)
            let data = try #require(received.data)
            #expect(floats(data) == (value..<value + 6).map(Float.init))
            value += 6
        }
        #expect(output.lastIndex == 21)
        #expect(throws: PyAcqError.self) { try output.commit() }  // nothing reserved
    }

    @Test func fixedChunkLengthAndClosedStreamsAreChecked() throws {
        let (output, _) = try pair(["dtype": .string("int16"), "shape": .array([.int(4), .int(1)])])
        #expect(throws: PyAcqError.self) { _ = try output.reserve(rows: 3) }
        let reservation = try output.reserve(rows: 4, index: 100)
        #expect(reservation.index == 100)
        output.close()
        #expect(throws: PyAcqError.self) { try output.commit() }
        #expect(throws: PyAcqError.self) { _ = try output.reserve(rows: 4) }
    }
}
