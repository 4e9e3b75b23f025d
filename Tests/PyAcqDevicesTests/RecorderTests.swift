import PyAcqCore
import PyAcqDevices
import PyAcqTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// AviRecorder: frames in, a video file out that FFmpeg's own tools read back.
@Suite(.serialized) struct RecorderTests {
    init() { DeviceNodes.register() }

    /// Records `frames` (rgb24, w × h) through an AviRecorder and returns the directory.
    func record(_ frames: [[UInt8]], width: Int, height: Int, codec: String, rate: Double = 25) throws -> String {
        let dir = temporaryDirectory("avi") + "/rec"
        let source = OutputStream()
        try source.configure(["protocol": .string("inproc"), "streamtype": .string("video"), "dtype": .string("uint8"),
                              "shape": .array([.int(height), .int(width), .int(3)]), "sample_rate": .double(rate)])
        let recorder = AviRecorder(name: "rec")
        try recorder.configure(["streams": .array([.map(source.params.map)]), "dirname": .string(dir), "codec_name": .string(codec)])
        try recorder.initialize()
        try recorder.start()
        #expect(try source.waitForSubscribers(1, timeoutMs: 5000))
        for (i, frame) in frames.enumerated() {
            let array = frame.withUnsafeBytes { try! NDArray(dtype: .uint8, shape: [height, width, 3], bytes: $0) }
            try source.send(array.view, index: i + 1)
        }
        try recorder.stop()  // frames still queued are recorded before the file is finished
        try recorder.close()
        return dir
    }

    func probe(_ file: String) throws -> String {
        let out = try runTool("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                                   "-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", file])
        return String(decoding: out, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }

    @Test func ffv1RoundTripIsExact() throws {
        let frames = try ffmpegFrames(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25"], frames: 30, width: 160, height: 120)
        let dir = try record(frames, width: 160, height: 120, codec: "ffv1")
        #expect(try probe(dir + "/video0.avi") == "ffv1,160,120,30")
        let decoded = try ffmpegFrames(["-i", dir + "/video0.avi"], width: 160, height: 120)
        #expect(decoded.count == 30)
        for (i, (a, b)) in zip(frames, decoded).enumerated() { #expect(a == b ? true : false, "frame \(i + 1) differs") }
        let properties = try JSON.parse(try readFile(dir + "/avi_stream_properties.json"))
        #expect(properties["pyacq_version"] == .string("0.2.0-dev"))
        let video = properties["video0"]
        #expect(video["shape"] == .array([.int(120), .int(160), .int(3)]))
        #expect(video["dtype"] == .string("uint8"))
        #expect(video["streamtype"] == .string("video"))
        #expect(video["sample_rate"].doubleValue == 25)
        #expect(video["start_index"] == .int(0), "first index − 1")
        _ = try? runTool("/bin/rm", ["-rf", dir])
    }

    /// h264 (libx264 defaults, yuv420p) is lossy: the mean PSNR must be at least 25 dB and within
    /// 0.5 dB of the ffmpeg tool's own libx264/yuv420p encoding of the same frames (testsrc's
    /// saturated colour bars lose most in the 4:2:0 chroma subsampling, not in the encoder).
    @Test func h264RoundTripIsWithinPSNR() throws {
        let frames = try ffmpegFrames(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30"], frames: 40, width: 320, height: 240)
        let dir = try record(frames, width: 320, height: 240, codec: "h264", rate: 30)
        #expect(try probe(dir + "/video0.avi") == "h264,320,240,40")
        let decoded = try ffmpegFrames(["-i", dir + "/video0.avi"], width: 320, height: 240)
        #expect(decoded.count == 40)
        // The ffmpeg tool encodes the very same rgb24 frames.
        let raw = dir + "/frames.rgb", reference = dir + "/reference.avi"
        guard let file = fopen(raw, "wb") else { throw TestFailure("cannot write \(raw)") }
        for frame in frames { _ = frame.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) } }
        fclose(file)
        _ = try runTool("/usr/bin/ffmpeg", ["-v", "error", "-nostdin", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "320x240", "-r", "30",
                                            "-i", raw, "-c:v", "libx264", "-pix_fmt", "yuv420p", reference])
        let theirs = try ffmpegFrames(["-i", reference], width: 320, height: 240)
        let mine = zip(frames, decoded).map { psnr($0, $1) }.reduce(0, +) / Double(decoded.count)
        let ffmpegOwn = zip(frames, theirs).map { psnr($0, $1) }.reduce(0, +) / Double(max(1, theirs.count))
        #expect(mine > 25 && mine > ffmpegOwn - 0.5, "mean PSNR \(mine) dB; ffmpeg's own encode \(ffmpegOwn) dB")
        _ = try? runTool("/bin/rm", ["-rf", dir])
    }

    @Test func unknownEncoderListsTheAvailableOnes() throws {
        let source = OutputStream()
        try source.configure(["protocol": .string("inproc"), "dtype": .string("uint8"), "shape": .array([.int(8), .int(8), .int(3)])])
        let recorder = AviRecorder(name: "rec")
        let error = #expect(throws: PyAcqError.self) {
            try recorder.configure(["streams": .array([.map(source.params.map)]), "dirname": .string("/tmp/x"), "codec_name": .string("nosuchcodec")])
        }
        let message = error?.message ?? ""
        #expect(message.contains("nosuchcodec") && message.contains("ffv1") && message.contains("libx264"), "\(message)")
    }
}

/// A recorder killed with SIGKILL mid-recording: the file ffprobe reads holds every frame up to
/// the last one encoded (ffv1 has no encoder delay; with h264 the encoder's look-ahead, up to
/// ~40 frames with libx264's defaults, is lost).
@Suite(.serialized) struct KilledRecorderTests {
    /// The `pyacq` tool built next to this test bundle.
    var tool: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = String(decoding: buffer[0..<max(0, n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(exe[..<(exe.lastIndex(of: "/") ?? exe.endIndex)]) + "/pyacq"
    }

    func countFrames(_ file: String) -> Int {
        guard let out = try? runTool("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                                          "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", file]) else { return 0 }
        return Int(String(decoding: out, as: UTF8.self).split(separator: "\n").first ?? "") ?? 0
    }

    @Test func aKilledRecorderLeavesAReadableFile() throws {
        let dir = temporaryDirectory("kill") + "/rec"
        let graph = "testsrc=size=160x120:rate=50"
        let child = try ChildProcess(executable: tool, arguments: ["simulate", "camera", "--graph", graph, "--record", dir, "--codec", "ffv1"],
                                     pipeStdout: true)
        let file = dir + "/video0.avi"
        var seen = 0
        let deadline = monotonicSeconds() + 30
        while seen < 25 && monotonicSeconds() < deadline {
            seen = countFrames(file)
            sleepSeconds(0.05)
        }
        child.signal(SIGKILL)
        _ = child.wait()
        #expect(seen >= 25, "the recording grew to \(seen) frames")
        let after = countFrames(file)
        #expect(after >= seen, "ffprobe reads \(after) frames after the kill, \(seen) before")
        let decoded = try ffmpegFrames(["-i", file], width: 160, height: 120)
        let reference = try ffmpegFrames(["-f", "lavfi", "-i", graph], frames: decoded.count, width: 160, height: 120)
        #expect(decoded.count == after)
        for (i, (a, b)) in zip(decoded, reference).enumerated() { #expect(a == b ? true : false, "frame \(i + 1) differs") }
        _ = try? runTool("/bin/rm", ["-rf", dir])
    }
}
