import PyAcqCore

/// Registers every device node type in NodeRegistry (idempotent).
public enum DeviceNodes {
    public static func register() {
        AVNodes.register()
    }
}
