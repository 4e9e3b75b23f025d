import PyAcqCore
import PyAcqTestSupport
import Testing

@Suite struct RingBufferTests {
    /// A (rows, 2) int32 chunk whose values encode (sample, channel).
    func chunk(from start: Int, to stop: Int) -> ArrayView {
        let values = (start..<stop).flatMap { [Int32($0 * 10), Int32($0 * 10 + 1)] }
        return NDArray(dtype: .int32, shape: [stop - start, 2], values: values).view
    }

    func samples(_ view: ArrayView) -> [Int32] { view.toNDArray().values(as: Int32.self) }
    func expected(_ start: Int, _ stop: Int) -> [Int32] { (start..<stop).flatMap { [Int32($0 * 10), Int32($0 * 10 + 1)] } }

    @Test(arguments: [false, true], [nil, [1, 0]] as [[Int]?])
    func wrapsAndReturnsExactWindows(double: Bool, axisOrder: [Int]?) throws {
        let ring = try RingBuffer(length: 8, rowShape: [2], dtype: .int32, double: double, axisOrder: axisOrder)
        var index = 0
        for size in [3, 5, 2, 7, 1, 8, 4] {
            try ring.newChunk(chunk(from: index, to: index + size))
            index += size
            #expect(ring.index == index)
            #expect(ring.firstIndex == index - 8)
            for window in 0...min(8, index) {
                let data = try ring.getData(start: index - window, stop: index)
                #expect(samples(data) == expected(index - window, index))
            }
        }
        #expect(throws: PyAcqError.self) { try ring.getData(start: index - 9, stop: index) }
        #expect(throws: PyAcqError.self) { try ring.getData(start: index - 2, stop: index + 1) }
    }

    @Test func doubleRingViewsAreZeroCopy() throws {
        let ring = try RingBuffer(length: 4, rowShape: [2], dtype: .int32, double: true)
        try ring.newChunk(chunk(from: 0, to: 3))
        try ring.newChunk(chunk(from: 3, to: 6))
        let a = try ring.getData(start: 2, stop: 6)
        let b = try ring.getData(start: 3, stop: 5)
        #expect(a.owner === ring && b.owner === ring)
        #expect(samples(a) == expected(2, 6))
    }

    @Test func singleRingSplitsAcrossTheEnd() throws {
        let ring = try RingBuffer(length: 4, rowShape: [2], dtype: .int32, double: false)
        try ring.newChunk(chunk(from: 0, to: 3))
        try ring.newChunk(chunk(from: 3, to: 5))
        let (first, second) = try ring.pieces(start: 2, stop: 5)
        #expect(samples(first) == expected(2, 4))
        #expect(samples(try #require(second)) == expected(4, 5))
        let joined = try ring.getData(start: 2, stop: 5)
        #expect(joined.owner !== ring)
        #expect(samples(joined) == expected(2, 5))
    }

    @Test func skippedSamplesGetTheFillValue() throws {
        let ring = try RingBuffer(length: 6, rowShape: [2], dtype: .float32, double: false)
        let ones = NDArray(dtype: .float32, shape: [2, 2], values: [Float](repeating: 1, count: 4))
        try ring.newChunk(ones.view, index: 2)
        try ring.newChunk(ones.view, index: 6)
        let data = floats(try ring.getData(start: 0, stop: 6))
        #expect(Array(data[0..<4]) == [1, 1, 1, 1])
        #expect(data[4..<8].allSatisfy { $0.isNaN })
        #expect(Array(data[8..<12]) == [1, 1, 1, 1])

        let filled = try RingBuffer(length: 4, rowShape: [1], dtype: .int16, double: true, fill: .int(-7))
        try filled.newChunk(NDArray(dtype: .int16, shape: [1, 1], values: [Int16(5)]).view, index: 3)
        #expect(try filled.getData(start: 0, stop: 3).toNDArray().values(as: Int16.self) == [-7, -7, 5])
    }

    @Test func rejectsBadChunks() throws {
        let ring = try RingBuffer(length: 4, rowShape: [2], dtype: .int32)
        #expect(throws: PyAcqError.self) { try ring.newChunk(chunk(from: 0, to: 5)) }  // longer than the ring
        #expect(throws: PyAcqError.self) { try ring.newChunk(NDArray(dtype: .float32, shape: [1, 2]).view) }
        #expect(throws: PyAcqError.self) { try ring.newChunk(NDArray(dtype: .int32, shape: [1, 3]).view) }
        try ring.newChunk(chunk(from: 0, to: 2))
        #expect(throws: PyAcqError.self) { try ring.newChunk(chunk(from: 2, to: 4), index: 3) }  // advances by less than 2
        #expect(throws: PyAcqError.self) { try RingBuffer(length: 0, rowShape: [2], dtype: .int32) }
        #expect(throws: PyAcqError.self) { try RingBuffer(length: 4, rowShape: [2], dtype: .int32, axisOrder: [0, 0]) }
    }

    @Test func negativeIndicesAndSlices() throws {
        let ring = try RingBuffer(length: 8, rowShape: [2], dtype: .int32)
        try ring.newChunk(chunk(from: 0, to: 6))
        try ring.newChunk(chunk(from: 6, to: 10))
        #expect(samples(try ring.frame(at: -1)) == expected(9, 10))
        #expect(samples(try ring.frame(at: 5)) == expected(5, 6))
        #expect(throws: PyAcqError.self) { try ring.frame(at: 1) }
        #expect(samples(try ring.slice(start: -3, stop: nil)) == expected(7, 10))
        #expect(samples(try ring.slice(start: nil, stop: nil)) == expected(2, 10))
        #expect(samples(try ring.slice(start: 3, stop: 9, step: 2)) == [30, 31, 50, 51, 70, 71])
        #expect(samples(try ring.slice(start: 8, stop: 4, step: -1)) == [80, 81, 70, 71, 60, 61, 50, 51])
        #expect(samples(try ring.slice(start: nil, stop: nil, step: -3)) == [90, 91, 60, 61, 30, 31])
        #expect(throws: PyAcqError.self) { try ring.slice(start: 0, stop: 5) }
    }

    @Test func resetStartsOver() throws {
        let ring = try RingBuffer(length: 4, rowShape: [2], dtype: .int32)
        try ring.newChunk(chunk(from: 0, to: 3))
        try ring.resetIndex()
        #expect(ring.index == 0 && ring.writeIndex == 0)
        try ring.newChunk(chunk(from: 0, to: 2))
        #expect(samples(try ring.getData(start: 0, stop: 2)) == expected(0, 2))
    }

    @Test func readRefusesSamplesTheWriterRecycled() throws {
        let ring = try RingBuffer(length: 4, rowShape: [2], dtype: .int32)
        try ring.newChunk(chunk(from: 0, to: 4))
        var destination = [Int32](repeating: 0, count: 8)
        try destination.withUnsafeMutableBytes { try ring.read(start: 0, stop: 4, into: $0.baseAddress!, capacity: $0.count) }
        #expect(destination == expected(0, 4))
        #expect {
            try destination.withUnsafeMutableBytes { try ring.read(start: 0, stop: 4, into: $0.baseAddress!, capacity: 8) }
        } throws: { ($0 as? PyAcqError)?.code == .bufferTooSmall }
    }
}
