#if canImport(Glibc)
import Glibc
#endif

// Built with -DPYACQ_LIBFUZZER -sanitize=fuzzer (scripts/fuzz.sh): hand control to libFuzzer.
// Built plainly (swift build): replay the files and directories given, e.g. the committed
// corpus, through the same entry point — a regression run without the fuzzing runtime.

#if PYACQ_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

var argc = CommandLine.argc
var argv = Optional(CommandLine.unsafeArgv)
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in pyacqFuzzOneInput(data, size) })
#else
func replay(_ path: String) -> Int {
    if let dir = opendir(path) {
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") { count += replay(path + "/" + name) }
        }
        return count
    }
    guard let file = fopen(path, "rb") else { return 0 }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while case let n = fread(&buffer, 1, buffer.count, file), n > 0 { bytes += buffer[0..<n] }
    if bytes.isEmpty { return 1 }
    _ = bytes.withUnsafeBufferPointer { pyacqFuzzOneInput($0.baseAddress!, $0.count) }
    return 1
}

let replayed = CommandLine.arguments.dropFirst().reduce(0) { $0 + replay($1) }
print("pyacq-fuzz: replayed \(replayed) inputs without a finding")
#endif
