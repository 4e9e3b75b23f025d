import PyAcqCore
import PyAcqProcess
import PyAcqRPC
#if canImport(Glibc)
import Glibc
#endif

// `pyacq-host tcp://<ip>:<port|*>`: a host server (same address rules and printed line as
// pyacq's host_server tool). It spawns NodeGroup processes for Managers and polls them.
let arguments = CommandLine.arguments
guard arguments.count == 2, HostServer.isValidAddress(arguments[1]) else {
    print("usage: pyacq-host tcp://<ip>:<port|*>   e.g. pyacq-host tcp://127.0.0.1:*")
    exit(2)
}
exit(HostServer.run(address: arguments[1]))
