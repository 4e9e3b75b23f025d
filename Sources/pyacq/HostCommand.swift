import ArgumentParser
import PyAcqCore
import PyAcqProcess

/// `pyacq host ADDRESS`: the host server (like `pyacq-host`).
struct HostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Run a host server that spawns NodeGroup processes for Managers.",
        discussion: """
        The address is tcp://<ip>:<port>, where ip is an address of this machine that the Manager \
        can reach (use 127.0.0.1 for local work) and port is a number or * for any free port. \
        The server prints `Running server at: <address>`; give that address to a Manager.
        """)

    @Argument(help: "Where to listen, e.g. tcp://127.0.0.1:* or tcp://192.0.2.10:5000.")
    var address = "tcp://127.0.0.1:*"

    func validate() throws {
        guard HostServer.isValidAddress(address) else {
            throw ValidationError("address must look like tcp://<ip or *>:<port or *>, got \(address)")
        }
    }

    func run() throws {
        let code = HostServer.run(address: address)
        if code != 0 { throw ExitCode(code) }
    }
}

/// `pyacq nodes`: the node types a NodeGroup of this installation can create.
struct NodesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes", abstract: "List the node types that create_node accepts.")

    func run() throws {
        PyAcqRuntime.bootstrap()
        for name in NodeRegistry.names { print(name) }
    }
}
