import ArgumentParser
import CPyAcqHeader
import PyAcqCore

@main
struct PyAcqTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pyacq",
        abstract: "libpyacq: distributed data acquisition and stream processing, wire-compatible with pyacq.",
        discussion: """
        Start with `pyacq demo`: a Manager spawns two NodeGroup processes, a simulated 16-channel \
        device streams to the second one over TCP, which hands the signal to this process through \
        shared memory; every sample is checked and the signal is shown live.

        To spread a graph over machines, run `pyacq host tcp://<this machine's IP>:<port>` on each \
        machine and give those addresses to a Manager (Python: manager.get_host(address)).
        """,
        version: "\(PYACQ_VERSION_MAJOR).\(PYACQ_VERSION_MINOR).\(PYACQ_VERSION_PATCH)",
        subcommands: [DemoCommand.self, HostCommand.self, NodesCommand.self, SimulateCommand.self]
    )
}
