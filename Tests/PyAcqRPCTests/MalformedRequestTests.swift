import CZeroMQ
import PyAcqCore
import PyAcqRPC
import PyAcqTestSupport
import Testing

/// Hostile input: the server answers every request it can attribute, never crashes, and keeps
/// serving. The codecs survive random and mutated bytes.
@Suite(.serialized) struct MalformedRequestTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
    }

    static func garbage(_ rng: inout Generator, maxLength: Int = 64) -> [UInt8] {
        (0..<Int.random(in: 0...maxLength, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// A request whose req_id is well-formed but whose other frames are hostile.
    static func hostileRequest(_ n: Int, _ rng: inout Generator, validOpts: [UInt8]) -> [[UInt8]] {
        let id = Array(String(n).utf8)
        let serializer = Array((Bool.random(using: &rng) ? "msgpack" : "json").utf8)
        switch n % 10 {
        case 0: return [id, Array("call_obj".utf8), Array("auto".utf8), serializer, garbage(&rng)]
        case 1: return [id, Array("get_item".utf8), Array("auto".utf8), Array("pickle".utf8), validOpts]
        case 2: return [id, Array("call_obj".utf8)]  // too few frames
        case 3: return [id, Array("ping".utf8), Array("auto".utf8), serializer, [], garbage(&rng)]  // too many
        case 4: return [id, garbage(&rng, maxLength: 12), Array("auto".utf8), Array("msgpack".utf8), validOpts]
        case 5:  // proxy to an object that does not exist
            let opts = try! Serializer.msgpack.encode(.map(["obj": .proxy(ProxyReference(rpcAddress: "tcp://127.0.0.1:1", objectId: 99, referenceId: 1)), "args": .array([]), "kwargs": .map([:])]))
            return [id, Array("call_obj".utf8), Array("auto".utf8), Array("msgpack".utf8), opts]
        case 6:  // wrong option types
            let opts = try! Serializer.msgpack.encode(.map(["name": .int(5)]))
            return [id, Array("get_item".utf8), Array("auto".utf8), Array("msgpack".utf8), opts]
        case 7:  // huge declared sizes
            return [id, Array("get_obj".utf8), Array("auto".utf8), Array("msgpack".utf8), [0xdd, 0x7f, 0xff, 0xff, 0xff, 0xc6, 0xff, 0xff]]
        case 8:  // truncated valid opts
            return [id, Array("get_item".utf8), Array("auto".utf8), Array("msgpack".utf8), Array(validOpts.prefix(validOpts.count / 2))]
        default:  // garbage JSON
            return [id, Array("set_item".utf8), Array("value".utf8), Array("json".utf8), Array("{\"name\": [1, 2".utf8) + garbage(&rng, maxLength: 8)]
        }
    }

    @Test func tenThousandMalformedRequests() throws {
        let server = try RPCServer()
        server.startThread()
        defer { try? RPCClient.forThread(server.address).closeServer(); server.join() }
        let dealer = try rawSocket(ZMQ_DEALER)
        try dealer.setOption(ZMQ_IDENTITY, bytes: Array("fuzzer.test.thread:x".utf8))
        try dealer.connect(server.address)
        var rng = Generator(state: 0x9e3779b97f4a7c15)
        let validOpts = try Serializer.msgpack.encode(.map(["name": .string("self")]))
        let total = 10_000
        var expectedReplies = Set<Int>()
        for n in 0..<total {
            var frames = Self.hostileRequest(n, &rng, validOpts: validOpts)
            if n % 97 == 0 { frames[0] = Self.garbage(&rng, maxLength: 5) + [0x78] }  // unparseable id: no reply expected
            else { expectedReplies.insert(n) }
            try dealer.send(bytes: frames)
        }
        var replies = 0
        while !expectedReplies.isEmpty, try dealer.poll(timeoutMs: 5000) {
            guard let frames = try dealer.receiveMessage(), frames.count == 1 else { continue }
            let decoded: Value
            do { decoded = try Serializer.msgpack.decode(frames[0].bytes) } catch { decoded = try Serializer.json.decode(frames[0].bytes) }
            guard case .map(let reply) = decoded, let id = reply["req_id"]?.intValue else { continue }
            #expect(reply["action"] == .string("return"))
            #expect(reply["error"]?.arrayValue?.count == 2, "request \(id) should fail")
            expectedReplies.remove(id)
            replies += 1
        }
        #expect(expectedReplies.isEmpty, "\(expectedReplies.count) requests got no reply")
        #expect(replies >= total - total / 97 - 1)
        #expect(try RPCClient.forThread(server.address).ping() == .string("pong"))
    }


    /// Bounded fuzzing of both decoders with random bytes and mutations of valid messages.
    @Test(arguments: [Serializer.msgpack, .json])
    func codecsSurviveFuzzing(serializer: Serializer) throws {
        let seeds: [Value] = [
            .map(["obj": .proxy(ProxyReference(rpcAddress: "tcp://127.0.0.1:5", objectId: 1, referenceId: 2, attributes: ["a"])),
                  "args": .array([.int(-3), .double(1.5), .string("é"), .null, .bool(true)]), "kwargs": .map(["k": .bytes([0, 1])])]),
            .ndarray(NDArray(dtype: .float32, shape: [2, 2], values: [Float](arrayLiteral: 1, 2, 3, 4))),
            .array([.datetime("2015-01-02T03:04:05"), .date("2015-01-02"), .uint(UInt64.max), .int(Int64.min)]),
        ]
        var rng = Generator(state: serializer == .msgpack ? 12345 : 67890)
        let deadline = monotonicSeconds() + 2
        var cases = 0
        while monotonicSeconds() < deadline {
            var bytes: [UInt8]
            if cases % 3 == 0 {
                bytes = Self.garbage(&rng, maxLength: 200)
            } else {
                bytes = try serializer.encode(seeds[cases % seeds.count])
                for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                    case 1: bytes.removeSubrange(at...)
                    default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                    }
                }
            }
            if let value = try? serializer.decode(bytes) { _ = try? serializer.encode(value) }
            cases += 1
        }
        #expect(cases > 1000)
    }
}
