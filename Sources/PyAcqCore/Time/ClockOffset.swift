/// One estimate of a peer's clock relative to ours, NTP/LSL style.
public struct ClockOffsetEstimate: Equatable, Sendable {
    /// Peer clock − local clock, seconds: a peer time `t` is `t − offset` on our clock.
    public var offset: Double
    /// Half the round trip of the probe the estimate comes from. Causality bounds the truth:
    /// the peer read its clock between our send and our receive, so the true offset lies in
    /// `offset ± uncertainty` whatever the asymmetry of the path.
    public var uncertainty: Double { roundTrip / 2 }
    /// Round trip of that probe, seconds.
    public var roundTrip: Double
    /// Local clock time of the estimate.
    public var measuredAt: Double
    /// Probes the estimate was chosen from.
    public var probes: Int

    public init(offset: Double, roundTrip: Double, measuredAt: Double, probes: Int) {
        self.offset = offset
        self.roundTrip = roundTrip
        self.measuredAt = measuredAt
        self.probes = probes
    }

    /// The same instant as `peerTime` (on the peer's clock) on the local clock.
    public func toLocal(_ peerTime: Double) -> Double { peerTime - offset }
}

/// A single probe: local time before sending, the peer's clock reading, local time after the reply.
public struct ClockProbeSample: Sendable {
    public var sent: Double
    public var peer: Double
    public var received: Double
    public init(sent: Double, peer: Double, received: Double) {
        self.sent = sent
        self.peer = peer
        self.received = received
    }
    public var roundTrip: Double { received - sent }
    public var offset: Double { peer - (sent + received) / 2 }
}

public enum ClockOffsetEstimator {
    /// Default number of probes per estimate.
    public static let defaultProbes = 8

    /// Runs `count` probes and keeps the one with the smallest round trip: queueing delays only
    /// ever lengthen a round trip, so the shortest is the least disturbed.
    public static func estimate(probes count: Int = defaultProbes,
                                _ probe: () throws(PyAcqError) -> ClockProbeSample) throws(PyAcqError) -> ClockOffsetEstimate {
        guard count > 0 else { throw PyAcqError(.invalidArgument, "clock offset estimation needs at least 1 probe, got \(count)") }
        var best: ClockProbeSample?
        for _ in 0..<count {
            let sample = try probe()
            guard sample.roundTrip >= 0, sample.peer.isFinite else { continue }
            if sample.roundTrip < (best?.roundTrip ?? .infinity) { best = sample }
        }
        guard let best else { throw PyAcqError(.remote, "no clock probe gave a usable reply") }
        return ClockOffsetEstimate(offset: best.offset, roundTrip: best.roundTrip, measuredAt: best.received, probes: count)
    }
}
