import PyAcqCore
#if canImport(Glibc)
import Glibc
#endif

/// A live audio source without hardware: a JACK server on the dummy backend (real-time paced,
/// no sound card) and Debian's `jack_simple_client`, which plays a 0.2-amplitude sine
/// (sample_rate/200 Hz on output1, 3× that on output2). PortAudio lists the client as an input
/// device named `jack_simple_client`. This process's JACK_DEFAULT_SERVER points at the
/// server's name. Use a fixed name per purpose: JACK keeps at most 8 servers registered and only
/// reclaims the entry of a killed server when a server of the same name starts again.
public final class JackSimulator: @unchecked Sendable {
    public let serverName: String
    public let sampleRate: Int
    public let period: Int
    private var server: ChildProcess?
    private var sineClient: ChildProcess?

    /// Starts `jackd -d dummy` and waits until it answers.
    public init(serverName: String = "pyacqtest", sampleRate: Int = 48000, period: Int = 256, sine: Bool = true) throws(PyAcqError) {
        self.serverName = serverName
        self.sampleRate = sampleRate
        self.period = period
        setenv("JACK_DEFAULT_SERVER", self.serverName, 1)
        setenv("JACK_NO_START_SERVER", "1", 1)  // a client must never start a server of its own
        setenv("JACK_NO_AUDIO_RESERVATION", "1", 1)
        let jackd = try Self.executable("jackd")
        server = try ChildProcess(executable: "/bin/sh", arguments: [
            "-c", "exec \(jackd) -n \(self.serverName) -d dummy -r \(sampleRate) -p \(period) >/dev/null 2>&1"])
        try waitFor("the JACK server '\(self.serverName)'") { ports().contains("system:capture_1") }
        if sine { try startSineClient() }
    }

    deinit { stop() }

    /// The sine client's sine frequencies (its table has 200 samples; output2 steps 3 at a time).
    public var sineFrequencies: [Double] { [Double(sampleRate) / 200, 3 * Double(sampleRate) / 200] }

    public func startSineClient() throws(PyAcqError) {
        guard sineClient == nil else { return }
        let client = try Self.executable("jack_simple_client")
        sineClient = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "exec \(client) >/dev/null 2>&1"])
        try waitFor("jack_simple_client") { ports().contains("jack_simple_client:output1") }
    }

    /// Kills the sine client (a device that disappears).
    public func killSineClient() {
        sineClient?.signal(SIGKILL)
        _ = sineClient?.wait()
        sineClient = nil
    }

    /// Kills the server (every JACK device disappears).
    public func killServer() {
        killSineClient()
        server?.signal(SIGKILL)
        _ = server?.wait()
        server = nil
    }

    public func stop() {
        killSineClient()  // its SIGTERM handler can deadlock in jack_client_close
        server?.signal(SIGTERM)
        _ = server?.wait()
        server = nil
    }

    public var isRunning: Bool { server?.poll() == nil && server != nil }

    /// The server's port names (`jack_lsp`).
    public func ports() -> [String] { (try? run("jack_lsp", [])) ?? [] }

    /// Connects two ports (`jack_connect`), e.g. a player's outputs to a recorder's inputs.
    public func connect(_ source: String, _ destination: String) throws(PyAcqError) {
        _ = try run("jack_connect", [source, destination])
    }

    private func run(_ tool: String, _ arguments: [String]) throws(PyAcqError) -> [String] {
        let path = try Self.executable(tool)
        let child = try ChildProcess(executable: path, arguments: ["-s", serverName] + arguments, pipeStdout: true, pipeStderr: true)
        var lines: [String] = []
        ChildProcess.forEachLine(of: child.stdoutDescriptor) { lines.append($0) }
        let status = child.wait()
        guard status == 0 else { throw PyAcqError(.io, "\(tool) \(arguments.joined(separator: " ")) failed with status \(status)") }
        return lines
    }

    private func waitFor(_ what: String, timeout: Double = 10, _ ready: () -> Bool) throws(PyAcqError) {
        let deadline = monotonicSeconds() + timeout
        while !ready() {
            if let status = server?.poll() { throw PyAcqError(.io, "jackd exited with status \(status) while waiting for \(what)") }
            if monotonicSeconds() > deadline { throw PyAcqError(.timeout, "\(what) did not come up within \(Int(timeout)) s") }
            sleepSeconds(0.02)
        }
    }

    static func executable(_ name: String) throws(PyAcqError) -> String {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where access("\(dir)/\(name)", X_OK) == 0 { return "\(dir)/\(name)" }
        throw PyAcqError(.io, "\(name) is not installed (Debian package jackd2: apt-get install jackd2)")
    }
}
