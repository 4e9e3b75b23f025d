import PyAcqCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// pyacq's WebCamAV (PROTOCOL §14.4) over libavformat/libavcodec/libswscale: a camera by number
/// (`/dev/video<N>`, v4l2) or by name, or any FFmpeg input (`url=` a file, a URL or a lavfi
/// graph with `format='lavfi'`), with FFmpeg options (`video_size='640x480'`, `framerate='30'`…)
/// passed through. Each frame is one RGB `(h, w, 3)` uint8 chunk with index = frame count,
/// converted by libswscale straight into the memory that is sent.
public class WebCamAV: Node, @unchecked Sendable {
    public override class var typeName: String { "WebCamAV" }
    public override class var outputSpecs: [(String, ValueMap)] {
        [("video", ["streamtype": .string("video"), "dtype": .string("uint8"), "shape": .array([.int(4800), .int(6400), .int(3)]),
                    "compression": .string(""), "sample_rate": .double(1.0)])]
    }

    public private(set) var url = ""
    public private(set) var inputFormat: String?
    public private(set) var width = 0
    public private(set) var height = 0
    public private(set) var frameRate = 0.0
    private var options: [(String, String)] = []
    /// Whether frames are released at their timestamps (files and lavfi graphs, like
    /// `ffmpeg -re`) or as fast as they decode; cameras pace themselves.
    private var paced = false
    private var thread: PosixThread?
    private let running = Atomic<Bool>(false)
    private let framesSent = Atomic<Int>(0)
    private let finished = Atomic<Bool>(false)
    private let errorLock = Lock()
    private var lastError = ""

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        var given = kwargs
        let cameraNum = given["camera_num"]
        let cameraName = given["camera_name"]?.stringValue
        let source = given["url"]?.stringValue
        let formatName = given["format"]?.stringValue
        let pace = given["pace"] ?? .string("auto")
        for key in ["camera_num", "camera_name", "url", "format", "pace"] { given[key] = nil }
        var avOptions: [(String, String)] = []
        for (key, value) in given {
            switch value {
            case .string(let s): avOptions.append((key, s))
            case .int(let i): avOptions.append((key, String(i)))
            case .double(let d): avOptions.append((key, String(d)))
            case .bool(let b): avOptions.append((key, b ? "1" : "0"))
            default: throw PyAcqError(.badParams, "FFmpeg option '\(key)' must be a string or a number, got \(value.kindName)", exceptionType: "TypeError")
            }
        }
        let (newURL, newFormat) = try Self.resolveSource(url: source, format: formatName, cameraNum: cameraNum, cameraName: cameraName)
        let probe = try VideoInput(url: newURL, formatName: newFormat, options: avOptions)
        defer { probe.close() }
        url = newURL
        inputFormat = newFormat
        options = avOptions
        width = probe.width
        height = probe.height
        frameRate = probe.frameRate > 0 ? probe.frameRate : 30
        switch pace {
        case .bool(let b): paced = b
        case .string("auto"): paced = newFormat != "v4l2" && newFormat != "video4linux2" && newFormat != "dshow"
        default: throw PyAcqError(.badParams, "pace must be True, False or 'auto', got \(pace)", exceptionType: "ValueError")
        }
        setOutputSpec("video", ["streamtype": .string("video"), "dtype": .string("uint8"), "shape": .array([.int(height), .int(width), .int(3)]),
                                "compression": .string(""), "sample_rate": .double(frameRate)])
    }

    /// The FFmpeg input for the configure arguments: an explicit url wins, then a camera name,
    /// then the camera number.
    static func resolveSource(url: String?, format: String?, cameraNum: Value?, cameraName: String?) throws(PyAcqError) -> (String, String?) {
        if let url {
            if format == nil && !url.contains("://") && access(url, F_OK) != 0 {
                throw PyAcqError(.badParams, "video file '\(url)' does not exist", exceptionType: "FileNotFoundError")
            }
            return (url, format)
        }
        let cameras = VideoCameras.list()
        if let cameraName {
            guard let camera = cameras.first(where: { $0.name == cameraName }) ?? cameras.first(where: { $0.name.contains(cameraName) }) else {
                throw PyAcqError(.badParams, "no camera is named '\(cameraName)'; \(VideoCameras.describe(cameras))", exceptionType: "ValueError")
            }
            return (camera.path, format ?? "v4l2")
        }
        let number = cameraNum?.intValue ?? 0
        if cameraNum != nil && !(cameraNum?.isNull ?? true) && cameraNum?.intValue == nil {
            throw PyAcqError(.badParams, "camera_num must be an int", exceptionType: "TypeError")
        }
        let path = "/dev/video\(number)"
        guard access(path, F_OK) == 0 else {
            throw PyAcqError(.badParams, "camera \(number) (\(path)) does not exist; \(VideoCameras.describe(cameras)); "
                             + "any FFmpeg input works with url=... (e.g. url='testsrc=size=640x480:rate=30', format='lavfi')",
                             exceptionType: "ValueError")
        }
        return (path, format ?? "v4l2")
    }

    public override func didInitialize() throws(PyAcqError) {
        let output = try self.output
        if output.params["transfermode"] == .string("sharedmem") {
            throw PyAcqError(.badParams, "WebCamAV sends each (h, w, 3) frame as one chunk indexed by frame count (pyacq's layout); "
                             + "configure its output with transfermode='plaindata'", exceptionType: "ValueError")
        }
    }

    public override func didStart() throws(PyAcqError) {
        let output = try self.output
        let input = try VideoInput(url: url, formatName: inputFormat, options: options)
        guard input.width == width, input.height == height else {
            throw PyAcqError(.io, "'\(url)' now gives \(input.width)x\(input.height) frames, configured for \(width)x\(height); configure again")
        }
        framesSent.store(0, ordering: .relaxed)
        finished.store(false, ordering: .relaxed)
        setError("")
        running.store(true, ordering: .releasing)
        let pace = paced, rate = frameRate, rows = height
        thread = PosixThread(name: "\(name)-video") { [self] in
            defer { input.close() }
            let start = monotonicSeconds()
            var firstTime: Double?
            var count = 0
            while running.load(ordering: .acquiring) {
                do throws(PyAcqError) {
                    let time = try input.decodeFrame()
                    if pace {
                        let offset = time.map { t in t - (firstTime ?? { firstTime = t; return t }()) } ?? Double(count) / rate
                        while running.load(ordering: .acquiring), start + offset - monotonicSeconds() > 0 {
                            sleepSeconds(min(0.05, start + offset - monotonicSeconds()))
                        }
                    }
                    try input.prepareConversion()
                    count += 1
                    try output.sendRows(rows, index: count) { input.convertFrame(into: $0) }
                    framesSent.store(count, ordering: .relaxed)
                } catch where error.code == .closed {
                    finished.store(true, ordering: .releasing)
                    return
                } catch {
                    let message = "WebCamAV '\(name)': \(error.message); the node has stopped"
                    setError(message)
                    stopAfterDeviceFailure(message)
                    return
                }
            }
        }
    }

    public override func didStop() throws(PyAcqError) {
        running.store(false, ordering: .releasing)
        thread?.join()
        thread = nil
    }

    private func setError(_ message: String) { errorLock.withLock { lastError = message } }

    public override func attribute(_ attributeName: String) -> Value? {
        switch attributeName {
        case "frames": return .int(framesSent.load(ordering: .relaxed))
        case "finished": return .bool(finished.load(ordering: .acquiring))
        case "last_error": return .string(errorLock.withLock { lastError })
        case "url": return .string(url)
        case "width": return .int(width)
        case "height": return .int(height)
        case "frame_rate": return .double(frameRate)
        default: return nil
        }
    }
}

