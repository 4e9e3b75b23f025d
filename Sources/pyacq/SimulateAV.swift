import ArgumentParser
import PyAcqCore
import PyAcqDevices
#if canImport(Glibc)
import Glibc
#endif

/// Blocks until SIGINT or SIGTERM (Ctrl-C), so simulators can shut their children down.
func waitForInterrupt(orSeconds seconds: Double?) {
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &signals, nil)
    if let seconds {
        var timeout = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        _ = sigtimedwait(&signals, nil, &timeout)
    } else {
        var received: Int32 = 0
        sigwait(&signals, &received)
    }
}

/// `pyacq simulate audio`: a JACK server on the dummy backend plus a sine client.
struct SimulateAudio: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audio",
        abstract: "A live audio source: JACK's dummy backend (real-time, no sound card) and jack_simple_client.",
        discussion: """
        PortAudio in any process then lists the device 'jack_simple_client' (2 input channels: a \
        0.2-amplitude sine at rate/200 Hz and 3 × rate/200 Hz) and 'system' (silence in, output \
        discarded). Give the device name to a PyAudio node: \
        configure(nb_channel=2, sample_rate=48000, format='float32', input_device_index='jack_simple_client'). \
        With a server name other than 'default', set JACK_DEFAULT_SERVER=<name> in the processes \
        that use it. Needs Debian's jackd2. Stops on Ctrl-C.
        """)

    @Option(help: "JACK server name.") var serverName = "default"
    @Option(help: "Sample rate in Hz.") var rate = 48000
    @Option(help: "JACK period in frames.") var period = 256
    @Option(help: "Stop after this many seconds (default: on Ctrl-C).") var seconds: Double?

    func run() throws {
        let jack: JackSimulator
        do { jack = try JackSimulator(serverName: serverName, sampleRate: rate, period: period) } catch { throw ValidationError(error.message) }
        print("JACK server '\(jack.serverName)' running at \(rate) Hz, period \(period) (dummy backend).")
        print("PyAudio device: 'jack_simple_client', 2 channels, sines at \(jack.sineFrequencies.map { "\($0) Hz" }.joined(separator: " and ")), amplitude 0.2.")
        if serverName != "default" { print("In the processes that use it: export JACK_DEFAULT_SERVER=\(serverName)") }
        print("Ctrl-C to stop.")
        fflush(nil)
        waitForInterrupt(orSeconds: seconds)
        jack.stop()
    }
}

/// `pyacq simulate camera`: a lavfi test pattern served as a pyacq video stream.
struct SimulateCamera: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camera",
        abstract: "A live camera: FFmpeg's testsrc pattern, paced in real time, served as a pyacq video stream.",
        discussion: """
        Prints the stream params (JSON): any pyacq InputStream connects to them \
        (input.connect(params)). Inside a graph the same camera is a WebCamAV node: \
        configure(url='testsrc=size=640x480:rate=30', format='lavfi'). With --record DIR an \
        AviRecorder in this process writes DIR/video0.avi as well. Stops on Ctrl-C.
        """)

    @Option(help: "Frame size WxH.") var size = "640x480"
    @Option(help: "Frames per second.") var rate = 30.0
    @Option(help: "Any lavfi source graph (overrides --size/--rate), e.g. 'mandelbrot=size=320x240'.") var graph: String?
    @Option(help: "Where the stream listens.") var address = "tcp://127.0.0.1:*"
    @Option(help: "Also record to this directory with AviRecorder.") var record: String?
    @Option(help: "Encoder for --record (h264, ffv1, mjpeg…).") var codec = "h264"
    @Option(help: "Stop after this many seconds (default: on Ctrl-C).") var seconds: Double?

    func run() throws {
        do {
            let camera = WebCamAV(name: "camera")
            let source = graph ?? "testsrc=size=\(size):rate=\(rate)"
            try camera.configure(["url": .string(source), "format": .string("lavfi"), "pace": .bool(true)])
            guard let colon = address.lastIndex(of: ":"), address.hasPrefix("tcp://") else {
                throw PyAcqError(.badParams, "address must look like tcp://<ip>:<port or *>")
            }
            let host = String(address[address.index(address.startIndex, offsetBy: 6)..<colon])
            let port = String(address[address.index(after: colon)...])
            try camera.output.configure(["protocol": .string("tcp"), "interface": .string(host), "port": .string(port),
                                         "transfermode": .string("plaindata")])
            var recorder: AviRecorder?
            if let record {
                let rec = AviRecorder(name: "recorder")
                try rec.configure(["streams": .array([.map(try camera.output.params.map)]), "dirname": .string(record), "codec_name": .string(codec)])
                try rec.initialize()
                try rec.start()
                _ = try camera.output.waitForSubscribers(1, timeoutMs: 5000)
                recorder = rec
            }
            try camera.initialize()
            try camera.start()
            print("Camera '\(source)': \(camera.width)x\(camera.height) at \(camera.frameRate) frames/s.")
            print("Stream params: " + (try Value.map(try camera.output.params.map).jsonText()))
            if let record { print("Recording to \(record)/video0.avi (\(codec)).") }
            print("Ctrl-C to stop.")
            fflush(nil)
            waitForInterrupt(orSeconds: seconds)
            try camera.stop()
            try recorder?.stop()
            try recorder?.close()
            try camera.close()
        } catch let error as PyAcqError {
            throw ValidationError(error.message)
        }
    }
}
