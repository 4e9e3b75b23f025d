import CZeroMQ

/// Watches one socket's connections through libzmq's socket monitor, so a consumer learns that
/// its producer went away (process killed, stream closed) instead of only ever timing out.
/// libzmq reconnects by itself; a reconnect clears the state.
final class PeerMonitor {
    let events: ZMQSocket
    private let target: ZMQSocket
    private var disconnectPending = false

    init(watching target: ZMQSocket) throws(PyAcqError) {
        self.target = target
        let endpoint = "inproc://pyacq-peer-monitor-" + Posix.randomName(length: 20, alphabet: "abcdefghijklmnopqrstuvwxyz0123456789")
        guard zmq_socket_monitor(target.handle, endpoint, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) == 0 else {
            throw ZMQ.lastError("zmq_socket_monitor")
        }
        events = try ZMQSocket(type: ZMQ_PAIR)
        try events.setOption(ZMQ_LINGER, 0)
        try events.connect(endpoint)
    }

    /// True once per broken connection that no reconnect has repaired since (edge-triggered:
    /// a consumer is told once, then waits for data or a new producer as usual).
    func takeDisconnect() throws(PyAcqError) -> Bool {
        while let frames = try events.receiveMessage(dontWait: true) {
            // `array` copies inside the getter: `.bytes` could outlive the message in release builds.
            let head = frames.first?.array ?? []
            guard frames.count == 2, head.count >= 2 else { continue }
            let event = Int32(UInt16(head[0]) | UInt16(head[1]) << 8)  // native (little-endian) u16
            if event == ZMQ_EVENT_DISCONNECTED { disconnectPending = true }
            if event == ZMQ_EVENT_CONNECTED { disconnectPending = false }
        }
        defer { disconnectPending = false }
        return disconnectPending
    }

    /// Stops the monitor before its reading end goes: libzmq sends events blocking, and an event
    /// (the disconnect of the watched socket's own close) sent to a closed reader would stall the
    /// context's I/O thread for good.
    func close() {
        if !target.isClosed { zmq_socket_monitor(target.handle, nil, 0) }
        events.close()
    }
}
