import PyAcqCore

/// The clock offset of an RPC peer's process (peer − local), NTP style: `probes` synchronous
/// calls of its `time.perf_counter` (PROTOCOL §6.3's remote surface, so Python pyacq peers
/// answer too), keeping the probe with the shortest round trip. Local times are read on
/// `StreamClock`, the clock libpyacq peers answer with.
public func estimateClockOffset(_ client: RPCClient, probes: Int = ClockOffsetEstimator.defaultProbes,
                                timeoutMs: Int = RPCClient.defaultTimeoutMs) throws(PyAcqError) -> ClockOffsetEstimate {
    guard let time = try client.importModule("time").proxy else {
        throw PyAcqError(.remote, "the server's time module is not a proxy")
    }
    let perfCounter = time.attribute("perf_counter")
    return try ClockOffsetEstimator.estimate(probes: probes) { () throws(PyAcqError) in
        let sent = StreamClock.now()
        guard let peer = try perfCounter.invoke(timeoutMs: timeoutMs).value?.doubleValue else {
            throw PyAcqError(.remote, "perf_counter did not return a float")
        }
        return ClockProbeSample(sent: sent, peer: peer, received: StreamClock.now())
    }
}