/// pyacq's other camera node name; here the same FFmpeg reader.
public final class WebCamImageIO: WebCamAV, @unchecked Sendable {
    public override class var typeName: String { "WebCamImageIO" }
}

/// Video4Linux cameras present on this machine (`/dev/video<N>` with the driver's name).
public enum VideoCameras {
    public struct Camera: Sendable, Equatable {
        public let path: String
        public let name: String
    }

    public static func list() -> [Camera] {
        guard let dir = opendir("/sys/class/video4linux") else { return [] }
        defer { closedir(dir) }
        var cameras: [Camera] = []
        while let entry = readdir(dir) {
            let node = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard node.hasPrefix("video") else { continue }
            let name = firstLine(of: "/sys/class/video4linux/\(node)/name") ?? node
            cameras.append(Camera(path: "/dev/\(node)", name: name))
        }
        return cameras.sorted { $0.path < $1.path }
    }

    static func describe(_ cameras: [Camera]) -> String {
        cameras.isEmpty ? "no cameras exist on this machine" : "cameras: " + cameras.map { "\($0.path) '\($0.name)'" }.joined(separator: ", ")
    }
}

/// The first line of a small text file (sysfs attributes), nil if unreadable.
func firstLine(of path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 256)
    guard fgets(&buffer, 256, file) != nil else { return nil }
    let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return line.hasSuffix("\n") ? String(line.dropLast()) : line
}
