import PyAcqCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A fake device that plays a buffer in a loop in real time (PROTOCOL §14.1): every
/// `chunksize × sample_interval` seconds it sends the next `chunksize` rows, index = samples
/// sent. Without `buffer` it plays a float32 test signal (pyacq crashes in that case).
public final class NumpyDeviceBuffer: Node, @unchecked Sendable {
    public override class var typeName: String { "NumpyDeviceBuffer" }
    public override class var outputSpecs: [(String, ValueMap)] {
        [("signals", ["streamtype": .string("analogsignal"), "shape": .array([.int(-1), .int(16)]),
                      "compression": .string(""), "sample_rate": .double(30.0)])]
    }

    public private(set) var channels = 16
    public private(set) var sampleInterval = 0.001
    public private(set) var chunksize = 256
    private var buffer = NDArray(dtype: .float32, shape: [256, 16])
    private var channelNames: [String] = []
    private var thread: PosixThread?
    private let running = Atomic<Bool>(false)
    /// Monotonic time of the last start (shared by the processes of one machine): sample k is
    /// due at `startTime + k × sample_interval`, which gives consumers their latency.
    public private(set) var startTime = 0.0

    public override func attribute(_ attributeName: String) -> Value? {
        switch attributeName {
        case "start_time": return .double(startTime)
        case "sample_interval": return .double(sampleInterval)
        case "chunksize": return .int(chunksize)
        default: return nil
        }
    }

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        let allowed: Set<String> = ["nb_channel", "sample_interval", "chunksize", "buffer", "channel_names"]
        if let unknown = kwargs.keys.first(where: { !allowed.contains($0) }) {
            throw PyAcqError(.badParams, "NumpyDeviceBuffer.configure() got an unexpected keyword '\(unknown)'", exceptionType: "TypeError")
        }
        let p = StreamParams(kwargs)
        channels = try p.int("nb_channel", default: 16)
        sampleInterval = kwargs["sample_interval"]?.doubleValue ?? 0.001
        chunksize = try p.int("chunksize", default: 256)
        guard channels > 0, chunksize > 0, sampleInterval > 0 else {
            throw PyAcqError(.badParams, "nb_channel, chunksize and sample_interval must be positive", exceptionType: "ValueError")
        }
        if let given = kwargs["buffer"], !given.isNull {
            guard case .ndarray(let array) = given else {
                throw PyAcqError(.badParams, "buffer must be an ndarray of shape (n, nb_channel)", exceptionType: "TypeError")
            }
            guard array.shape.count == 2, array.shape[1] == channels, array.shape[0] >= chunksize, array.shape[0] % chunksize == 0 else {
                throw PyAcqError(.badParams, "buffer shape \(array.shape) must be (k × chunksize, nb_channel) = (k × \(chunksize), \(channels))",
                                 exceptionType: "ValueError")
            }
            buffer = array
        } else {
            buffer = Self.testSignal(channels: channels, chunksize: chunksize, sampleRate: 1 / sampleInterval)
        }
        if case .array(let names)? = kwargs["channel_names"] {
            channelNames = names.compactMap(\.stringValue)
            guard channelNames.count == channels else {
                throw PyAcqError(.badParams, "channel_names has \(channelNames.count) names for \(channels) channels", exceptionType: "ValueError")
            }
        } else {
            channelNames = (0..<channels).map { "chan\($0)" }
        }
        setOutputSpec("signals", [
            "streamtype": .string("analogsignal"), "shape": .array([.int(-1), .int(channels)]), "compression": .string(""),
            "sample_rate": .double(1 / sampleInterval), "dtype": buffer.dtype.paramValue,
        ])
    }

    /// About one second of sines (channel c at (c + 1) Hz), a whole number of chunks long.
    static func testSignal(channels: Int, chunksize: Int, sampleRate: Double) -> NDArray {
        let chunks = max(1, Int((sampleRate / Double(chunksize)).rounded(.up)))
        let rows = chunks * chunksize
        var values = [Float](repeating: 0, count: rows * channels)
        for r in 0..<rows {
            for c in 0..<channels {
                values[r * channels + c] = Float(sin(2 * Double.pi * Double(c + 1) * Double(r) / Double(rows)))
            }
        }
        return NDArray(dtype: .float32, shape: [rows, channels], values: values)
    }

    public override func outputConfigured(_ streamName: String) {
        try? outputs.first?.stream.setParam("channel_info", .array(channelNames.map { .map(["name": .string($0)]) }))
    }

    public override func didStart() throws(PyAcqError) {
        let output = try self.output
        let period = Double(chunksize) * sampleInterval
        let rows = buffer.shape[0], chunk = chunksize, bytesPerRow = channels * buffer.dtype.itemsize
        let source = buffer
        running.store(true, ordering: .releasing)
        startTime = monotonicSeconds()
        let start = startTime
        thread = PosixThread(name: "\(name)-device") { [self] in
            var sent = 0
            while running.load(ordering: .acquiring) {
                let due = start + Double(sent / chunk + 1) * period
                let wait = due - monotonicSeconds()
                if wait > 0 { sleepFor(min(wait, 0.05)); continue }
                let row = sent % rows
                // A view into the buffer: sent without copying, kept alive by its storage.
                let view = ArrayView(base: source.storage.pointer + row * bytesPerRow, dtype: source.dtype,
                                     shape: [chunk, channels], owner: source.storage)
                sent += chunk
                try? output.send(view, index: sent)
            }
        }
    }

    public override func didStop() throws(PyAcqError) {
        running.store(false, ordering: .releasing)
        thread?.join()
        thread = nil
    }
}

func sleepFor(_ seconds: Double) {
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
