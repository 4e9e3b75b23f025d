import PyAcqCore
import PyAcqNodes

/// pyacq's AviRecorder (PROTOCOL §14.3): each video input (`video0…`, or the keys of a dict)
/// is encoded to `<name>.avi` (h264 by default, any FFmpeg encoder by name) next to
/// `avi_stream_properties.json`. Files are flushed packet by packet while recording and
/// finished (encoder drained, AVI index written) on stop and on close. Starting again after a
/// stop records a new segment `<name>_<run>.avi` instead of overwriting the first.
public final class AviRecorder: Node, @unchecked Sendable {
    public override class var typeName: String { "AviRecorder" }

    private var sources: [(name: String, stream: Value)] = []
    private var directory = ""
    private var codecName = "h264"
    private var pixelFormat: String?
    private var codecOptions: [(String, String)] = []
    private var writers: [String: VideoFileWriter] = [:]
    private var firstIndex: [String: Int] = [:]
    private var properties = ValueMap()
    private var annotations = ValueMap()
    private var pollers: [InputPoller] = []
    private var run = 0
    private let lock = Lock()

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        let allowed = ["streams", "autoconnect", "dirname", "codec_name", "codec_options", "pix_fmt"]
        if let unknown = kwargs.keys.first(where: { !allowed.contains($0) }) {
            throw PyAcqError(.badParams, "AviRecorder.configure() got an unexpected keyword '\(unknown)' (accepted: \(allowed.joined(separator: ", ")))",
                             exceptionType: "TypeError")
        }
        let codec = kwargs["codec_name"]?.stringValue ?? "h264"
        _ = try VideoFileWriter.findEncoder(codec)  // an unknown encoder fails here, listing the others
        codecName = codec
        pixelFormat = kwargs["pix_fmt"]?.stringValue
        codecOptions = (kwargs["codec_options"]?.mapValue ?? [:]).map { ($0.key, $0.value.stringValue ?? $0.value.intValue.map(String.init) ?? "\($0.value)") }
        (directory, sources) = try RecorderArguments.apply(kwargs, to: self, inputPrefix: "video", what: "videos")
    }

    public override func didInitialize() throws(PyAcqError) {
        if !Files.exists(directory) { try Files.makeDirectory(directory) }
        properties = ["pyacq_version": .string("0.2.0-dev")]
        for (name, stream) in inputs {
            guard let params = stream.params else {
                throw PyAcqError(.state, "input '\(name)' is not connected; connect it or use autoconnect=True", exceptionType: "RuntimeError")
            }
            let shape = try params.shape()
            guard try params.dtype() == .uint8, shape.count == 3, shape[2] == 3, shape[0] > 0, shape[1] > 0 else {
                throw PyAcqError(.badParams, "input '\(name)' must be an RGB video stream (uint8, shape [h, w, 3]); it is \(try params.dtype()) \(shape)",
                                 exceptionType: "ValueError")
            }
            var entry = ValueMap()
            for key in ["streamtype", "dtype", "shape", "sample_rate"] { entry[key] = params[key] ?? .null }
            properties[name] = .map(entry)
        }
        try writeProperties()
        run = 0
    }

    private func writeProperties() throws(PyAcqError) {
        try Files.writeText(try Value.map(properties).jsonText(style: JSON.Style(indent: 4, sortKeys: true)), to: "\(directory)/avi_stream_properties.json")
    }

    private func openWriters() throws(PyAcqError) {
        run += 1
        var opened: [String: VideoFileWriter] = [:]
        for (name, stream) in inputs {
            guard let params = stream.params else { continue }
            let shape = try params.shape()
            let rate = params["sample_rate"]?.doubleValue ?? 0
            let file = run == 1 ? "\(directory)/\(name).avi" : "\(directory)/\(name)_\(run).avi"
            opened[name] = try VideoFileWriter(path: file, codec: codecName, width: shape[1], height: shape[0], rate: rate,
                                               pixelFormat: pixelFormat, options: codecOptions)
        }
        lock.withLock { writers = opened; firstIndex = [:] }
    }

    public override func didStart() throws(PyAcqError) {
        for (_, stream) in inputs { _ = try stream.emptyQueue() }
        try openWriters()
        pollers = []
        for (name, stream) in inputs {
            let poller = InputPoller(input: stream) { [self] chunk throws(PyAcqError) in try record(chunk, as: name) }
            poller.start(name: "\(self.name)-avi")
            pollers.append(poller)
        }
    }

    private func record(_ chunk: ReceivedChunk, as name: String) throws(PyAcqError) {
        guard let data = chunk.data else { return }
        try lock.withLock { () throws(PyAcqError) in
            guard let writer = writers[name] else { return }
            guard data.dtype == .uint8, data.shape == [writer.height, writer.width, 3] else {
                throw PyAcqError(.invalidArgument, "AviRecorder '\(self.name)': frame of \(data.dtype) \(data.shape) on '\(name)', expected uint8 [\(writer.height), \(writer.width), 3]")
            }
            if firstIndex[name] == nil {
                firstIndex[name] = chunk.index
                if run == 1, case .map(var entry)? = properties[name] {
                    entry["start_index"] = .int(chunk.index - 1)
                    properties[name] = .map(entry)
                    try writeProperties()
                }
            }
            let compact = data.isCContiguous ? nil : data.toNDArray()
            let pixels: UnsafeRawPointer = compact.map { UnsafeRawPointer($0.storage.pointer) } ?? data.base
            try writer.write(rgb: pixels, rowBytes: writer.width * 3, number: chunk.index - (firstIndex[name] ?? chunk.index))
        }
    }

    public override func didStop() throws(PyAcqError) {
        for poller in pollers { poller.stop() }
        pollers = []
        // Frames already queued were accepted: record them before finishing the files.
        for (name, stream) in inputs {
            while (try? stream.poll(timeoutMs: 0)) == true {
                guard let chunk = try? stream.receive(timeoutMs: 0) else { break }
                try record(chunk, as: name)
            }
        }
        try finishWriters()
    }

    private func finishWriters() throws(PyAcqError) {
        let open = lock.withLock { () -> [VideoFileWriter] in
            let all = Array(writers.values)
            writers = [:]
            return all
        }
        var failure: PyAcqError?
        for writer in open {
            do throws(PyAcqError) { try writer.finish() } catch { failure = error }
        }
        if let failure { throw failure }
    }

    public override func didClose() throws(PyAcqError) {
        try finishWriters()
    }

    /// Frames encoded so far per input, and annotations saved next to the videos.
    public override func attribute(_ attributeName: String) -> Value? {
        guard attributeName == "frames_written" else { return nil }
        return lock.withLock { .map(ValueMap(writers.map { ($0.key, Value.int($0.value.framesWritten)) })) }
    }

    public override func callMethod(_ method: String, args: [Value], kwargs: ValueMap) throws(PyAcqError) -> Value? {
        guard method == "add_annotations" else { return nil }
        for (k, v) in kwargs { annotations[k] = v }
        try Files.writeText(try Value.map(annotations).jsonText(style: JSON.Style(indent: 4, sortKeys: true)), to: "\(directory)/annotations.json")
        return .null
    }
}
