import CZeroMQ
import PyAcqCore
import PyAcqNodes
import PyAcqRPC
#if canImport(Glibc)
import Glibc
#endif

// RPC benchmarks: synchronous call round trips, next to raw libzmq DEALER/ROUTER ping-pong of
// the same bytes measured in the same run. Prints `bench:` lines (see benchmarks/run.sh).

final class Counter: RemoteObject {
    var remoteTypeString: String { "<class 'bench.Counter'>" }
    var n = 0
    func remoteAttribute(_ name: String) throws(PyAcqError) -> RemoteEntity? {
        guard name == "add" else { return nil }
        return .method(RemoteMethod("add") { [self] call throws(PyAcqError) in
            n += try call.int(0, "x")
            return .value(.int(n))
        })
    }
}

func bench(_ seconds: Double, _ body: () throws(PyAcqError) -> Void) throws(PyAcqError) -> Double {
    for _ in 0..<200 { try body() }  // warm-up
    var count = 0
    let start = monotonicSeconds()
    while monotonicSeconds() - start < seconds {
        for _ in 0..<100 { try body() }
        count += 100
    }
    return Double(count) / (monotonicSeconds() - start)
}

/// Raw DEALER→ROUTER→DEALER ping-pong with exactly the frames of one RPC call and its reply.
func rawRoundTrips(request: [[UInt8]], reply: [UInt8], seconds: Double) throws(PyAcqError) -> Double {
    let router = try ZMQSocket(type: ZMQ_ROUTER)
    try router.setOption(ZMQ_LINGER, 0)
    try router.bind("tcp://127.0.0.1:*")
    let address = router.lastEndpoint
    let echo = PosixThread(name: "raw-router") {
        while true {
            guard let frames = try? router.receiveMessage(), frames.count > 1 else { return }
            if frames[1].size == 4, frames[1].array == Array("stop".utf8) { return }
            try? router.send(bytes: [frames[0].array, reply])
        }
    }
    let dealer = try ZMQSocket(type: ZMQ_DEALER)
    try dealer.setOption(ZMQ_LINGER, 0)
    try dealer.connect(address)
    let rate = try bench(seconds) { () throws(PyAcqError) in
        try dealer.send(bytes: request)
        _ = try dealer.receiveMessage()
    }
    try dealer.send(bytes: [Array("stop".utf8)])
    echo.join()
    return rate
}

func report(_ name: String, _ value: Double, _ unit: String, baseline: String, _ base: Double) {
    let ratio = base > 0 ? value / base : 0
    print("bench: \(name) value=\(format1(value)) \(unit) baseline=\(baseline):\(format1(base)) ratio=\(format2(ratio))")
}

func format1(_ v: Double) -> String { String((v * 10).rounded() / 10) }
func format2(_ v: Double) -> String { String((v * 100).rounded() / 100) }

/// SosFilter throughput on 64 channels × 8 sections, float32 chunks of 1024 (samples × channels
/// per second), on the data `benchmarks/dsp_bench.py` also gives scipy.
func sosfilterThroughput(seconds: Double) throws(PyAcqError) -> Double {
    let channels = 64, rows = 1024, sections = 8
    var rng = SystemRandomNumberGenerator()
    // A stable 8-section low-pass-like cascade (poles inside the unit circle).
    var sos: [Double] = []
    for s in 0..<sections { sos += [0.02, 0.04, 0.02, 1, -1.5 + 0.05 * Double(s), 0.6] }
    var cascade = try SosCascade(sos: NDArray(dtype: .float64, shape: [sections, 6], values: sos), channels: channels)
    let chunk = NDArray(dtype: .float32, shape: [rows, channels], values: (0..<rows * channels).map { _ in Float.random(in: -1...1, using: &rng) })
    var processed = 0
    let start = monotonicSeconds()
    while monotonicSeconds() - start < seconds {
        _ = try cascade.filter(chunk.view, as: .float32)
        processed += rows * channels
    }
    return Double(processed) / (monotonicSeconds() - start)
}

let arguments = Array(CommandLine.arguments.dropFirst())
let mode = arguments.first ?? "rpc"
let seconds = Double(arguments.dropFirst().first ?? "") ?? 2.0
do throws(PyAcqError) {
    switch mode {
    case "sosfilter":
        print("bench-raw: sosfilter_64ch_8sos_1024 value=\(format1(try sosfilterThroughput(seconds: seconds))) samples*channels/s")
    case "rpc-serve":
        // A server for the Python peer's round-trip benchmark: prints its address, serves until closed.
        let server = try RPCServer()
        server.publish("counter", object: Counter())
        print("address \(server.address)")
        fflush(nil)
        server.serveForever()
    default:
        let server = try RPCServer()
        server.publish("counter", object: Counter())
        server.startThread()
        let client = try RPCClient.forThread(server.address)
        let add = try client.getItem("counter").proxy!.attribute("add")
        let swiftRate = try bench(seconds) { () throws(PyAcqError) in _ = try add.invoke([.int(1)]) }
        // The same bytes on the wire: request frames and a typical reply payload.
        let opts = try Serializer.msgpack.encode(.map(["obj": add.wireValue, "args": .array([.int(1)]), "kwargs": .map([:])]))
        let reply = try Serializer.msgpack.encode(.map(["action": .string("return"), "req_id": .int(12345), "rval": .int(12345), "error": .null]))
        let request = [Array("12345".utf8), Array("call_obj".utf8), Array("auto".utf8), Array("msgpack".utf8), opts]
        let rawRate = try rawRoundTrips(request: request, reply: reply, seconds: seconds)
        report("rpc_sync_call_swift_to_swift", swiftRate, "calls/s", baseline: "zmq_dealer_router_pingpong", rawRate)
        print("bench-raw: zmq_dealer_router_pingpong value=\(format1(rawRate)) calls/s")
        server.stop()
    }
} catch {
    print("bench: failed: \(error.message)")
    exit(1)
}
