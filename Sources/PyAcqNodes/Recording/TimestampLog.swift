import PyAcqCore

/// The timestamps of one recorded stream: `<name>_timestamps.raw`, one 24-byte record per chunk
/// (native byte order: int64 index after the chunk, float64 time of its last sample on the
/// recorder's clock, float64 the producer's own stamp), and in the stream's entry of
/// stream_properties.json the file, its dtype and every clock offset estimate in force while
/// recording. pyacq readers only look at `<name>.raw` and the keys they know.
final class TimestampLog {
    static let dtype: Value = .array([.array([.string("index"), .string("<i8")]),
                                      .array([.string("timestamp"), .string("<f8")]),
                                      .array([.string("raw_timestamp"), .string("<f8")])])
    private let file: AppendFile
    private(set) var offsets: [Value] = []
    private var lastEstimateTime = Double.nan

    init(directory: String, stream name: String) throws(PyAcqError) {
        file = try AppendFile(path: "\(directory)/\(name)_timestamps.raw", truncate: true)
    }

    /// The keys added to the stream's properties entry.
    static func describe(_ entry: inout ValueMap, stream name: String) {
        entry["timestamps"] = .map(["file": .string("\(name)_timestamps.raw"), "dtype": dtype,
                                    "clock": .string("recorder stream clock, seconds (CLOCK_MONOTONIC)")])
        entry["clock_offsets"] = .array([])
    }

    /// Appends the chunk's record; true when a new clock offset estimate joined `offsets`.
    func record(_ chunk: ReceivedChunk, estimate: ClockOffsetEstimate?) throws(PyAcqError) -> Bool {
        guard let raw = chunk.rawTimestamp else { return false }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        withUnsafeBytes(of: Int64(chunk.index)) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: (chunk.timestamp ?? .nan)) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: raw) { bytes.append(contentsOf: $0) }
        try file.write(bytes)
        guard let estimate, estimate.measuredAt != lastEstimateTime else { return false }
        lastEstimateTime = estimate.measuredAt
        offsets.append(.map(["measured_at": .double(estimate.measuredAt), "offset": .double(estimate.offset),
                             "uncertainty": .double(estimate.uncertainty), "round_trip": .double(estimate.roundTrip),
                             "first_index": .int(chunk.index - chunk.rows)]))
        return true
    }

    func close() { file.close() }
}
