import CPortAudio
import PyAcqCore
import Synchronization

/// The sample formats the PyAudio node offers, with PortAudio's code and pyacq's gain
/// (the factor that turns the integer samples into the -1…1 range).
enum AudioFormat: String, CaseIterable {
    case int16, int32, float32

    var dtype: DType {
        switch self {
        case .int16: .int16
        case .int32: .int32
        case .float32: .float32
        }
    }

    var portAudioFormat: PaSampleFormat {
        switch self {
        case .int16: 0x0000_0008
        case .int32: 0x0000_0002
        case .float32: 0x0000_0001
        }
    }

    var gain: Double {
        switch self {
        case .int16: 1.0 / 32768
        case .int32: 1.0 / 2_147_483_648
        case .float32: 1.0
        }
    }
}

/// Counters the user reads to know whether audio was lost: PortAudio's callback status flags
/// and the playback queue's own starvation and overflow.
final class AudioCounters: Sendable {
    let callbacks = Atomic<Int>(0)
    let inputOverflows = Atomic<Int>(0)
    let inputUnderflows = Atomic<Int>(0)
    let outputUnderflows = Atomic<Int>(0)
    let outputOverflows = Atomic<Int>(0)
    /// Frames of silence played because no input data was queued.
    let silenceFrames = Atomic<Int>(0)
    /// Queued playback frames dropped because the input ran ahead of the device.
    let droppedFrames = Atomic<Int>(0)
    /// Captured chunks the output stream refused (e.g. closed under the callback).
    let sendErrors = Atomic<Int>(0)
    /// Monotonic time of the last callback, in nanoseconds.
    let lastCallbackNanos = Atomic<Int>(0)

    var value: Value {
        .map([
            "callbacks": .int(callbacks.load(ordering: .relaxed)),
            "input_overflows": .int(inputOverflows.load(ordering: .relaxed)),
            "input_underflows": .int(inputUnderflows.load(ordering: .relaxed)),
            "output_underflows": .int(outputUnderflows.load(ordering: .relaxed)),
            "output_overflows": .int(outputOverflows.load(ordering: .relaxed)),
            "silence_frames": .int(silenceFrames.load(ordering: .relaxed)),
            "dropped_frames": .int(droppedFrames.load(ordering: .relaxed)),
            "send_errors": .int(sendErrors.load(ordering: .relaxed)),
        ])
    }

    func reset() {
        callbacks.store(0, ordering: .relaxed)
        inputOverflows.store(0, ordering: .relaxed)
        inputUnderflows.store(0, ordering: .relaxed)
        outputUnderflows.store(0, ordering: .relaxed)
        outputOverflows.store(0, ordering: .relaxed)
        silenceFrames.store(0, ordering: .relaxed)
        droppedFrames.store(0, ordering: .relaxed)
        sendErrors.store(0, ordering: .relaxed)
        lastCallbackNanos.store(0, ordering: .relaxed)
    }
}

/// What the PortAudio callback works with: captured frames go straight into the output stream
/// (written once, into the shared ring or the outgoing message), played frames come from the
/// playback queue, silence when it is empty.
final class AudioEngine: @unchecked Sendable {
    let capture: OutputStream?
    let playback: SampleFIFO?
    let channels: Int
    let dtype: DType
    let counters: AudioCounters
    let observer: ((Int, Double) -> Void)?
    var frameBytes: Int { channels * dtype.itemsize }

    init(capture: OutputStream?, playback: SampleFIFO?, channels: Int, dtype: DType, counters: AudioCounters,
         observer: ((Int, Double) -> Void)?) {
        self.capture = capture
        self.observer = observer
        self.playback = playback
        self.channels = channels
        self.dtype = dtype
        self.counters = counters
    }

    func process(input: UnsafeRawPointer?, output: UnsafeMutableRawPointer?, frames: Int, flags: PaStreamCallbackFlags) {
        counters.callbacks.add(1, ordering: .relaxed)
        let now = monotonicSeconds()
        counters.lastCallbackNanos.store(Int(now * 1e9), ordering: .relaxed)
        if flags & 0x1 != 0 { counters.inputUnderflows.add(1, ordering: .relaxed) }
        if flags & 0x2 != 0 { counters.inputOverflows.add(1, ordering: .relaxed) }
        if flags & 0x4 != 0 { counters.outputUnderflows.add(1, ordering: .relaxed) }
        if flags & 0x8 != 0 { counters.outputOverflows.add(1, ordering: .relaxed) }
        if let input, let capture {
            do {
                try capture.sendRows(frames) { destination in
                    destination.copyMemory(from: input, byteCount: frames * frameBytes)
                }
                observer?(capture.lastIndex, now)
            } catch {
                counters.sendErrors.add(1, ordering: .relaxed)
            }
        }
        if let output {
            let played = playback?.read(into: output, frames: frames) ?? 0
            if played < frames {
                (output + played * frameBytes).initializeMemory(as: UInt8.self, repeating: 0, count: (frames - played) * frameBytes)
                if playback != nil { counters.silenceFrames.add(frames - played, ordering: .relaxed) }
            }
        }
    }
}

/// PortAudio calls this on its audio thread; `userData` is the engine, kept alive by the node
/// for as long as the stream is open.
func portAudioCallback(input: UnsafeRawPointer?, output: UnsafeMutableRawPointer?, frames: UInt,
                       timeInfo: UnsafePointer<PaStreamCallbackTimeInfo>?, flags: PaStreamCallbackFlags,
                       userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let userData else { return Int32(paAbort.rawValue) }
    let engine = Unmanaged<AudioEngine>.fromOpaque(userData).takeUnretainedValue()
    engine.process(input: input, output: output, frames: Int(frames), flags: flags)
    return Int32(paContinue.rawValue)
}
