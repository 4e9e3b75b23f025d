import CPyAcqHeader
import PyAcqCore

// What a producer dropped for slow consumers, visible while it happens (issue 11).

@c @implementation
public func pyacq_output_stats(_ h: OpaquePointer?, _ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try HandleRegistry.resolve(h, as: OutputStream.self, "output stream")
        try returnJSON(["chunks_sent": .int(stream.chunksSent), "chunks_dropped": .int(stream.chunksDropped),
                        "samples_dropped": .int(stream.samplesDropped), "last_index": .int(stream.lastIndex),
                        "queued_bytes": .int(stream.queuedBytes), "queued_bytes_peak": .int(stream.queuedBytesPeak),
                        "max_queued_bytes": .int(stream.maxQueuedBytes),
                        "consumer_queue_chunks": .int(Int(stream.consumerQueueMessages))], out)
    }
}
