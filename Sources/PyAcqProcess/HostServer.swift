import PyAcqCore
import PyAcqRPC
#if canImport(Glibc)
import Glibc
#endif

/// The host server program (`pyacq-host`, `pyacq host`).
public enum HostServer {
    /// `tcp://(*|digits-and-dots):(*|digits)`, as pyacq's host_server accepts.
    public static func isValidAddress(_ address: String) -> Bool {
        guard address.hasPrefix("tcp://") else { return false }
        let rest = address.dropFirst(6)
        guard let colon = rest.lastIndex(of: ":") else { return false }
        let ip = rest[..<colon], port = rest[rest.index(after: colon)...]
        let ipOK = ip == "*" || (!ip.isEmpty && ip.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber })
        let portOK = port == "*" || (!port.isEmpty && port.allSatisfy { $0.isASCII && $0.isNumber })
        return ipOK && portOK
    }

    public static func run(address: String) -> Int32 {
        PyAcqRuntime.bootstrap()
        do throws(PyAcqError) {
            let server = try RPCServer(address: address)
            _ = Host(name: ProcessNames.host, server: server)
            print("Running server at: \(server.address)")
            fflush(nil)
            server.serveForever()
            return 0
        } catch {
            print("pyacq-host: \(error.message)")
            return 1
        }
    }
}
