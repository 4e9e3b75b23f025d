import CPyAcqHeader
import PyAcqCore

// Receiving a chunk whose memory belongs to the caller's token rather than to the stream, so a
// view survives later receives on other threads and the stream's close (issue 11).

/// What a retained chunk keeps alive: the frame, decompressed buffer or shared mapping.
private final class RetainedChunk: NamedHandle {
    static let handleKind = "chunk"
    let owner: AnyObject
    init(owner: AnyObject) { self.owner = owner }
}

@c @implementation
public func pyacq_input_recv_retained(_ h: OpaquePointer?, _ timeoutMs: Int32, _ indexOut: UnsafeMutablePointer<Int64>?,
                                      _ viewOut: UnsafeMutablePointer<pyacq_view>?,
                                      _ chunkOut: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let stream = try HandleRegistry.resolve(h, as: InputStream.self, "input stream")
        let chunkOut = try required(chunkOut, "chunk_out")
        chunkOut.pointee = nil
        let chunk = try stream.receive(timeoutMs: Int(timeoutMs), withData: viewOut != nil)
        if let viewOut {
            guard let data = chunk.data else { throw PyAcqError(.internalError, "received chunk has no data") }
            try fill(viewOut, with: data)
        }
        indexOut?.pointee = Int64(chunk.index)
        if let owner = chunk.data?.owner {
            chunkOut.pointee = HandleRegistry.register(RetainedChunk(owner: owner))
        }
    }
}

@c @implementation
public func pyacq_chunk_release(_ chunk: OpaquePointer?) { HandleRegistry.release(chunk) }
