import PyAcqCore
import PyAcqNodes
import PyAcqProcess
import PyAcqRPC
import PyAcqTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 11: processes that die or hang. Nothing is left behind, readers and callers are told.
@Suite(.serialized) struct FaultTests {
    /// 20 times: a node group producing into a shared ring is SIGKILLed while a reader here is
    /// blocked in receive. The reader is told "producer gone", calls on the group fail fast, and
    /// at the end no shared file and no process is left.
    @Test func sigkilledSharedmemProducersLeaveNothingBehind() throws {
        PyAcqRuntime.bootstrap()
        let server = try RPCServer()
        let manager = Manager(server: server)
        server.startThread(name: "manager")
        defer {
            manager.closeAllNodeGroups()
            manager.defaultHost.stopPolling()
            try? RPCClient.forThread(server.address).closeServer()
            server.join()
        }
        let managerProxy = try #require(try RPCClient.forThread(server.address).getItem("manager").proxy)
        var pids: [Int32] = []
        var rings: [String] = []
        for cycle in 0..<20 {
            let group = try #require(try managerProxy.attribute("create_nodegroup").invoke([], ["name": .string("doomed\(cycle)")]).proxy)
            let device = try #require(try group.attribute("create_node").invoke([.string("NumpyDeviceBuffer")], ["name": .string("dev")]).proxy)
            _ = try device.attribute("configure").invoke([], ["nb_channel": .int(4), "chunksize": .int(16), "sample_interval": .double(0.001)])
            _ = try device.attribute("output").attribute("configure").invoke([], ["protocol": .string("tcp"), "transfermode": .string("sharedmem"),
                                                                                  "buffer_size": .int(1 << 16)])
            _ = try device.attribute("initialize").invoke()
            let input = InputStream()
            try input.connect(to: device.attribute("output").wireValue, server: nil)
            guard case .string(let ring)? = input.params?["shm_id"] else { throw TestFailure("no shm_id") }
            rings.append(ring)
            _ = try device.attribute("start").invoke()
            _ = try input.receive(timeoutMs: 10_000)
            let pid = try #require(manager.defaultHost.childPid(named: "doomed\(cycle)"))
            pids.append(pid)
            kill(pid, SIGKILL)
            let killedAt = monotonicSeconds()
            var told: PyAcqError?
            while told == nil {
                do throws(PyAcqError) { _ = try input.receive(timeoutMs: 5000) } catch { told = error }
            }
            let toldAfter = monotonicSeconds() - killedAt
            #expect(told?.code == .io && told?.message.contains("producer gone") == true, "\(String(describing: told))")
            #expect(toldAfter < 1.5, "reader told after \(toldAfter) s")
            input.close()
            while !manager.deadNodeGroups.contains(group) && monotonicSeconds() - killedAt < 5 { sleepSeconds(0.02) }
            let callStart = monotonicSeconds()
            #expect(throws: PyAcqError.self) { _ = try group.attribute("list_node_types").invoke() }
            #expect(monotonicSeconds() - callStart < 1, "a call to the dead group waited")
        }
        // Other suites may run sharedmem streams meanwhile: check the rings of the killed groups.
        let left = rings.filter { Files.exists($0) || Files.exists(SharedMemory.markerPath(of: $0)) }
        #expect(left.isEmpty, "left behind: \(left)")
        for pid in pids { #expect(kill(pid, 0) != 0, "child \(pid) still exists") }
        #expect(manager.defaultHost.childCount == 0)
    }

    /// A child that never reports its address keeps the Host busy only in the background: pings
    /// are answered meanwhile, and the call fails as soon as the child exits.
    @Test func hostAnswersWhileAChildFailsToReport() throws {
        let script = "/tmp/pyacq-silent-child-\(getpid()).sh"
        try Files.writeText("#!/bin/sh\nsleep 2\nexit 3\n", to: script)
        chmod(script, 0o755)
        defer { unlink(script) }
        let server = try RPCServer()
        let host = Host(name: "h", server: server, pollChildren: false)
        server.startThread(name: "host")
        defer {
            try? RPCClient.forThread(server.address).closeServer()
            server.join()
            _ = host
        }
        let client = try RPCClient.forThread(server.address)
        let hostProxy = try #require(try client.getItem("host").proxy)
        let started = monotonicSeconds()
        let pending = try #require(try hostProxy.attribute("create_nodegroup").call([.string("silent")], ["executable": .string(script)],
                                                                                  mode: .async, timeoutMs: 20_000))
        var pings = 0
        while !pending.isDone {
            _ = try client.ping(timeoutMs: 1000)
            pings += 1
        }
        #expect(pings > 5)
        #expect(throws: PyAcqError.self) { _ = try pending.wait(timeoutMs: 0) }
        do { _ = try pending.wait(timeoutMs: 0) } catch { #expect(error.message.contains("exited with code 3")) }
        #expect(monotonicSeconds() - started < 8, "the spawn waited for its full timeout")
    }
}
