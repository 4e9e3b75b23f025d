import PyAcqCore

/// Registers the audio and video node types (idempotent).
enum AVNodes {
    static func register() {
        for type in [PyAudio.self, WebCamAV.self, WebCamImageIO.self, AviRecorder.self] as [Node.Type] { try? NodeRegistry.register(type) }
    }
}
