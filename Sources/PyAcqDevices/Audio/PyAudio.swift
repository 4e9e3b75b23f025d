import CPortAudio
import PyAcqCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// pyacq's PyAudio node over PortAudio's callback API (PROTOCOL §14.4). With an input device
/// it captures: each callback's frames go to output `signals` with automatic indexes. With an
/// output device it plays: chunks arriving on input `signals` are queued and played, silence
/// when the queue is empty. A watchdog notices a device that stops (a JACK server that dies),
/// records the error, and stops the node; the process and the rest of the graph keep running.
public final class PyAudio: Node, @unchecked Sendable {
    public override class var typeName: String { "PyAudio" }
    static func spec(_ format: AudioFormat = .int16, channels: Int = 2, rows: Int = -1, rate: Double = 44100) -> ValueMap {
        ["streamtype": .string("analogsignal"), "dtype": .string(format.rawValue), "shape": .array([.int(rows), .int(channels)]),
         "compression": .string(""), "timeaxis": .int(0), "sample_rate": .double(rate)]
    }
    /// The played stream's dtype and channel count are checked against the configuration when
    /// chunks arrive (pyacq rewrites its input spec instead; ours stays open to any producer).
    public override class var inputSpecs: [(String, ValueMap)] { [("signals", ["streamtype": .string("analogsignal"), "timeaxis": .int(0)])] }
    public override class var outputSpecs: [(String, ValueMap)] { [("signals", spec())] }

    public private(set) var channels = 2
    public private(set) var sampleRate = 44100
    public private(set) var chunksize = 1024
    private var format = AudioFormat.int16
    private var inputDevice: AudioDevice?
    private var outputDevice: AudioDevice?

    private var stream: OpaquePointer?
    private var engine: AudioEngine?
    private var holdsLibrary = false
    private var fifo: SampleFIFO?
    private var player: InputPoller?
    private var watchdog: PosixThread?
    private let watching = Atomic<Bool>(false)
    private let counters = AudioCounters()
    private let errorLock = Lock()
    private var lastError = ""
    private let streamLock = Lock()

    /// Called on the audio thread after each captured chunk is sent, with the chunk's index and
    /// the monotonic time the callback began (latency monitoring); set it before initialize().
    public var captureObserver: (@Sendable (Int, Double) -> Void)?

    /// Every audio device PortAudio sees now (pyacq's `list_device_specs`).
    public static func listDeviceSpecs() throws(PyAcqError) -> [AudioDevice] { try PortAudio.devices() }

