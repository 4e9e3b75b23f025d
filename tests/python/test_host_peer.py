"""The Python Host peer (specpeer.host_peer, PROTOCOL.md §7.3) driven by a spec-peer manager and
by the Swift Manager: node groups in Swift `pyacq-nodegroup` children and in Python
`specpeer.nodegroup_peer` children, a mixed-language graph, child death reported to the
manager, and the CLI contract (`Running server at: <address>`, usage error, stdin EOF).

Needs `make lib` (build/bin/pyacq-nodegroup).
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from graph_support import (HERE, NODEGROUP_EXE, ManagerPeer, RampChecker, host_proxy, nodegroup_pids,
                           pid_alive, ramp_buffer, receive_ramp, start_python_host, unique,
                           wait_gone, wait_until)
from graph_support import require_binaries  # noqa: F401 (autouse fixture)
from specpeer import InputStream, LogServer, RPCClient, RPCServer, spawn_child

ROWS, CHANNELS, CHUNK = 128, 3, 16


@pytest.fixture
def py_host():
    """`python -m specpeer.host_peer tcp://127.0.0.1:* --poll-interval 0.25
    --exit-on-stdin-eof`; stopped by closing its stdin, which must close its children."""
    host = start_python_host(poll_interval=0.25)
    yield host
    host.children()
    host.process.stdin.close()
    try:
        code = host.process.wait(10)
    except subprocess.TimeoutExpired:
        code = host.kill()
    try:
        wait_gone(host.known_children, 5.0, "child of the Python host")
    except AssertionError:
        host.kill_leftovers()
        raise
    finally:
        RPCClient.close_thread_clients()
    assert code == 0, f"host peer exited with {code}"


@pytest.fixture
def host(py_host):
    return host_proxy(py_host.address)


def test_cli_prints_address_and_rejects_bad_addresses():
    env = dict(os.environ, PYTHONPATH=HERE)
    bad = subprocess.run([sys.executable, "-m", "specpeer.host_peer", "tcp://localhost:1"],
                         env=env, capture_output=True, text=True, timeout=20)
    assert bad.returncode == 2 and bad.stdout.startswith("usage:")
    # Runnable as a file path too (no PYTHONPATH), stops at stdin EOF.
    path = os.path.join(HERE, "specpeer", "host_peer.py")
    run = subprocess.run([sys.executable, path, "tcp://127.0.0.1:*", "--exit-on-stdin-eof"],
                         input="", capture_output=True, text=True, timeout=20,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Running server at: tcp://127.0.0.1:"), run.stdout


def test_python_host_spawns_swift_nodegroup(py_host, host):
    log = LogServer()
    log.run_in_thread()
    try:
        name = unique()
        nodegroup = host.create_nodegroup(name, manager=None, log_addr=log.address.encode(),
                                          log_level=20)
        (pid,) = nodegroup_pids(name)
        assert host.child_pids() == {name: pid} and pid in py_host.children()
        assert "NumpyDeviceBuffer" in nodegroup.list_node_types()
        # The NodeGroup got a proxy to the Python Host (§7.3 step 3).
        assert nodegroup.host._get_value()._proxy_ref.rpc_addr == py_host.address
        with pytest.raises(Exception, match="KeyError"):
            host.create_nodegroup(name)

        device = nodegroup.create_node("NumpyDeviceBuffer", name="dev")
        device.configure(nb_channel=CHANNELS, sample_interval=0.0005, chunksize=CHUNK,
                         buffer=ramp_buffer(ROWS, CHANNELS))
        device.output.configure(protocol="tcp", interface="127.0.0.1",
                                transfermode="plaindata")
        device.initialize()
        stream = InputStream()
        stream.connect(device.output.params._get_value())
        try:
            device.start()
            receive_ramp(stream, RampChecker(ROWS, CHANNELS), 4 * ROWS)
            device.stop()
        finally:
            stream.close()
        record = log.wait_for(lambda r: r.get("process_name") == name, timeout=5.0)
        assert record is not None, [r.get("msg") for r in log.records]

        started = time.monotonic()
        host.close_all_nodegroups()
        assert time.monotonic() - started < 1.0
        wait_gone([pid], 3.0, "closed node group")
        assert host.child_pids() == {}
    finally:
        log.close()


def test_mixed_graph_python_device_swift_converter(py_host, host):
    """A NumpyDeviceBuffer in a Python node group feeds a StreamConverter in a Swift node group
    (the Swift process fetches the Python output's params itself, §8.3); read here."""
    py_group = host.create_nodegroup(unique("py"), executable=sys.executable)
    swift_group = host.create_nodegroup(unique("swift"))
    assert py_group.list_node_types() == ["NumpyDeviceBuffer", "StreamConverter"]

    device = py_group.create_node("NumpyDeviceBuffer", name="dev")
    device.configure(nb_channel=CHANNELS, sample_interval=0.0005, chunksize=CHUNK,
                     buffer=ramp_buffer(ROWS, CHANNELS))
    device.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="sharedmem",
                            buffer_size=8 * ROWS)
    device.initialize()
    converter = swift_group.create_node("StreamConverter", name="conv")
    converter.configure()
    converter.input.connect(device.output)
    converter.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
    converter.initialize()
    params = converter.output.params._get_value()
    assert params["dtype"] == "int32" and params["shape"] == [-1, CHANNELS]

    stream = InputStream()
    stream.connect(params)
    try:
        converter.start()
        device.start()
        receive_ramp(stream, RampChecker(ROWS, CHANNELS), 4 * ROWS)
        device.stop()
        converter.stop()
    finally:
        stream.close()
    host.close_all_nodegroups()


def test_killed_child_is_reported_to_the_manager(py_host, host):
    server = RPCServer()
    manager = ManagerPeer()
    server["manager"] = manager
    thread = server.run_in_thread()
    try:
        name = unique()
        nodegroup = host.create_nodegroup(name, manager=server.get_proxy(manager))
        (pid,) = nodegroup_pids(name)
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        assert manager.event.wait(5.0), "nodegroup_closed was never called"
        reported_at, reported = manager.closed[0]
        assert reported_at - killed_at <= 1.5
        assert reported.same_object(nodegroup._proxy_ref)
        assert host.child_pids() == {}
        assert "StreamConverter" in host.create_nodegroup(unique()).list_node_types()
    finally:
        server.close()
        thread.join(5)


def test_swift_manager_drives_python_host(py_host):
    """The Swift Manager (pyacq.core.manager in a pyacq-nodegroup process) adds the Python host,
    creates a node group there, and hears about its death."""
    manager_proc = spawn_child(NODEGROUP_EXE, unique("manager"))
    try:
        client = manager_proc.client
        module = client.import_module("pyacq.core.manager")
        manager = client.proxy(client.call(module.with_attributes("Manager")))
        remote_host = manager.get_host(py_host.address)
        assert remote_host._proxy_ref.rpc_addr == py_host.address
        name = unique()
        nodegroup = manager.create_nodegroup(name=name, host=py_host.address)
        assert nodegroup._proxy_ref.rpc_addr != manager_proc.address
        assert "ChannelSplitter" in nodegroup.list_node_types()
        # The node group knows its manager: the Swift Manager.
        assert nodegroup.manager._get_value()._proxy_ref.rpc_addr == manager_proc.address
        assert len(manager.list_nodegroups()) == 1

        (pid,) = nodegroup_pids(name)
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: manager.list_nodegroups() == [], 3.0, 0.05,
                   "the Swift Manager still lists the killed node group")
    finally:
        manager_proc.stop()
