import CZeroMQ
import PyAcqCore

extension RPCServer {
    /// Waits up to `timeoutMs` for `socket` to become readable while answering the requests of
    /// the server this thread runs (the reentrancy of PROTOCOL §4.6): a handler waiting on
    /// something else — a child process that should report its address — never leaves the
    /// server's other clients (pings included) unanswered.
    public static func waitServing(_ socket: ZMQSocket, timeoutMs: Int) throws(PyAcqError) -> Bool {
        let deadline = monotonicSeconds() + Double(timeoutMs) / 1000
        while true {
            let remaining = deadline - monotonicSeconds()
            if remaining <= 0 { return false }
            let server = ThreadState.current.server
            var items = [zmq_pollitem_t(socket: socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)]
            if let server, !server.isClosed {
                items.append(zmq_pollitem_t(socket: server.socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
            }
            let rc = zmq_poll(&items, Int32(items.count), min(100, Int(remaining * 1000) + 1))
            if rc < 0 {
                if zmq_errno() == EINTR { continue }
                throw PyAcqError(.io, "zmq_poll failed while waiting")
            }
            if items[0].revents & Int16(ZMQ_POLLIN) != 0 { return true }
            if items.count > 1, items[1].revents & Int16(ZMQ_POLLIN) != 0 { try server?.processPending(timeoutMs: 0) }
        }
    }
}
