import PyAcqCore
import PyAcqRPC

// libFuzzer entry point over every decoder that reads bytes a peer controls. The first input
// byte picks the decoder, the rest is its input; built with -sanitize=fuzzer,address by
// `make fuzz` / `make fuzz-smoke` (scripts/fuzz.sh). Every decoder must return or throw a
// PyAcqError: a trap, a crash or an out-of-bounds access is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func pyacqFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    switch data[0] % 7 {
    case 0: fuzzPlainData(input)
    case 1: fuzzNotification(input)
    case 2: _ = try? Serializer.msgpack.decode(input)
    case 3: _ = try? Serializer.json.decode(input)
    case 4: _ = try? DType(parsing: String(decoding: input, as: UTF8.self))
    case 5: fuzzParams(input)
    default: fuzzPlainData(input, compression: "blosc-lz4")
    }
    return 0
}

/// Input: 1 byte dtype choice, 2 bytes header length, header, data. A decoded chunk is copied
/// in full so that any element outside the received data would be touched.
private func fuzzPlainData(_ input: UnsafeRawBufferPointer, compression: String = "") {
    guard input.count >= 3 else { return }
    let dtypes: [DType] = [.float32, .int16, .float64, .uint8, DType(kind: .void, itemsize: 3)]
    let dtype = dtypes[Int(input[0]) % dtypes.count]
    let headerLength = min(Int(input[1]) << 8 | Int(input[2]), input.count - 3)
    let header = UnsafeRawBufferPointer(rebasing: input[3..<3 + headerLength])
    // Copies into owned buffers, as received frames are.
    let headerCopy = AlignedBuffer(copying: header)
    let dataCopy = AlignedBuffer(copying: UnsafeRawBufferPointer(rebasing: input[(3 + headerLength)...]))
    // A consumer's decoder remembers the layout: the same header with another index word takes
    // its shortcut, which must check what it skips.
    let decoder = PlainDataDecoder()
    guard let first = try? decoder.decode(header: headerCopy.bytes, data: dataCopy.bytes, owner: dataCopy,
                                          dtype: dtype, compression: compression) else { return }
    _ = first.view.toNDArray()
    if headerLength >= 16 {
        let reindexed = AlignedBuffer(copying: header)
        let word = reindexed.pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        reindexed.pointer.storeBytes(of: word.byteSwapped ^ 0x5a5a_5a5a, toByteOffset: 8, as: UInt64.self)
        if let second = try? decoder.decode(header: reindexed.bytes, data: dataCopy.bytes, owner: dataCopy,
                                            dtype: dtype, compression: compression) {
            _ = second.view.toNDArray()
        }
    }
}

/// Input: 8 bytes ring length, then the notification frame.
private func fuzzNotification(_ input: UnsafeRawBufferPointer) {
    guard input.count >= 8 else { return }
    let length = Int(input.loadUnaligned(as: UInt64.self) & 0xffff_ffff)
    _ = try? SharedMemNotification(decoding: UnsafeRawBufferPointer(rebasing: input[8...]), ringLength: length)
}

/// Stream params as a consumer gets them: JSON text, then every check connect() makes.
private func fuzzParams(_ input: UnsafeRawBufferPointer) {
    guard case .map(let map)? = try? Value.fromJSON(String(decoding: input, as: UTF8.self), what: "params") else { return }
    let params = StreamParams(map)
    _ = try? params.url()
    _ = try? params.transferMode()
    _ = try? params.compression()
    _ = try? params.axisOrder()
    guard let dtype = try? params.dtype(), let shape = try? params.shape() else { return }
    let length = (try? params.int("buffer_size", default: 0)) ?? 0
    _ = try? RingBuffer.sharedByteCount(length: length, rowShape: Array(shape.dropFirst()), dtype: dtype,
                                        double: (try? params.bool("double", default: false)) ?? false)
    _ = try? params.applyingInputSpec(map)
}
