#if canImport(Glibc)
import Glibc
#endif
import PyAcqCore

/// Plain TCP sockets for device protocols (RDA) and their simulators: connect with a timeout,
/// reads that give up after a timeout so acquisition threads can notice a stop, writes that
/// never raise SIGPIPE.
public final class TCPConnection: @unchecked Sendable {
    public private(set) var fd: Int32
    public let peer: String

    init(fd: Int32, peer: String) {
        self.fd = fd
        self.peer = peer
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close() }

    /// Connects to `host:port` (IPv4 name or address), failing after `timeoutMs`.
    public static func connect(host: String, port: Int, timeoutMs: Int) throws(PyAcqError) -> TCPConnection {
        let peer = "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let info = list, let address = info.pointee.ai_addr else {
            throw PyAcqError(.io, "cannot resolve host '\(host)': \(String(cString: gai_strerror(rc)))", exceptionType: "ConnectionError")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw PyAcqError(.io, "socket(): \(errorText())", exceptionType: "ConnectionError") }
        if Glibc.connect(fd, address, info.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else {
                let text = errorText()
                Glibc.close(fd)
                throw PyAcqError(.io, "cannot connect to \(peer): \(text)", exceptionType: "ConnectionError")
            }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&p, 1, Int32(timeoutMs))
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            guard ready > 0, err == 0 else {
                Glibc.close(fd)
                let reason = ready <= 0 ? "no answer within \(timeoutMs) ms" : String(cString: strerror(err))
                throw PyAcqError(.io, "cannot connect to \(peer): \(reason)", exceptionType: "ConnectionError")
            }
        }
        return TCPConnection(fd: fd, peer: peer)
    }

    /// Reads up to `count` bytes: nil after `timeoutMs` without data, 0 at end of stream.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int, timeoutMs: Int) throws(PyAcqError) -> Int? {
        guard fd >= 0 else { throw PyAcqError(.state, "connection to \(peer) is closed") }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&p, 1, Int32(timeoutMs))
        if ready == 0 || (ready < 0 && errno == EINTR) { return nil }
        while true {
            let n = recv(fd, buffer, count, 0)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
            throw PyAcqError(.io, "reading from \(peer): \(errorText())", exceptionType: "ConnectionError")
        }
    }

    /// Writes every byte (waiting while the peer's window is full).
    public func write(_ bytes: UnsafeRawBufferPointer) throws(PyAcqError) {
        guard fd >= 0, let base = bytes.baseAddress else { return }
        var sent = 0
        while sent < bytes.count {
            let n = send(fd, base + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            if n > 0 { sent += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, 1000)
                continue
            }
            throw PyAcqError(.io, "writing to \(peer): \(errorText())", exceptionType: "ConnectionError")
        }
    }

    public func write(_ bytes: [UInt8]) throws(PyAcqError) { try write(bytes[...]) }

    public func write(_ bytes: ArraySlice<UInt8>) throws(PyAcqError) {
        var failure: PyAcqError?
        bytes.withUnsafeBytes { raw in
            do throws(PyAcqError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}

/// A listening TCP socket (simulators): binds `host` (127.0.0.1 unless asked otherwise).
public final class TCPListener: @unchecked Sendable {
    public let fd: Int32
    public let port: Int

    public init(host: String = "127.0.0.1", port: Int) throws(PyAcqError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw PyAcqError(.io, "socket(): \(errorText())") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            Glibc.close(fd)
            throw PyAcqError(.badParams, "'\(host)' is not an IPv4 address", exceptionType: "ValueError")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let text = errorText()
            Glibc.close(fd)
            throw PyAcqError(.io, "cannot listen on \(host):\(port): \(text)", exceptionType: "OSError")
        }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: actual.sin_port))
    }

    deinit { Glibc.close(fd) }

    /// The next client, or nil after `timeoutMs` without one.
    public func accept(timeoutMs: Int) throws(PyAcqError) -> TCPConnection? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(timeoutMs)) > 0 else { return nil }
        let client = Glibc.accept(fd, nil, nil)
        guard client >= 0 else {
            if errno == EINTR || errno == EAGAIN { return nil }
            throw PyAcqError(.io, "accept(): \(errorText())")
        }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        return TCPConnection(fd: client, peer: "client")
    }
}

func errorText() -> String { String(cString: strerror(errno)) }
