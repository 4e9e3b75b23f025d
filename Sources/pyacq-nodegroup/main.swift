import PyAcqProcess
#if canImport(Glibc)
import Glibc
#endif

// A bootstrapped RPC server process (PROTOCOL §5): what Hosts spawn for each NodeGroup. It is
// started as `pyacq-nodegroup -m pyacq.core.rpc.bootstrap [name]` with the JSON config on stdin,
// so an original Python pyacq Host can start it too (`executable=<path>`).
exit(Bootstrap.run(arguments: CommandLine.arguments))
