#if canImport(Glibc)
import Glibc
#endif
import PyAcqDevices

// Device decode benchmarks for benchmarks/eeg_bench.py. `pyacq-device-bench openbci <packets>`
// decodes a stream of Cyton packets (the simulator's signal) from memory in 64 KiB reads, as
// the node does, and prints `packets_per_s=<rate> checksum=<sum of channel counts>`.

func openBCIStream(packets: Int) -> [UInt8] {
    var stream: [UInt8] = []
    stream.reserveCapacity(packets * OpenBCI.packetSize)
    for k in 0..<packets {
        stream += OpenBCI.packet(sample: UInt8(truncatingIfNeeded: k), channels: (0..<8).map { OpenBCITestSignal.count(row: k, channel: $0) },
                                 aux: (0..<3).map { OpenBCITestSignal.aux(row: k, axis: $0) })
    }
    return stream
}

func seconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

let arguments = CommandLine.arguments
guard arguments.count == 3, arguments[1] == "openbci", let packets = Int(arguments[2]), packets > 0 else {
    print("usage: pyacq-device-bench openbci <packets>")
    exit(2)
}
let stream = openBCIStream(packets: packets)
var best = 0.0
var checksum = 0
for _ in 0..<5 {
    var decoder = OpenBCIDecoder(daisy: false)
    let rows = OpenBCIRows(width: 8)
    var sum = 0
    let started = seconds()
    stream.withUnsafeBytes { all in
        var offset = 0
        while offset < all.count {
            let end = min(all.count, offset + 65536)
            decoder.feed(UnsafeRawBufferPointer(rebasing: all[offset..<end]), into: rows)
            for v in rows.channels { sum &+= Int(v) }
            rows.removeAll()
            offset = end
        }
    }
    best = max(best, Double(decoder.packetsDecoded) / (seconds() - started))
    checksum = sum
}
print("packets_per_s=\(Int(best)) checksum=\(checksum)")
