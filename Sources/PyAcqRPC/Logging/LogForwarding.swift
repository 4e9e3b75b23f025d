import CZeroMQ
import PyAcqCore
#if canImport(Glibc)
import Glibc
#endif

/// One log record as pyacq's LogSender writes it (PROTOCOL §6.2).
public struct LogRecord: Sendable {
    public var name: String
    public var level: Int
    public var message: String
    public var created: Double
    public var hostName: String
    public var processName: String
    public var threadName: String
    /// Every field as received, for peers that send more.
    public var fields: ValueMap

    public static func levelName(_ level: Int) -> String {
        switch level {
        case ..<20: return "DEBUG"
        case ..<30: return "INFO"
        case ..<40: return "WARNING"
        case ..<50: return "ERROR"
        default: return "CRITICAL"
        }
    }

    public init(name: String, level: Int, message: String) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        self.name = name
        self.level = level
        self.message = message
        self.created = Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
        self.hostName = ProcessNames.host
        self.processName = ProcessNames.process
        self.threadName = ThreadState.current.threadName
        self.fields = [:]
    }

    /// Accepts any JSON object; missing fields take defaults (§6.2 "tolerate missing fields").
    public init(fields: ValueMap) {
        self.fields = fields
        name = fields["name"]?.stringValue ?? "root"
        level = fields["levelno"]?.intValue ?? 20
        message = fields["msg"]?.stringValue ?? ""
        created = fields["created"]?.doubleValue ?? 0
        hostName = fields["host_name"]?.stringValue ?? fields["hostname"]?.stringValue ?? "?"
        processName = fields["process_name"]?.stringValue ?? fields["processName"]?.stringValue ?? "?"
        threadName = fields["thread_name"]?.stringValue ?? fields["threadName"]?.stringValue ?? "?"
    }

    /// The fields a pyacq LogServer needs to rebuild a Python log record.
    public var wireFields: ValueMap {
        let seconds = created.rounded(.down)
        return [
            "name": .string(name), "msg": .string(message), "levelname": .string(Self.levelName(level)),
            "levelno": .int(level), "pathname": .string(""), "filename": .string(""), "module": .string(""),
            "exc_info": .null, "exc_text": .null, "stack_info": .null, "lineno": .int(0), "funcName": .string(""),
            "created": .double(created), "msecs": .double(((created - seconds) * 1000).rounded(.down)),
            "relativeCreated": .double(0), "thread": .int(Int(pthread_self())), "threadName": .string(threadName),
            "processName": .string(processName), "process": .int(Int(getpid())),
            "process_name": .string(processName), "thread_name": .string(threadName), "host_name": .string(hostName),
        ]
    }
}

/// Pushes log records to a LogServer (PUSH socket, one JSON frame per record). Not
/// thread-safe: use one sender per thread, or serialise calls.
public final class LogSender: @unchecked Sendable {
    private let socket: ZMQSocket
    private let lock = Lock()
    public let address: String

    public init(address: String) throws(PyAcqError) {
        socket = try ZMQSocket(type: ZMQ_PUSH)
        try socket.setOption(ZMQ_LINGER, 1000)
        try socket.connect(address)
        self.address = address
    }

    public func send(_ record: LogRecord) throws(PyAcqError) {
        let text = try Value.map(record.wireFields).jsonText(style: .python)
        try lock.withLock { () throws(PyAcqError) in try socket.send(bytes: [Array(text.utf8)], dontWait: true) }
    }

    public func log(_ level: Int, _ message: String, name: String = "pyacq") throws(PyAcqError) {
        try send(LogRecord(name: name, level: level, message: message))
    }
}

/// Receives log records (PULL, bound on loopback) and hands them out sorted by creation time
/// after a short holding delay, so records from several processes print in order.
public final class LogServer: @unchecked Sendable {
    private let socket: ZMQSocket
    public let address: String
    private var held: [LogRecord] = []
    public var holdSeconds = 0.2

    public init(address: String = "tcp://127.0.0.1:*") throws(PyAcqError) {
        socket = try ZMQSocket(type: ZMQ_PULL)
        try socket.setOption(ZMQ_LINGER, 1000)
        try socket.bind(address)
        self.address = socket.lastEndpoint
    }

    /// Reads what has arrived (waiting up to `timeoutMs`) and returns the records that are old
    /// enough to be in order; `flush` returns everything held.
    public func collect(timeoutMs: Int, flush: Bool = false) throws(PyAcqError) -> [LogRecord] {
        if try socket.poll(timeoutMs: timeoutMs) {
            while let frames = try socket.receiveMessage(dontWait: true) {
                guard frames.count == 1, case .map(let map)? = try? JSON.parse(Array(frames[0].bytes)) else { continue }
                held.append(LogRecord(fields: map))
            }
        }
        held.sort { $0.created < $1.created }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let cutoff = flush ? Double.infinity : Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9 - holdSeconds
        let ready = held.prefix { $0.created <= cutoff }
        held.removeFirst(ready.count)
        return Array(ready)
    }

    /// `[host:process:thread] LEVEL name: message`, coloured per source on a terminal.
    public static func format(_ record: LogRecord, colour: Bool) -> String {
        let source = "\(record.hostName):\(record.processName):\(record.threadName)"
        let text = "[\(source)] \(LogRecord.levelName(record.level)) \(record.name): \(record.message)"
        guard colour else { return text }
        let palette = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96]
        let hash = source.utf8.reduce(UInt32(5381)) { ($0 &* 33) ^ UInt32($1) }
        return "\u{1b}[\(palette[Int(hash % UInt32(palette.count))])m\(text)\u{1b}[0m"
    }
}

/// Offset of a remote server's monotonic clock from ours (PROTOCOL §6.3): remote − local,
/// in seconds, from 10 synchronous reads of the remote `time.perf_counter`.
public func measureClockOffset(_ client: RPCClient) throws(PyAcqError) -> Double {
    guard let time = try client.importModule("time").proxy else {
        throw PyAcqError(.remote, "the server's time module is not a proxy")
    }
    let perfCounter = time.attribute("perf_counter")
    var local: [Double] = []
    var remote: [Double] = []
    for _ in 0..<10 {
        local.append(StreamClock.now())
        guard let r = try perfCounter.invoke().value?.doubleValue else { throw PyAcqError(.remote, "perf_counter did not return a float") }
        remote.append(r)
    }
    local.append(StreamClock.now())
    let diffs = (0..<9).map { remote[$0] - (local[$0] + local[$0 + 1]) / 2 }
    return diffs.reduce(0, +) / Double(diffs.count)
}
