import PyAcqCore
import PyAcqDevices
import PyAcqProcess
import PyAcqRPC
import PyAcqTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A simulator in its own process (`pyacq simulate <kind> …`): the test reads its stdout lines
/// (the first says where it listens) and can kill it.
final class SimulatorProcess {
    let child: ChildProcess
    private(set) var firstLine = ""

    /// The `pyacq` tool built next to the test runner.
    static var tool: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let program = n > 0 ? String(cString: buffer) : ""
        return String(program[..<(program.lastIndex(of: "/") ?? program.startIndex)]) + "/pyacq"
    }

    init(_ kind: String, _ arguments: [String]) throws {
        child = try ChildProcess(executable: Self.tool, arguments: ["simulate", kind] + arguments, pipeStdout: true)
        firstLine = try waitForLine("listening on")
    }

    /// The TCP port of "listening on 127.0.0.1:<port> (…)".
    var port: Int { Int(firstLine.split(separator: ":").dropFirst().first?.split(separator: " ").first ?? "") ?? 0 }

    /// The text after "on " up to the first blank ("listening on /dev/pts/3 (…)").
    var path: String { String(firstLine.split(separator: " ").dropFirst(2).first ?? "") }

    func waitForLine(_ text: String) throws -> String {
        while let line = child.readLine() {
            if line.contains(text) { return line }
        }
        throw TestFailure("simulator ended before printing '\(text)'")
    }

    func kill() {
        child.signal(SIGKILL)
        _ = child.wait()
    }

    deinit { kill() }
}

/// A Manager in this process whose Host spawns `pyacq-nodegroup` children.
final class GraphFixture {
    let graph: LocalManager

    init() throws { graph = try LocalManager(mode: .inProcess) }

    func nodeGroup(_ name: String) throws -> ObjectProxy {
        try #require(try graph.proxy.attribute("create_nodegroup").invoke([], ["name": .string(name)]).proxy)
    }

    func close() { graph.close() }
}

extension ObjectProxy {
    func call(_ method: String, _ kwargs: ValueMap = [:]) throws { _ = try attribute(method).invoke([], kwargs) }
    func value(_ name: String) throws -> Value { try attribute(name).value() }

    func outputStream(_ name: String) throws -> ObjectProxy {
        try #require(try attribute("outputs").attribute("__getitem__").invoke([.string(name)]).proxy)
    }

    /// Connects a local input to the remote node's output and waits until the publisher sees it
    /// (so nothing sent afterwards is missed).
    func subscribe(_ output: String) throws -> InputStream {
        let remote = try outputStream(output)
        let input = InputStream()
        try input.connect(to: remote.wireValue, server: nil)
        let deadline = monotonicSeconds() + 10
        while (try remote.attribute("subscriber_count").value().intValue ?? 0) < 1 {
            guard monotonicSeconds() < deadline else { throw TestFailure("output \(output) never saw its subscriber") }
            napForTest(0.005)
        }
        return input
    }
}

/// Polling pause for bounded waits (never for timing).
func napForTest(_ s: Double) {
    var t = timespec(tv_sec: Int(s), tv_nsec: Int((s - Double(Int(s))) * 1e9))
    nanosleep(&t, nil)
}

/// Waits (bounded) until `condition` holds.
func eventually(_ seconds: Double = 10, _ what: String, _ condition: () throws -> Bool) throws {
    let deadline = monotonicSeconds() + seconds
    while try !condition() {
        guard monotonicSeconds() < deadline else { throw TestFailure("timed out waiting for \(what)") }
        napForTest(0.01)
    }
}
