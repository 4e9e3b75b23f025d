import CZeroMQ
import PyAcqCore
import PyAcqRPC
import PyAcqTestSupport
import Testing

/// A small remote type for the tests.
final class Calculator: RemoteObject {
    var remoteTypeString: String { "<class 'tests.Calculator'>" }
    var total = 0
    static let interface: RemoteInterface<Calculator> = {
        var i = RemoteInterface<Calculator>()
        i.method("add") { c, call throws(PyAcqError) in
            c.total += try call.int(0, "a") + call.int(1, "b", default: 0)
            return .value(.int(c.total))
        }
        i.method("fail") { _, _ throws(PyAcqError) in throw PyAcqError(.badParams, "bad value", exceptionType: "ValueError") }
        i.method("echo") { _, call throws(PyAcqError) in .value(try call.required(0, "x")) }
        i.method("child") { _, _ throws(PyAcqError) in .object(Calculator()) }
        i.attribute("total") { c throws(PyAcqError) in .value(.int(c.total)) }
        /// Calls `relay` on the calculator named in `peer` until depth 0, bouncing between servers.
        i.method("relay") { _, call throws(PyAcqError) in
            let depth = try call.int(0, "depth")
            guard depth > 0 else { return .value(.string("bottom")) }
            guard case .proxy(let peer) = try call.required(1, "peer"), case .proxy(let me) = try call.required(2, "me") else {
                throw PyAcqError(.invalidArgument, "relay needs proxies")
            }
            return .value(try ObjectProxy(peer).attribute("relay").invoke([.int(depth - 1), .proxy(me), .proxy(peer)]).value ?? .null)
        }
        return i
    }()
    func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? { try Self.interface.lookup(name, on: self) }
}

@Suite(.serialized) struct RPCTests {
    func startServer(_ objects: [String: any RemoteObject] = ["calc": Calculator()]) throws -> RPCServer {
        let server = try RPCServer()
        for (name, object) in objects { server.publish(name, object: object) }
        server.startThread()
        return server
    }

    func stop(_ server: RPCServer) throws {
        try RPCClient.forThread(server.address).closeServer()
        server.join()
    }

    @Test func actionsBehaveLikePyacq() throws {
        let server = try startServer()
        defer { try? stop(server) }
        let client = try RPCClient.forThread(server.address)
        #expect(try client.ping() == .string("pong"))
        #expect(server.address.hasPrefix("tcp://127.0.0.1:"))

        let me = try #require(try client.getItem("self").proxy)
        #expect(try me.attribute("address").value() == .string(server.address))
        let calc = try #require(try client.getItem("calc").proxy)
        #expect(try calc.attribute("add").invoke([.int(2), .int(3)]).value == .int(5))
        #expect(try calc.attribute("add").invoke([.int(1)], ["b": .int(1)]).value == .int(7))
        #expect(try calc.attribute("total").value() == .int(7))
        // Unknown names and failing calls come back as remote exceptions with their type.
        #expect { try client.getItem("nope") } throws: { ($0 as? PyAcqError)?.exceptionType == "KeyError" }
        #expect { try calc.attribute("fail").invoke() } throws: { ($0 as? PyAcqError)?.exceptionType == "ValueError" }
        #expect { try calc.attribute("missing").invoke() } throws: { ($0 as? PyAcqError)?.exceptionType == "AttributeError" }
        #expect { try client.call("dance", options: .map([:])) } throws: { ($0 as? PyAcqError)?.exceptionType == "ValueError" }
        // Return types: bytes by value under auto, anything as a proxy when asked.
        #expect(try calc.attribute("echo").invoke([.bytes([1, 2])]).value == .bytes([1, 2]))
        let boxed = try #require(try calc.attribute("echo").invoke([.int(4)], returnType: "proxy").proxy)
        #expect(try boxed.value() == .int(4))
        // Objects keep their id; each hand-out gets a new reference id.
        let again = try #require(try client.getItem("calc").proxy)
        #expect(again == calc && again.reference.referenceId != calc.reference.referenceId)
        // delete drops one reference; the last one forgets the object.
        let child = try #require(try calc.attribute("child").invoke().proxy)
        #expect(try child.attribute("add").invoke([.int(1)]).value == .int(1))
        try child.delete()
        #expect { try child.attribute("add").invoke([.int(1)]) } throws: { ($0 as? PyAcqError)?.exceptionType == "KeyError" }
        #expect { try child.delete() } throws: { ($0 as? PyAcqError)?.exceptionType == "KeyError" }
        // Only registered modules import.
        let time = try #require(try client.importModule("time").proxy)
        #expect(try time.attribute("perf_counter").invoke().value?.doubleValue != nil)
        #expect { try client.importModule("os") } throws: { ($0 as? PyAcqError)?.exceptionType == "ModuleNotFoundError" }
        // set_item stores a value; a local proxy stored decodes to the object itself.
        try client.setItem("answer", .int(42))
        #expect(try client.getItem("answer").value == .int(42))
        try client.setItem("calc2", calc.wireValue)
        #expect(try client.getItem("calc2").proxy == calc)
        // Fire-and-forget, then async futures.
        try calc.attribute("add").call([.int(100)], mode: .off)
        let future = try #require(try calc.attribute("add").call([.int(1)], mode: .async))
        #expect(try future.wait(timeoutMs: 5000) == .int(108))
    }

