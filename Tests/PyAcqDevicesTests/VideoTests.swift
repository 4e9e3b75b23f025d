import PyAcqCore
import PyAcqDevices
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// WebCamAV over FFmpeg inputs that need no camera: lavfi graphs and files, checked frame by
/// frame against the ffmpeg tool's own decoding of the same input.
@Suite(.serialized) struct VideoTests {
    init() { DeviceNodes.register() }

    func startedCamera(_ kwargs: ValueMap) throws -> (WebCamAV, InputStream) {
        let node = WebCamAV(name: "cam")
        try node.configure(kwargs)
        try node.output.configure(["protocol": .string("inproc"), "transfermode": .string("plaindata")])
        let input = InputStream()
        try input.connect(try node.output.params.map)
        #expect(try node.output.waitForSubscribers(1, timeoutMs: 5000))
        try node.initialize()
        try node.start()
        return (node, input)
    }

    func receiveFrames(_ input: InputStream, count: Int) throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        while frames.count < count {
            let chunk = try input.receive(timeoutMs: 10000)
            #expect(chunk.index == frames.count + 1, "index = frame count")
            let data = try #require(chunk.data)
            let copy = data.toNDArray()
            frames.append(withExtendedLifetime(copy) { Array(copy.bytes) })
        }
        return frames
    }

    @Test func lavfiTestsrcMatchesFFmpeg() throws {
        let graph = "testsrc=size=320x240:rate=25"
        let (node, input) = try startedCamera(["url": .string(graph), "format": .string("lavfi"), "pace": .bool(false)])
        let params = try node.output.params
        #expect(params["shape"] == .array([.int(240), .int(320), .int(3)]))
        #expect(params["sample_rate"]?.doubleValue == 25)
        #expect(params["streamtype"] == .string("video"))
        let frames = try receiveFrames(input, count: 30)
        try node.close()
        let reference = try ffmpegFrames(["-f", "lavfi", "-i", graph], frames: 30, width: 320, height: 240)
        #expect(reference.count == 30)
        for (i, (mine, theirs)) in zip(frames, reference).enumerated() { #expect(mine == theirs ? true : false, "frame \(i + 1) differs") }
    }

    @Test func aFileMatchesFFmpegAndEnds() throws {
        let dir = temporaryDirectory("video")
        let file = dir + "/clip.mkv"
        _ = try runTool("/usr/bin/ffmpeg", ["-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc=size=176x144:rate=15", "-frames:v", "40",
                                            "-c:v", "libx264", "-pix_fmt", "yuv420p", file])
        let (node, input) = try startedCamera(["url": .string(file), "pace": .bool(false)])
        #expect(try node.output.params["shape"] == .array([.int(144), .int(176), .int(3)]))
        let frames = try receiveFrames(input, count: 40)
        // The file has exactly 40 frames: the node reports the end and sends nothing more.
        let deadline = monotonicSeconds() + 10
        while node.attribute("finished") != .bool(true) && monotonicSeconds() < deadline { sleepSeconds(0.01) }
        #expect(node.attribute("finished") == .bool(true))
        #expect(node.attribute("frames") == .int(40))
        #expect(try !input.poll(timeoutMs: 0))
        let reference = try ffmpegFrames(["-i", file], width: 176, height: 144)
        #expect(reference.count == 40)
        for (i, (mine, theirs)) in zip(frames, reference).enumerated() { #expect(mine == theirs ? true : false, "frame \(i + 1) differs") }
        // A restart reads the file again from its first frame, indexes from 1.
        try node.stop()
        try node.start()
        let again = try receiveFrames(input, count: 1)
        #expect(again.first == reference.first)
        try node.close()
        _ = try? runTool("/bin/rm", ["-rf", dir])
    }

    @Test func badInputsNameTheProblem() throws {
        func message(_ kwargs: ValueMap) -> String {
            do { try WebCamAV(name: "bad").configure(kwargs); return "" } catch { return error.message }
        }
        let missing = message(["url": .string("/nonexistent/movie.avi")])
        #expect(missing.contains("/nonexistent/movie.avi") && missing.contains("does not exist"), "\(missing)")
        let camera = message(["camera_num": .int(97)])
        #expect(camera.contains("/dev/video97") && camera.contains("lavfi"), "\(camera)")
        let option = message(["url": .string("testsrc"), "format": .string("lavfi"), "no_such_option": .string("1")])
        #expect(option.contains("no_such_option"), "\(option)")
        let format = message(["url": .string("x"), "format": .string("nosuchformat")])
        #expect(format.contains("nosuchformat"), "\(format)")
        let graph = message(["url": .string("notafilter=1"), "format": .string("lavfi")])
        #expect(graph.contains("notafilter"), "\(graph)")
        #expect(NodeRegistry.names.contains("WebCamImageIO"))
    }
}
