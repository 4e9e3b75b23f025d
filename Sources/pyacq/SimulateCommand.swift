import ArgumentParser
import PyAcqCore
import PyAcqDevices
#if canImport(Glibc)
import Glibc
#endif

/// `pyacq simulate <device>`: device simulators speaking the real wire protocols, to try a
/// graph without hardware and to test the device nodes. Each prints one line per event on
/// stdout (the first says where to connect) and runs until interrupted.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a device simulator (BrainVision RDA server, OpenBCI board, Emotiv EPOC dongle, ...).",
        subcommands: [SimulateBrainAmp.self, SimulateOpenBCI.self, SimulateEmotiv.self, SimulateAudio.self, SimulateCamera.self])
}

/// Prints a line at once (stdout is a pipe when a test or script reads it).
func announce(_ line: String) {
    print(line)
    fflush(nil)
}

struct SimulateBrainAmp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brainamp",
        abstract: "A BrainVision Recorder Remote Data Access (RDA) server with a deterministic signal.",
        discussion: """
        Sample s (from each acquisition's start) of channel c is r = (s·31 + c·1009) mod 20001 − 10000 \
        raw units, resolution(c) = resolution·(1 + c mod 3) µV per unit; float32 data carries r·resolution(c). \
        Connect BrainAmpSocket with brainamp_port=<port>.
        """)

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "TCP port (0: any free port; Recorder uses 51244 for float32, 51234 for int16).") var port = 51244
    @Option(help: "Number of channels.") var channels = 32
    @Option(help: "Samples per second.") var rate = 1000.0
    @Option(help: "Points per data block (0: rate/50).") var blockPoints = 0
    @Option(help: "Data type: float32 or int16.") var dtype = "float32"
    @Option(help: "Base resolution in µV per unit.") var resolution = 0.1
    @Option(help: "A marker every so many samples (0: none).") var markerEvery = 0
    @Option(help: "Seconds between keep-alive messages (0: none).") var keepalive = 1.0
    @Option(help: "Blocks per acquisition (0: endless).") var blocks = 0
    @Option(help: "Acquisitions per connection (stop, then start again).") var segments = 1
    @Flag(help: "Send PyCorder's opening message (type 100000) before the start message.") var preamble = false
    @Option(help: "Write messages in pieces of at most this many bytes (0: whole).") var fragment = 0
    @Option(help: "1 = real time, 0 = as fast as the client reads.") var speed = 1.0
    @Option(help: "Fault: after this many blocks, send half a block and go silent.") var truncateAfter: Int?
    @Option(help: "Fault: after this many blocks, send a header with an impossible size.") var badSizeAfter: Int?
    @Option(help: "Fault: every n-th block is never sent (0: off).") var skipBlockEvery = 0

    func run() throws {
        var o = RDASimulatorOptions()
        guard dtype == "float32" || dtype == "int16" else { throw ValidationError("--dtype must be float32 or int16") }
        o.channels = channels; o.sampleRate = rate; o.blockPoints = blockPoints; o.int16 = dtype == "int16"
        o.resolution = resolution; o.markerInterval = markerEvery; o.keepAlive = keepalive; o.blocks = blocks
        o.segments = segments; o.preamble = preamble; o.fragment = fragment; o.speed = speed
        o.truncateAfter = truncateAfter; o.badSizeAfter = badSizeAfter; o.skipBlockEvery = skipBlockEvery
        let simulator = try RDASimulator(options: o, host: host, port: port) { announce($0) }
        announce("listening on \(host):\(simulator.port) (RDA, \(channels) ch × \(rate) Hz \(dtype), \(o.points) points per block)")
        simulator.run()
    }
}

struct SimulateOpenBCI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openbci",
        abstract: "An OpenBCI Cyton (8 ch, 250 Hz) or Cyton + Daisy (16 ch) board on a pseudo-terminal.",
        discussion: """
        Prints the terminal's path; give it to the OpenBCI node as device_handle. Row k (from each 'b') \
        of channel c carries ((k·7919 + c·1000003) mod 2^24) − 2^23 counts.
        """)

    @Flag(help: "Simulate the Daisy module (16 channels, alternating packets).") var daisy = false
    @Option(help: "1 = real time, 0 = as fast as the line takes them.") var speed = 1.0
    @Option(help: "Fault: noise bytes before every n-th row (0: off).") var garbageEvery = 0
    @Option(help: "Fault: a wrong end byte on every n-th row (0: off).") var corruptEvery = 0
    @Option(help: "Fault: every n-th row is never sent (0: off).") var dropEvery = 0
    @Option(help: "Fault: the port disappears after this many rows (0: never).") var vanishAfter = 0

    func run() throws {
        var o = OpenBCISimulatorOptions()
        o.daisy = daisy; o.speed = speed; o.garbageEvery = garbageEvery; o.corruptEvery = corruptEvery
        o.dropEvery = dropEvery; o.vanishAfter = vanishAfter
        let simulator = try OpenBCISimulator(options: o) { announce($0) }
        announce("listening on \(simulator.path) (OpenBCI Cyton\(daisy ? " + Daisy" : ""), 115200 8N1)")
        simulator.run()
    }
}

struct SimulateEmotiv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emotiv",
        abstract: "An Emotiv EPOC dongle: AES-encrypted 32-byte reports at 128 Hz on a FIFO.",
        discussion: "Give the FIFO path and the serial to the Emotiv node: configure(device_handle=<path>, serial=<serial>).")

    @Option(help: "FIFO to create (default: a new one under /tmp).") var path: String?
    @Option(help: "Dongle serial number (makes the AES key).") var serial = "SN20120229000254"
    @Option(help: "1 = real time, 0 = as fast as the reader takes them.") var speed = 1.0
    @Option(help: "Fault: every n-th report is never sent (0: off).") var dropEvery = 0

    func run() throws {
        var o = EmotivSimulatorOptions()
        o.serial = serial; o.speed = speed; o.dropEvery = dropEvery
        let fifo = path ?? "/tmp/pyacq-emotiv-\(getpid()).fifo"
        let simulator = try EmotivSimulator(options: o, path: fifo) { announce($0) }
        announce("listening on \(fifo) (Emotiv EPOC, serial \(serial))")
        simulator.run()
    }
}
