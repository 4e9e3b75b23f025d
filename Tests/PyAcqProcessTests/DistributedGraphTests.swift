import PyAcqCore
import PyAcqNodes
import PyAcqProcess
import PyAcqRPC
import PyAcqTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real processes: a Manager in this process spawns `pyacq-nodegroup` children through its
/// built-in Host, nodes in different children are wired together, and the data is checked
/// sample by sample here.
@Suite(.serialized) struct DistributedGraphTests {
    final class Fixture {
        let server: RPCServer
        let manager: Manager
        init() throws {
            ProcessModules.register()
            server = try RPCServer()
            manager = Manager(server: server)
            server.startThread(name: "manager")
        }
        var managerProxy: ObjectProxy { get throws { try #require(try RPCClient.forThread(server.address).getItem("manager").proxy) } }
        func close() {
            manager.closeAllNodeGroups()
            manager.defaultHost.stopPolling()
            try? RPCClient.forThread(server.address).closeServer()
            server.join()
        }
    }

    /// A known int32 buffer: sample s, channel c holds s * 100 + c.
    static func buffer(rows: Int, channels: Int) -> NDArray {
        NDArray(dtype: .int32, shape: [rows, channels], values: (0..<rows * channels).map { Int32($0 / channels * 100 + $0 % channels) })
    }

    @Test(arguments: ["plaindata", "sharedmem"])
    func streamsAcrossTwoNodeGroups(transfermode: String) throws {
        let fixture = try Fixture()
        defer { fixture.close() }
        let manager = try fixture.managerProxy
        let producerGroup = try #require(try manager.attribute("create_nodegroup").invoke([], ["name": .string("producer")]).proxy)
        let relayGroup = try #require(try manager.attribute("create_nodegroup").invoke([], ["name": .string("relay")]).proxy)
        #expect(producerGroup.address != relayGroup.address)

        let rows = 64, channels = 4
        let device = try #require(try producerGroup.attribute("create_node").invoke([.string("NumpyDeviceBuffer")], ["name": .string("dev")]).proxy)
        _ = try device.attribute("configure").invoke([], ["nb_channel": .int(channels), "chunksize": .int(16), "sample_interval": .double(0.0002),
                                                         "buffer": .ndarray(Self.buffer(rows: rows, channels: channels))])
        _ = try device.attribute("output").attribute("configure").invoke([], ["protocol": .string("tcp"), "transfermode": .string(transfermode),
                                                                              "buffer_size": .int(4096)])
        _ = try device.attribute("initialize").invoke()

        let relay = try #require(try relayGroup.attribute("create_node").invoke([.string("StreamConverter")], ["name": .string("relay")]).proxy)
        _ = try relay.attribute("configure").invoke()
        // The relay's process fetches the producer's params itself (a proxy to another process).
        _ = try relay.attribute("input").attribute("connect").invoke([device.attribute("output").wireValue])
        _ = try relay.attribute("output").attribute("configure").invoke([], ["protocol": .string("tcp"), "transfermode": .string("plaindata")])
        _ = try relay.attribute("initialize").invoke()

        let input = InputStream()
        try input.connect(to: relay.attribute("output").wireValue, server: nil)
        _ = try relay.attribute("start").invoke()
        // Give every subscription time to reach its publisher (polls, no sleeps for timing).
        let relayOutputParams = try relay.attribute("output").attribute("params").value()
        #expect(relayOutputParams["dtype"] == .string("int32"))
        _ = try device.attribute("start").invoke()

        var samples: [Int32] = []
        var index = 0
        var first: Int?
        while index < 10 * rows {
            let chunk = try input.receive(timeoutMs: 10_000)
            if first == nil { first = chunk.index - chunk.rows }
            index = chunk.index
            samples += try #require(chunk.data).toNDArray().values(as: Int32.self)
        }
        _ = try device.attribute("stop").invoke()
        _ = try relay.attribute("stop").invoke()
        // Every sample from the first one received on is present and in order.
        let start = try #require(first)
        for (k, value) in samples.enumerated() {
            let s = (start + k / channels) % rows, c = k % channels
            guard value == Int32(s * 100 + c) else { Issue.record("sample \(start + k / channels) channel \(c) is \(value)"); break }
        }
        #expect(input.statistics.samplesLost == 0)
        #expect(try relay.attribute("running").invoke().value == .bool(false))
        #expect(try manager.attribute("list_nodegroups").invoke().value?.arrayValue?.count == 2)
    }

    @Test func killedNodeGroupIsReportedAndOthersKeepWorking() throws {
        let fixture = try Fixture()
        defer { fixture.close() }
        let manager = try fixture.managerProxy
        let doomed = try #require(try manager.attribute("create_nodegroup").invoke([], ["name": .string("doomed")]).proxy)
        let survivor = try #require(try manager.attribute("create_nodegroup").invoke([], ["name": .string("survivor")]).proxy)
        let killedAt = monotonicSeconds()
        try #require(fixture.manager.defaultHost.childCount == 2)
        try killChild(named: "doomed", fixture)
        while fixture.manager.deadNodeGroups.isEmpty && monotonicSeconds() - killedAt < 5 { sleepSeconds(0.02) }
        let reportedAfter = monotonicSeconds() - killedAt
        #expect(fixture.manager.deadNodeGroups.first == doomed)
        #expect(reportedAfter < 1.5, "reported after \(reportedAfter) s")
        #expect(try survivor.attribute("list_node_types").invoke().value?.arrayValue?.contains(.string("NumpyDeviceBuffer")) == true)
        #expect(try manager.attribute("list_nodegroups").invoke().value?.arrayValue?.count == 1)
    }

    func killChild(named name: String, _ fixture: Fixture) throws {
        // The Host knows its children's pids through their spawners.
        let pid = try #require(fixture.manager.defaultHost.childPid(named: name))
        kill(pid, SIGKILL)
    }

    @Test func closingTheManagerLeavesNoProcessBehind() throws {
        for _ in 0..<20 {
            let fixture = try Fixture()
            let manager = try fixture.managerProxy
            _ = try manager.attribute("create_nodegroup").invoke([], ["name": .string("a")])
            let pids = fixture.manager.defaultHost.childPids
            #expect(pids.count == 1)
            _ = try manager.attribute("close").invoke()
            fixture.close()
            for pid in pids { #expect(kill(pid, 0) != 0, "child \(pid) still exists") }
        }
    }
}
