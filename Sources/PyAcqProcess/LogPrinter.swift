import Synchronization
import PyAcqCore
import PyAcqRPC
#if canImport(Glibc)
import Glibc
#endif

/// A LogServer with a thread printing what the node groups log to stderr, in time order and
/// coloured by source on a terminal: what a Manager's process runs.
public final class LogPrinter: @unchecked Sendable {
    private let server: LogServer
    private let running = Atomic<Bool>(true)
    private var thread: PosixThread?
    public var address: String { server.address }

    public init() throws(PyAcqError) {
        server = try LogServer()
        let colour = isatty(2) != 0
        thread = PosixThread(name: "log-printer") { [self] in
            while running.load(ordering: .acquiring) {
                for record in (try? server.collect(timeoutMs: 100)) ?? [] { LogPrinter.print(record, colour) }
            }
            for record in (try? server.collect(timeoutMs: 0, flush: true)) ?? [] { LogPrinter.print(record, colour) }
        }
    }

    static func print(_ record: LogRecord, _ colour: Bool) {
        var line = Array((LogServer.format(record, colour: colour) + "\n").utf8)
        _ = write(2, &line, line.count)
    }

    public func stop() {
        running.store(false, ordering: .releasing)
        thread?.join()
        thread = nil
    }
}
