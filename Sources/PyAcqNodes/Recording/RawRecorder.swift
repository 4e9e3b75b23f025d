import PyAcqCore

/// Records each input stream to `<name>.raw` (the chunks' bytes in C order, native dtype) plus
/// `stream_properties.json`, the layout of pyacq's RawRecorder (PROTOCOL §14.3), so recordings
/// open with the same readers. Every chunk is written straight to the kernel: killing the
/// recorder loses at most the chunk being written.
public final class RawRecorder: Node, @unchecked Sendable {
    public override class var typeName: String { "RawRecorder" }

    private var sources: [(name: String, stream: Value)] = []
    private var directory = ""
    private var overwrite = false
    private var files: [String: AppendFile] = [:]
    /// Streams whose producer stamps chunks (TimestampLog.swift).
    private var timestampLogs: [String: TimestampLog] = [:]
    private var properties = ValueMap()
    private var annotations = ValueMap()
    private var pollers: [InputPoller] = []
    private let fileLock = Lock()

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        if let unknown = kwargs.keys.first(where: { !["streams", "autoconnect", "dirname", "overwrite"].contains($0) }) {
            throw PyAcqError(.badParams, "RawRecorder.configure() got an unexpected keyword '\(unknown)'", exceptionType: "TypeError")
        }
        let overwrite = kwargs["overwrite"]?.boolValue ?? false
        if case .string(let dirname)? = kwargs["dirname"], Files.exists(dirname) && !overwrite {
            throw PyAcqError(.badParams, "\(dirname) already exists; choose a new directory or pass overwrite=True", exceptionType: "FileExistsError")
        }
        (directory, sources) = try RecorderArguments.apply(kwargs, to: self, inputPrefix: "input", what: "recording")
        self.overwrite = overwrite
    }

    public override func didInitialize() throws(PyAcqError) {
        if Files.exists(directory) {
            guard overwrite else { throw PyAcqError(.badParams, "\(directory) already exists; pass overwrite=True to replace it", exceptionType: "FileExistsError") }
            try Files.removeFiles(in: directory)
        } else {
            try Files.makeDirectory(directory)
        }
        properties = ["pyacq_version": .string("0.2.0-dev")]
        for (name, stream) in inputs {
            guard let params = stream.params else {
                throw PyAcqError(.state, "input '\(name)' is not connected; connect it or use autoconnect=True", exceptionType: "RuntimeError")
            }
            var entry = ValueMap()
            for key in ["streamtype", "dtype", "shape", "sample_rate", "channel_info"] where params[key] != nil { entry[key] = params[key] }
            entry["start_index"] = .null
            if stream.receivesTimestamps {
                TimestampLog.describe(&entry, stream: name)
                timestampLogs[name] = try TimestampLog(directory: directory, stream: name)
            }
            properties[name] = .map(entry)
            files[name] = try AppendFile(path: "\(directory)/\(name).raw", truncate: true)
        }
        try writeProperties()
    }

    private func writeProperties() throws(PyAcqError) {
        try Files.writeText(try Value.map(properties).jsonText(style: JSON.Style(indent: 4, sortKeys: true)), to: "\(directory)/stream_properties.json")
    }

    /// Annotations saved next to the data (`annotations.json`).
    public override func callMethod(_ method: String, args: [Value], kwargs: ValueMap) throws(PyAcqError) -> Value? {
        guard method == "add_annotations" else { return nil }
        for (k, v) in kwargs { annotations[k] = v }
        try Files.writeText(try Value.map(annotations).jsonText(style: JSON.Style(indent: 4, sortKeys: true)), to: "\(directory)/annotations.json")
        return .null
    }

    public override func didStart() throws(PyAcqError) {
        pollers = []
        for (name, stream) in inputs {
            let poller = InputPoller(input: stream) { [self] chunk throws(PyAcqError) in
                guard let data = chunk.data else { return }
                let copy = data.isCContiguous ? nil : data.toNDArray()
                let bytes = copy?.bytes ?? UnsafeRawBufferPointer(start: data.base, count: data.byteCount)
                try fileLock.withLock { () throws(PyAcqError) in
                    if case .map(var entry)? = properties[name], entry["start_index"] == .null {
                        entry["start_index"] = .int(chunk.index - chunk.rows)
                        properties[name] = .map(entry)
                        try writeProperties()
                    }
                    try files[name]?.write(bytes)
                    if let log = timestampLogs[name], try log.record(chunk, estimate: stream.latestClockOffset),
                       case .map(var entry)? = properties[name] {
                        entry["clock_offsets"] = .array(log.offsets)
                        properties[name] = .map(entry)
                        try writeProperties()
                    }
                }
            }
            poller.start(name: "\(self.name)-rec")
            pollers.append(poller)
        }
    }

    public override func didStop() throws(PyAcqError) {
        for poller in pollers { poller.stop() }
        pollers = []
    }

    public override func didClose() throws(PyAcqError) {
        fileLock.withLock {
            for file in files.values { file.close() }
            files = [:]
            for log in timestampLogs.values { log.close() }
            timestampLogs = [:]
        }
    }
}
