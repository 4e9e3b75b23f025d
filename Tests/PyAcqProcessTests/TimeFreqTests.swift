import Foundation
import PyAcqCore
import PyAcqNodes
import Testing

/// TimeFreqWorker: the scalogram peaks at an injected sine's frequency, in the transform alone
/// and through the node (stream in, maps out); bad settings are refused with a clear error.
/// Values against a numpy computation: tests/python/test_viewers_timefreq.py.
@Suite(.serialized) struct TimeFreqTests {
    init() { BuiltinNodes.register() }

    static func sine(_ n: Int, freq: Double, rate: Double, channels: Int = 1, channel: Int = 0) -> [Float] {
        var out = [Float](repeating: 0, count: n * channels)
        for i in 0..<n { out[i * channels + channel] = Float(sin(2 * Double.pi * freq * Double(i) / rate)) }
        return out
    }

    /// Column (frequency index) of the largest value in the map's middle rows.
    static func peakColumn(_ map: [Float], rows: Int, columns: Int) -> Int {
        var best = 0, bestValue: Float = -1
        for r in rows / 4..<(3 * rows / 4) {
            for c in 0..<columns where map[r * columns + c] > bestValue { (best, bestValue) = (c, map[r * columns + c]) }
        }
        return best
    }

    @Test func geometryFollowsPyacq() throws {
        let g = try TimeFreqGeometry(sampleRate: 30000, xsize: 10, fStart: 3, fStop: 90, deltaFreq: 3, f0: 2.5, normalisation: 0)
        #expect(g.lenWavelet == 4096)
        #expect(g.downsampleFactor == 74)
        #expect(g.sigChunkSize == 74 * 4096)
        #expect(g.plotLength == Int(10 * 30000 / 74.0))
        #expect(g.frequencies.count == 29)
        #expect(throws: PyAcqError.self) { try TimeFreqGeometry(sampleRate: 1000, xsize: 1, fStart: 10, fStop: 5, deltaFreq: 1, f0: 2.5, normalisation: 0) }
    }

    @Test(arguments: [(1000.0, 20.0), (30000.0, 47.0), (500.0, 81.0)])
    func transformPeaksAtTheSineFrequency(rate: Double, freq: Double) throws {
        let g = try TimeFreqGeometry(sampleRate: rate, xsize: 2, fStart: 3, fStop: 90, deltaFreq: 1, f0: 2.5, normalisation: 0)
        let t = try MorletTransform(g)
        let signal = Self.sine(g.sigChunkSize, freq: freq, rate: rate)
        var map = [Float](repeating: 0, count: g.plotLength * g.frequencyCount)
        map.withUnsafeMutableBufferPointer { out in
            t.compute(fill: { dst in for i in 0..<signal.count { dst[i] = signal[i] } }, into: out.baseAddress!)
        }
        let peak = g.frequencies[Self.peakColumn(map, rows: g.plotLength, columns: g.frequencyCount)]
        #expect(abs(peak - freq) <= 1, "peak at \(peak) Hz for a \(freq) Hz sine")
    }

    @Test func nodeSendsMapsOfTheChosenChannel() throws {
        let rate = 1000.0
        let node = try NodeRegistry.create("TimeFreqWorker", name: "tfr")
        try node.configure(["channel": .int(1), "xsize": .double(2), "f_start": .double(5), "f_stop": .double(60), "deltafreq": .double(1),
                            "max_xsize": .double(4)])
        let rig = try DSPNodeTests.Rig(node, sources: ["signals": ["dtype": .string("float32"), "shape": .array([.int(-1), .int(2)]),
                                                                     "sample_rate": .double(rate)]])
        defer { rig.close() }
        let n = 3000
        let data = Self.sine(n, freq: 33, rate: rate, channels: 2, channel: 1)
        try rig.sources["signals"]!.send(NDArray(dtype: .float32, shape: [n, 2], values: data).view, index: n)
        // The poller must have the chunk in the buffer before the request is served.
        let deadline = Date().addingTimeInterval(10)
        while try node.input.buffer?.index ?? 0 < n { #expect(Date() < deadline); usleep(1000) }
        _ = try node.callMethod("compute_one_map", args: [.int(n)], kwargs: [:])
        let chunk = try rig.sinks["timefreq"]!.receive(timeoutMs: 10000)
        let map = try #require(chunk.data).toNDArray()
        #expect(chunk.index == n)
        #expect(map.shape == [500, 55])
        let peak = 5 + Double(Self.peakColumn(map.values(as: Float.self), rows: 500, columns: 55))
        #expect(abs(peak - 33) <= 1)
        #expect(node.attribute("maps_computed") == .int(1))
        #expect { try node.setParameter("f_stop", .double(1)) } throws: { ($0 as? PyAcqError)?.message.contains("f_start < f_stop") == true }
        #expect { try node.setParameter("xsize", .double(100)) } throws: { ($0 as? PyAcqError)?.message.contains("max_xsize") == true }
    }

    @Test func badConfigurationIsRefused() throws {
        let node = try NodeRegistry.create("TimeFreqWorker", name: "bad")
        #expect { try node.configure(["chanel": .int(0)]) } throws: { ($0 as? PyAcqError)?.message.contains("chanel") == true }
        #expect { try node.configure(["deltafreq": .string("x")]) } throws: { ($0 as? PyAcqError)?.message.contains("deltafreq") == true }
    }
}