    @Test func closeNotifiesOtherClients() throws {
        let server = try startServer()
        let address = server.address
        // A second client on another thread, waiting on a call when the server closes.
        let outcome = Lock()
        nonisolated(unsafe) var secondError: PyAcqError?
        let ready = try RawReadyFlag()
        let closed = try RawReadyFlag()
        let other = PosixThread(name: "second-client") {
            do throws(PyAcqError) {
                let client = try RPCClient.forThread(address)
                _ = try client.ping()
                ready.signal()
                try? closed.wait()
                // The disconnect notice is already queued: this call must fail at once.
                _ = try client.call("ping", options: nil, timeoutMs: 5000)
            } catch {
                outcome.withLock { secondError = error }
            }
        }
        try ready.wait()
        try stop(server)
        closed.signal()
        other.join()
        let error = try #require(outcome.withLock { secondError })
        #expect(error.code == .closed)
        #expect(server.isClosed)
    }

    @Test func reentrantCallsBetweenTwoServers() throws {
        let a = try startServer(["calc": Calculator()])
        let b = try startServer(["calc": Calculator()])
        defer { try? stop(a); try? stop(b) }
        let calcA = try #require(try RPCClient.forThread(a.address).getItem("calc").proxy)
        let calcB = try #require(try RPCClient.forThread(b.address).getItem("calc").proxy)
        // A -> B -> A -> B ... 8 levels deep, each call made while the previous one waits.
        let result = try calcA.attribute("relay").invoke([.int(8), calcB.wireValue, calcA.wireValue])
        #expect(result.value == .string("bottom"))
    }

    @Test func remoteStreamsConnectAcrossServers() throws {
        StreamModule.register()
        InputStream.installRemoteParamsFetcher { ref throws(PyAcqError) in try fetchRemoteOutputParams(ref) }
        let output = OutputStream()
        try output.configure(["protocol": .string("tcp"), "shape": .array([.int(-1), .int(3)]), "dtype": .string("int16")])
        let producer = try startServer(["output": output])
        let consumer = try startServer(["input": InputStream()])
        defer { try? stop(producer); try? stop(consumer) }
        let remoteOutput = try #require(try RPCClient.forThread(producer.address).getItem("output").proxy)
        let remoteInput = try #require(try RPCClient.forThread(consumer.address).getItem("input").proxy)
        // The consumer's server fetches the params from the producer's server itself.
        _ = try remoteInput.attribute("connect").invoke([remoteOutput.wireValue])
        #expect(try output.waitForSubscribers(1, timeoutMs: 5000))
        let chunk = NDArray(dtype: .int16, shape: [2, 3], values: [Int16](arrayLiteral: 1, 2, 3, 4, 5, 6))
        _ = try remoteOutput.attribute("send").invoke([.ndarray(chunk)])
        let received = try remoteInput.attribute("recv").invoke([], ["timeout": .double(5)]).value
        #expect(received == .array([.int(2), .ndarray(chunk)]))
        #expect(try remoteInput.attribute("params").value()["dtype"] == .string("int16"))
        // A remote module creates streams on the server.
        let module = try #require(try RPCClient.forThread(consumer.address).importModule("pyacq.core.stream").proxy)
        let made = try #require(try module.attribute("OutputStream").invoke([.map(["shape": .array([.int(-1), .int(2)])])]).proxy)
        _ = try made.attribute("configure").invoke([], ["protocol": .string("inproc")])
        #expect(try made.attribute("params").value()["protocol"] == .string("inproc"))
    }
}

/// A one-shot flag between threads, over an inproc PAIR (no sleeps).
final class RawReadyFlag: @unchecked Sendable {
    let endpoint = uniqueInproc("ready")
    let receiver: ZMQSocket
    init() throws { receiver = try rawSocket(ZMQ_PULL, bindTo: endpoint) }
    func signal() {
        if let s = try? rawSocket(ZMQ_PUSH) { try? s.connect(endpoint); try? s.send(bytes: [[1]]) }
    }
    func wait() throws {
        guard try receiver.poll(timeoutMs: 5000), try receiver.receiveMessage() != nil else { throw TestFailure("never signalled") }
    }
}
