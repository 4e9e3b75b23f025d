import PyAcqCore
import PyAcqRPC
import PyAcqTestSupport
import Testing

@Suite struct LoggingTests {
    @Test func recordsTravelAndComeOutSorted() throws {
        let server = try LogServer()
        let sender = try LogSender(address: server.address)
        var late = LogRecord(name: "b", level: 30, message: "second")
        var early = LogRecord(name: "a", level: 20, message: "first")
        early.created = late.created - 1
        late.processName = "procB"
        try sender.send(late)
        try sender.send(early)
        // Without flush the server holds records back for its ordering window, so the two come
        // out sorted even when they arrive in separate reads.
        var records: [LogRecord] = []
        let deadline = monotonicSeconds() + 10
        while records.count < 2 && monotonicSeconds() < deadline {
            records += try server.collect(timeoutMs: 100)
        }
        #expect(records.map(\.message) == ["first", "second"])
        #expect(records[1].processName == "procB" && records[1].level == 30)
        #expect(LogServer.format(records[1], colour: false).hasSuffix("WARNING b: second"))
    }

    @Test func pyacqRecordVectorParses() throws {
        let text = try Vectors.load("misc.json")["log_record"]?["text"].stringValue ?? ""
        guard case .map(let fields) = try JSON.parse(text) else { Issue.record("not a map"); return }
        let record = LogRecord(fields: fields)
        #expect(record.hostName == "hostA" && record.processName == "procB" && record.threadName == "thrC")
        #expect(record.level == 30 && record.message == "hello world 3")
        // Our records carry every field a pyacq LogServer reads.
        let ours = LogRecord(name: "x", level: 10, message: "m").wireFields
        #expect(Set(fields.keys).subtracting(ours.keys).isEmpty)
    }

    @Test func clockOffsetOfASameMachineServerIsTiny() throws {
        let server = try RPCServer()
        server.startThread()
        defer { try? RPCClient.forThread(server.address).closeServer(); server.join() }
        let offset = try measureClockOffset(try RPCClient.forThread(server.address))
        #expect(abs(offset) < 0.01)
    }
}
