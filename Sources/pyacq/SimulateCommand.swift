import ArgumentParser

/// `pyacq simulate <kind>`: devices without hardware, to build and test a graph on a laptop.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a simulated device (no hardware needed).",
        subcommands: [SimulateAudio.self, SimulateCamera.self]
    )
}