    // MARK: configure

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        let allowed: Set<String> = ["nb_channel", "sample_rate", "input_device_index", "output_device_index", "format", "chunksize"]
        if let unknown = kwargs.keys.first(where: { !allowed.contains($0) }) {
            throw PyAcqError(.badParams, "PyAudio.configure() got an unexpected keyword '\(unknown)' (accepted: \(allowed.sorted().joined(separator: ", ")))",
                             exceptionType: "TypeError")
        }
        let p = StreamParams(kwargs)
        let newChannels = try p.int("nb_channel", default: 2)
        let rate = kwargs["sample_rate"]?.doubleValue ?? 44100
        let newChunksize = try p.int("chunksize", default: 1024)
        let formatName = kwargs["format"]?.stringValue ?? "int16"
        guard let newFormat = AudioFormat(rawValue: formatName) else {
            throw PyAcqError(.badParams, "format '\(formatName)' is not supported; choose one of \(AudioFormat.allCases.map(\.rawValue).joined(separator: ", "))",
                             exceptionType: "ValueError")
        }
        guard newChannels > 0, newChunksize > 0, rate >= 1 else {
            throw PyAcqError(.badParams, "nb_channel, chunksize and sample_rate must be positive", exceptionType: "ValueError")
        }
        let (input, output) = try PortAudio.withLibrary { () throws(PyAcqError) in
            let devices = try PortAudio.currentDevices()
            let input = try PortAudio.resolveDevice(kwargs["input_device_index"], direction: "input", channels: newChannels, in: devices)
            let output = try PortAudio.resolveDevice(kwargs["output_device_index"], direction: "output", channels: newChannels, in: devices)
            guard input != nil || output != nil else {
                throw PyAcqError(.badParams, "give input_device_index (capture) and/or output_device_index (playback), as an index, a name or 'default'; "
                                 + "devices: " + devices.map(\.summary).joined(separator: "; "), exceptionType: "ValueError")
            }
            try Self.checkSupported(input: input, output: output, channels: newChannels, format: newFormat, rate: Double(Int(rate)))
            return (input, output)
        }
        channels = newChannels
        sampleRate = Int(rate)
        chunksize = newChunksize
        format = newFormat
        inputDevice = input
        outputDevice = output
        if input != nil {
            var spec = Self.spec(format, channels: channels, rows: chunksize, rate: Double(sampleRate))
            spec["nb_channel"] = .int(channels)
            spec["gain"] = .double(format.gain)
            spec["offset"] = .double(0)
            setOutputSpec("signals", spec)
        } else {
            removeOutputs()  // pyacq: no capture device, no output
        }
    }

    private static func parameters(_ device: AudioDevice?, channels: Int, format: AudioFormat, input: Bool) -> PaStreamParameters? {
        guard let device else { return nil }
        return PaStreamParameters(device: PaDeviceIndex(device.index), channelCount: Int32(channels), sampleFormat: format.portAudioFormat,
                                  suggestedLatency: input ? device.defaultLowInputLatency : device.defaultLowOutputLatency,
                                  hostApiSpecificStreamInfo: nil)
    }

    private static func checkSupported(input: AudioDevice?, output: AudioDevice?, channels: Int, format: AudioFormat, rate: Double) throws(PyAcqError) {
        var inParams = parameters(input, channels: channels, format: format, input: true)
        var outParams = parameters(output, channels: channels, format: format, input: false)
        let code = withOptionalPointer(&inParams) { i in withOptionalPointer(&outParams) { o in Pa_IsFormatSupported(i, o, rate) } }
        guard code == 0 else {
            let devices = [input.map { "input \($0.summary)" }, output.map { "output \($0.summary)" }].compactMap { $0 }.joined(separator: ", ")
            throw PyAcqError(.badParams, "\(format.rawValue) at \(Int(rate)) Hz with \(channels) channels is not supported by \(devices): "
                             + PortAudio.errorText(code), exceptionType: "ValueError")
        }
    }

    // MARK: lifecycle

    public override func didInitialize() throws(PyAcqError) {
        try openStream()
    }

    /// Opens the PortAudio stream, finding the configured devices again by name: indexes can
    /// shift when PortAudio re-reads the device list (JACK clients come and go).
    private func openStream() throws(PyAcqError) {
        closeStream()
        try PortAudio.acquire()
        holdsLibrary = true
        do throws(PyAcqError) {
            let devices = try PortAudio.currentDevices()
            func current(_ device: AudioDevice?, _ direction: String) throws(PyAcqError) -> AudioDevice? {
                guard let device else { return nil }
                if let same = devices.first(where: { $0.name == device.name && $0.hostApiName == device.hostApiName }) { return same }
                throw PyAcqError(.io, "\(direction) device '\(device.name)' (\(device.hostApiName)) has disappeared; devices now: "
                                 + devices.map(\.summary).joined(separator: "; "), exceptionType: "OSError")
            }
            let input = try current(inputDevice, "input"), output = try current(outputDevice, "output")
            let capture = input == nil ? nil : try self.output(named: "signals")
            fifo = output == nil ? nil : SampleFIFO(capacityFrames: max(4 * chunksize, sampleRate), frameBytes: channels * format.dtype.itemsize)
            let engine = AudioEngine(capture: capture, playback: fifo, channels: channels, dtype: format.dtype, counters: counters,
                                     observer: captureObserver)
            var inParams = Self.parameters(input, channels: channels, format: format, input: true)
            var outParams = Self.parameters(output, channels: channels, format: format, input: false)
            var opened: UnsafeMutableRawPointer?
            let context = Unmanaged.passUnretained(engine).toOpaque()
            let code = withOptionalPointer(&inParams) { i in
                withOptionalPointer(&outParams) { o in
                    Pa_OpenStream(&opened, i, o, Double(sampleRate), UInt(chunksize), 0, portAudioCallback, context)
                }
            }
            try PortAudio.check(code, "cannot open the audio stream on " + [input?.summary, output?.summary].compactMap { $0 }.joined(separator: " and "))
            stream = OpaquePointer(opened)
            self.engine = engine
        } catch {
            closeStream()
            throw error
        }
    }

    private func closeStream() {
        streamLock.withLock {
            if let stream { _ = Pa_CloseStream(UnsafeMutableRawPointer(stream)) }
            stream = nil
            engine = nil
            if holdsLibrary { PortAudio.release() }
            holdsLibrary = false
        }
    }

    public override func didStart() throws(PyAcqError) {
        if stream == nil { try openStream() }  // closed after a device failure: try again
        guard let stream else { throw PyAcqError(.state, "the audio stream is not open") }
        counters.reset()
        setError("")
        fifo?.clear()
        if let fifo, let input = inputs.first?.stream, input.isConnected {
            let player = InputPoller(input: input) { [self] chunk throws(PyAcqError) in try queueForPlayback(chunk, into: fifo) }
            player.start(name: "\(name)-play")
            self.player = player
        }
        try PortAudio.check(Pa_StartStream(UnsafeMutableRawPointer(stream)), "cannot start the audio stream")
        startWatchdog()
    }

    private func queueForPlayback(_ chunk: ReceivedChunk, into fifo: SampleFIFO) throws(PyAcqError) {
        guard let data = chunk.data else { return }
        guard data.dtype == format.dtype, data.ndim == 2, data.shape[1] == channels else {
            throw PyAcqError(.dtype, "PyAudio '\(name)' plays \(format.rawValue) chunks of \(channels) channels; received \(data.dtype) \(data.shape)")
        }
        let compact = data.isCContiguous ? nil : data.toNDArray()
        let source: UnsafeRawPointer = compact.map { UnsafeRawPointer($0.storage.pointer) } ?? data.base
        let dropped = fifo.write(source, frames: data.shape[0])
        if dropped > 0 { counters.droppedFrames.add(dropped, ordering: .relaxed) }
    }

    public override func didStop() throws(PyAcqError) {
        stopWatchdog()
        player?.stop()
        player = nil
        if errorText.isEmpty {
            streamLock.withLock { if let stream { _ = Pa_StopStream(UnsafeMutableRawPointer(stream)) } }
        } else {
            abandonStream()  // a dead device: reopen on the next start
        }
    }

    /// PortAudio's JACK host API waits forever for a dead server to acknowledge a stop or a
    /// close: such a stream is closed on a thread of its own, which may never return, so
    /// nothing else blocks on it. The engine stays alive in case the callback still runs.
    private func abandonStream() {
        streamLock.withLock {
            guard let dead = stream else { return }
            let engine = self.engine, holds = holdsLibrary
            let pointer = StreamPointer(raw: UnsafeMutableRawPointer(dead))
            stream = nil
            self.engine = nil
            holdsLibrary = false
            _ = PosixThread(name: "\(name)-reap") {
                _ = Pa_CloseStream(pointer.raw)
                withExtendedLifetime(engine) {}
                if holds { PortAudio.release() }
            }
        }
    }

    public override func didClose() throws(PyAcqError) {
        closeStream()
    }

    // MARK: device watchdog

    /// The longest silence from the device before it counts as gone: many periods, never
    /// less than a second (JACK's dummy backend and slow machines jitter).
    private var stallLimit: Double { max(1.0, 20 * Double(chunksize) / Double(sampleRate)) }

    /// JACK clients this node is connected to ("system" is the server itself).
    private func watchedJackClients() -> [JackClientWatch] {
        [inputDevice, outputDevice].compactMap { device in
            guard let device, device.hostApiName.contains("JACK"), device.name != "system" else { return nil }
            return JackClientWatch(clientName: device.name)
        }
    }

    private func startWatchdog() {
        watching.store(true, ordering: .releasing)
        let startedAt = monotonicSeconds()
        let jackClients = watchedJackClients()
        watchdog = PosixThread(name: "\(name)-watch") { [self] in
            while watching.load(ordering: .acquiring) {
                sleepSeconds(0.05)
                guard watching.load(ordering: .acquiring) else { return }
                let active = streamLock.withLock { stream.map { Pa_IsStreamActive(UnsafeMutableRawPointer($0)) } ?? 0 }
                let last = Double(counters.lastCallbackNanos.load(ordering: .relaxed)) / 1e9
                let silentFor = monotonicSeconds() - max(last, startedAt)
                var problem: String?
                if active < 0 { problem = "the audio stream reports an error: \(PortAudio.errorText(active))" }
                else if active == 0 { problem = "the audio device stopped the stream (its server or driver went away)" }
                else if let gone = jackClients.first(where: { !$0.clientExists }) {
                    problem = "the JACK client '\(gone.clientName)' it was connected to has disappeared"
                }
                else if silentFor > stallLimit { problem = "the audio device delivered nothing for \(Int(silentFor * 1000)) ms (its server or client went away)" }
                if let problem {
                    deviceFailed(problem)
                    return
                }
            }
        }
    }

    private func stopWatchdog() {
        watching.store(false, ordering: .releasing)
        watchdog?.join()
        watchdog = nil
    }

    private func deviceFailed(_ problem: String) {
        let message = "PyAudio '\(name)': \(problem); the node has stopped (start it again once the device is back)"
        setError(message)
        stopAfterDeviceFailure(message)
    }

    private func setError(_ message: String) { errorLock.withLock { lastError = message } }
    private var errorText: String { errorLock.withLock { lastError } }

    // MARK: user-visible state

    public override func attribute(_ attributeName: String) -> Value? {
        switch attributeName {
        case "nb_channel": return .int(channels)
        case "sample_rate": return .double(Double(sampleRate))
        case "chunksize": return .int(chunksize)
        case "format": return .string(format.rawValue)
        case "input_device_index": return inputDevice.map { .int($0.index) } ?? .null
        case "output_device_index": return outputDevice.map { .int($0.index) } ?? .null
        case "counters": return counters.value
        case "last_error": return .string(errorText)
        case "queued_frames": return .int(fifo?.framesQueued ?? 0)
        default: return counters.value.mapValue?[attributeName]
        }
    }

    public override func callMethod(_ method: String, args: [Value], kwargs: ValueMap) throws(PyAcqError) -> Value? {
        switch method {
        case "list_device_specs": return .array(try PortAudio.devices().map(\.value))
        case "default_input_device", "default_output_device":
            let wantInput = method == "default_input_device"
            guard let device = try PortAudio.devices().first(where: { wantInput ? $0.isDefaultInput : $0.isDefaultOutput }) else {
                throw PyAcqError(.io, "there is no default \(wantInput ? "input" : "output") audio device", exceptionType: "OSError")
            }
            return .int(device.index)
        case "counters": return counters.value
        case "last_error": return .string(errorText)
        default: return nil
        }
    }
}

/// A PortAudio stream handed to another thread.
private struct StreamPointer: @unchecked Sendable { let raw: UnsafeMutableRawPointer }

/// Passes a pointer to the optional's payload, or nil (PortAudio takes NULL for "no input").
func withOptionalPointer<T, R>(_ value: inout T?, _ body: (UnsafePointer<T>?) -> R) -> R {
    guard value != nil else { return body(nil) }
    return withUnsafePointer(to: &value!) { body($0) }
}

func sleepSeconds(_ seconds: Double) {
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
