import PyAcqCore
import PyAcqRPC
#if canImport(Glibc)
import Glibc
#endif

/// The Python side of a Swift node group: a Python node group process (libpyacq's
/// `libpyacq.nodegroup.NodeGroup`, with Qt when the interpreter has it), spawned on first need —
/// a `register_node_type_from_module`, or a node type Swift does not know (a Python node type, a
/// viewer). Nodes created there are returned as proxies to that process, so callers use them as
/// any remote node; the Swift group lists, starts, stops and closes them with its own.
final class PythonCompanion: @unchecked Sendable {
    /// Types only Python provides (pyacq's viewers, PROTOCOL §14.5, and its test nodes): asking
    /// for one spawns the companion; any other unknown type is refused at once.
    static let pythonOnlyTypes: Set<String> = [
        "QOscilloscope", "QOscilloscopeMultiPlot", "QDigitalOscilloscope", "QTriggeredOscilloscope", "QTimeFreq",
        "ImageViewer", "_MyTestNode", "_MyTestNodeQWidget",
    ]

    private let spawner: ProcessSpawner
    let group: ObjectProxy

    init(host: Value, manager: Value) throws(PyAcqError) {
        spawner = try ProcessSpawner(name: "python-companion-\(getpid())", executable: ProcessSpawner.pythonExecutable,
                                     module: ProcessSpawner.pythonBootstrapModule, qt: .string("auto"))
        do throws(PyAcqError) {
            let client = try RPCClient.forThread(spawner.address)
            guard let module = try client.importModule("libpyacq.nodegroup").proxy,
                  let group = try module.attribute("NodeGroup").invoke([], ["host": host, "manager": manager]).proxy else {
                throw PyAcqError(.remote, "the Python node group process did not return a NodeGroup proxy")
            }
            self.group = group
        } catch {
            spawner.kill()
            throw error
        }
    }

    /// `method(args...)` on the Python NodeGroup, its result as sent (values, or proxies to its nodes).
    func call(_ method: String, _ args: [Value] = [], _ kwargs: ValueMap = [:]) throws(PyAcqError) -> Value {
        switch try group.attribute(method).invoke(args, kwargs, timeoutMs: 30_000) {
        case .proxy(let proxy): return proxy.wireValue
        case .value(let value): return value
        }
    }

    /// Closes the Python node group (its nodes, then its process).
    func close() {
        _ = try? group.attribute("close").call(mode: .off)
        spawner.stop(timeoutMs: 3000, closeRequested: true)
    }
}
