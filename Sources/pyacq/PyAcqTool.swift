import ArgumentParser
import PyAcqCore

@main
struct PyAcqTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pyacq",
        abstract: "libpyacq: distributed data acquisition and stream processing, wire-compatible with pyacq.",
        discussion: """
        Start with `pyacq demo`: a producer process streams a 16-channel signal to this process over \
        plaindata/tcp and over shared memory, and every sample is checked on arrival.
        """,
        version: "0.1.0",
        subcommands: [DemoCommand.self, DemoProducerCommand.self]
    )
}
