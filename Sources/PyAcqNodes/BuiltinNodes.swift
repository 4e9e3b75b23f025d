import PyAcqCore

/// Registers the node types this module provides (idempotent).
public enum BuiltinNodes {
    public static func register() {
        for type in [NumpyDeviceBuffer.self, StreamConverter.self, ChannelSplitter.self, ChunkResizer.self, SosFilter.self, OverlapFiltfilt.self,
                     AnalogTrigger.self, DigitalTrigger.self, TriggerAccumulator.self, RawRecorder.self, TimeFreqWorker.self] as [Node.Type] {
            try? NodeRegistry.register(type)
        }
    }
}
