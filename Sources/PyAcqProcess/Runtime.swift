import PyAcqCore
import PyAcqDevices
import PyAcqNodes
import PyAcqRPC

/// The one place where the layers are wired together at run time: node types, the module
/// names remote peers import, and the hook that lets Core's InputStream connect to a proxy.
/// Every entry point (the CLI, pyacq-host, pyacq-nodegroup, the C ABI) calls `bootstrap()`
/// before anything else; calling it again does nothing.
public enum PyAcqRuntime {
    private static let wired: Void = {
        BuiltinNodes.register()
        DeviceNodes.register()
        InputStream.installRemoteParamsFetcher { ref throws(PyAcqError) in try fetchRemoteOutputParams(ref) }
        StreamModule.register()
        ProcessModules.register()
    }()

    public static func bootstrap() { _ = wired }
}
