import PyAcqCore
import PyAcqTestSupport
import Synchronization
import Testing

/// A reader copying from a shared ring while the writer laps it many times must get either the
/// exact samples it asked for or an overrun error — never a mix of old and new rows.
@Suite struct SharedRingStressTests {
    /// Each sample's 8 channels hold the sample number and a checksum of it.
    static func row(_ sample: Int) -> [Int64] {
        (0..<8).map { Int64(sample) &* 2654435761 &+ Int64($0) &* 40503 }
    }

    @Test func readerNeverSeesTornData() throws {
        let output = OutputStream()
        try output.configure(["protocol": .string("inproc"), "transfermode": .string("sharedmem"), "dtype": .string("int64"),
                              "shape": .array([.int(-1), .int(8)]), "buffer_size": .int(64), "double": .bool(false)])
        let input = InputStream()
        try input.connect(output.params.map)
        let ring = try #require(input.buffer)
        #expect(!ring.isWritable)

        let chunks = 40_000
        let done = Atomic<Bool>(false)
        let writer = PosixThread(name: "stress-writer") {
            var sample = 0
            for n in 0..<chunks {
                let rows = 1 + n % 13
                let chunk = NDArray(dtype: .int64, shape: [rows, 8], values: (sample..<sample + rows).flatMap(Self.row))
                try? output.send(chunk.view)
                sample += rows
            }
            done.store(true, ordering: .releasing)
        }
        var verified = 0, overruns = 0
        let destination = AlignedBuffer(count: 64 * 8 * 8)
        let rows = destination.pointer.bindMemory(to: Int64.self, capacity: 64 * 8)
        while !done.load(ordering: .acquiring) || verified == 0 {
            let stop = ring.index
            let length = min(48, stop)
            if length == 0 { continue }
            do throws(PyAcqError) {
                try ring.read(start: stop - length, stop: stop, into: destination.pointer, capacity: destination.count)
                for i in 0..<length {
                    let got = Array(UnsafeBufferPointer(start: rows + i * 8, count: 8))
                    #expect(got == Self.row(stop - length + i), "torn row at sample \(stop - length + i)")
                }
                verified += 1
            } catch {
                #expect(error.code == .overrun || error.code == .index)  // fell behind: refused, never torn
                overruns += 1
            }
        }
        writer.join()
        #expect(verified > 100)
        print("stress: \(verified) verified reads, \(overruns) overruns detected")
        output.close()
    }
}
