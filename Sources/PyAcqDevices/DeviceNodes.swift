import PyAcqCore

/// Registers every device node type of this module in NodeRegistry (idempotent).
public enum DeviceNodes {
    public static func register() {
        EEGNodes.register()
        AVNodes.register()
    }
}
