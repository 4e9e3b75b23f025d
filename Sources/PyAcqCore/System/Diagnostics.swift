/// Where the core reports problems it cannot throw to anyone (a chunk a node thread failed to
/// process, a device error): the process layer routes them to the log forwarding of PROTOCOL §6.
public enum Diagnostics {
    nonisolated(unsafe) private static var handler: ((Int, String) -> Void)?
    private static let lock = Lock()

    /// Installs the sink (levels as Python logging: 20 INFO, 30 WARNING, 40 ERROR).
    public static func setHandler(_ body: ((Int, String) -> Void)?) { lock.withLock { handler = body } }

    public static func report(_ level: Int, _ message: String) {
        let sink = lock.withLock { handler }
        sink?(level, message)
    }
}
