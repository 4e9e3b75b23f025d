import PyAcqCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs a tool and returns everything it wrote to stdout; throws on a non-zero exit.
func runTool(_ executable: String, _ arguments: [String]) throws -> [UInt8] {
    let child = try ChildProcess(executable: executable, arguments: arguments, pipeStdout: true, pipeStderr: true)
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = read(child.stdoutDescriptor, &buffer, buffer.count)
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
    }
    let status = child.wait()
    guard status == 0 else { throw PyAcqError(.io, "\(executable) \(arguments.joined(separator: " ")) exited with \(status)") }
    return bytes
}

/// FFmpeg's own decoding of an input as packed rgb24 frames.
func ffmpegFrames(_ inputArguments: [String], frames: Int? = nil, width: Int, height: Int) throws -> [[UInt8]] {
    var args = ["-v", "error", "-nostdin"] + inputArguments
    if let frames { args += ["-frames:v", String(frames)] }
    args += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    let bytes = try runTool("/usr/bin/ffmpeg", args)
    let size = width * height * 3
    return stride(from: 0, to: bytes.count - size + 1, by: size).map { Array(bytes[$0..<$0 + size]) }
}

/// A fresh temporary directory.
func temporaryDirectory(_ tag: String) -> String {
    var template = Array("/tmp/pyacq-\(tag)-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
}

/// Peak signal-to-noise ratio of two 8-bit images, in dB.
func psnr(_ a: [UInt8], _ b: [UInt8]) -> Double {
    var sum = 0.0
    for i in 0..<min(a.count, b.count) { let d = Double(a[i]) - Double(b[i]); sum += d * d }
    let mse = sum / Double(max(1, a.count))
    return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
}
