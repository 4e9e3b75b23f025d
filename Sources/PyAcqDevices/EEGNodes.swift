import PyAcqCore

/// The EEG amplifier nodes (PROTOCOL §14.4).
enum EEGNodes {
    static func register() {
        for type in [BrainAmpSocket.self, OpenBCINode.self, EmotivNode.self] as [Node.Type] {
            try? NodeRegistry.register(type)
        }
    }
}
