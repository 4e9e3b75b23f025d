"""A Python manager written with the spec peer (specpeer.RPCClient / proxies) drives the Swift
`pyacq-host` (PROTOCOL.md §5, §7.3-§7.5, §14.1): node groups in spawned `pyacq-nodegroup`
processes, a NumpyDeviceBuffer read sample by sample by a spec-peer InputStream, log
forwarding, a killed child reported to the manager, children of a vanished manager cleaned up.

Needs `make lib` (build/bin/pyacq-host, build/bin/pyacq-nodegroup).
"""

import os
import signal
import time

import pytest

from graph_support import (PY_NODEGROUP_CHILD, ManagerPeer, RampChecker, host_proxy, nodegroup_pids,
                           pid_alive, ramp_buffer, receive_ramp, start_swift_host, unique,
                           wait_gone, wait_until)
from graph_support import require_binaries  # noqa: F401 (autouse fixture)
from specpeer import InputStream, LogServer, RPCClient, RPCServer

ROWS, CHANNELS, CHUNK = 256, 4, 32
LOOPS = 6                      # the device plays its buffer this many times per test
SAMPLE_INTERVAL = 0.0002       # 32-sample chunks every 6.4 ms


@pytest.fixture
def host_proc():
    """A `pyacq-host tcp://127.0.0.1:*`; at the end: terminated, and none of its node group
    processes may be left."""
    host = start_swift_host()
    yield host
    host.children()
    code = host.terminate()
    try:
        wait_gone(host.known_children, 5.0, "pyacq-nodegroup child")
    except AssertionError as exc:
        leftovers = host.kill_leftovers()
        raise AssertionError(f"{exc}; killed leftovers {leftovers}") from None
    finally:
        RPCClient.close_thread_clients()
    assert code in (0, -signal.SIGTERM), f"pyacq-host exited with {code}"


@pytest.fixture
def host(host_proc):
    return host_proxy(host_proc.address)


@pytest.fixture
def log_server():
    server = LogServer()
    server.run_in_thread()
    yield server
    server.close()


@pytest.fixture
def manager_server():
    """A spec-peer RPCServer serving a `manager` object in a thread."""
    assert RPCServer.local_server() is None
    server = RPCServer()
    manager = ManagerPeer()
    server["manager"] = manager
    thread = server.run_in_thread()
    server.manager = manager
    yield server
    server.close()
    thread.join(5)


def manager_proxy(server):
    """A proxy (ProxyRef) to the server's `manager`, as a client elsewhere would pass it."""
    return server.get_proxy(server["manager"])


# ------------------------------------------------------------------ streams

@pytest.mark.parametrize("transfermode", ["plaindata", "sharedmem"])
def test_numpy_device_buffer_in_swift_nodegroup(host_proc, host, log_server, transfermode):
    name = unique()
    nodegroup = host.create_nodegroup(name, manager=None, log_addr=log_server.address.encode(),
                                      log_level=20)
    assert nodegroup._proxy_ref.rpc_addr.startswith("tcp://127.0.0.1:")
    assert "NumpyDeviceBuffer" in nodegroup.list_node_types()
    pids = nodegroup_pids(name)
    assert len(pids) == 1 and pids[0] in host_proc.children(), (pids, host_proc.children())

    device = nodegroup.create_node("NumpyDeviceBuffer", name="dev")
    device.configure(nb_channel=CHANNELS, sample_interval=SAMPLE_INTERVAL, chunksize=CHUNK,
                     buffer=ramp_buffer(ROWS, CHANNELS))
    stream_kw = {"protocol": "tcp", "interface": "127.0.0.1", "transfermode": transfermode}
    if transfermode == "sharedmem":
        stream_kw["buffer_size"] = 8 * ROWS
    device.output.configure(**stream_kw)
    device.initialize()
    (listed,) = nodegroup.list_nodes()
    assert device._proxy_ref.same_object(listed)

    params = device.output.params._get_value()
    assert params["dtype"] == "int32" and params["shape"] == [-1, CHANNELS]
    assert params["transfermode"] == transfermode and isinstance(params["port"], str)
    assert params["sample_rate"] == pytest.approx(1 / SAMPLE_INTERVAL)
    # Same stream through the dict-like `outputs`.
    assert device.outputs["signals"].params._get_value()["port"] == params["port"]

    stream = InputStream()
    stream.connect(params)
    try:
        device.start()
        assert device.running() is True
        checker = receive_ramp(stream, RampChecker(ROWS, CHANNELS), LOOPS * ROWS)
        device.stop()
        assert device.running() is False
    finally:
        stream.close()
    assert checker.first < ROWS, f"first chunk received only at sample {checker.first}"
    assert checker.samples >= (LOOPS - 1) * ROWS

    # The child's own log records reach the LogServer (log_addr handed over as bytes).
    record = log_server.wait_for(lambda r: r.get("process_name") == name, timeout=5.0)
    assert record is not None, [r.get("msg") for r in log_server.records]
    assert record["levelno"] >= 20 and isinstance(record["msg"], str)

    device.close()
    assert device.closed() is True
    host.close_all_nodegroups()
    wait_gone(pids, 5.0, "closed node group")


def test_nodegroup_surface_and_close(host_proc, host):
    name = unique()
    nodegroup = host.create_nodegroup(name)
    with pytest.raises(Exception, match="KeyError"):
        host.create_nodegroup(name)
    device = nodegroup.create_node("NumpyDeviceBuffer", name="dev")
    device.configure(nb_channel=2, chunksize=16, sample_interval=0.001,
                     buffer=ramp_buffer(32, 2))
    device.output.configure(protocol="tcp", interface="127.0.0.1")
    device.initialize()
    nodegroup.start_all_nodes()
    assert device.running() is True
    nodegroup.stop_all_nodes()
    assert device.running() is False
    pids = nodegroup_pids(name)
    assert len(pids) == 1
    nodegroup.close(_sync="off")
    wait_gone(pids, 5.0, "node group after close()")


def test_child_stdout_is_forwarded_to_the_log_server(host_proc, host, log_server):
    """The Swift host forwards a child's stdout lines as "[<name>.stdout] <line>" records:
    here the child is the Python node group peer, whose bootstrap serves `echo.say`."""
    name = unique()
    nodegroup = host.create_nodegroup(name, log_addr=log_server.address.encode(), log_level=20,
                                      executable=PY_NODEGROUP_CHILD)
    assert nodegroup.list_node_types() == ["NumpyDeviceBuffer", "StreamConverter"]
    client = RPCClient.get_client(nodegroup._proxy_ref.rpc_addr)
    client.proxy(client.get_item("echo")).say("hello from the child")
    record = log_server.wait_for(lambda r: r.get("msg") == f"[{name}.stdout] hello from the child",
                                 timeout=5.0)
    assert record is not None, [r.get("msg") for r in log_server.records]
    assert record["levelno"] == 20
    host.close_all_nodegroups()


def test_close_is_answered_before_the_child_exits(host_proc, host):
    """§5.3 / §7.6: `close` (1 s timeout) must get its `True` reply: a spawner waiting out the
    timeout for every child makes close_all_nodegroups take ~1 s per node group (and an
    unmodified pyacq Host raises TimeoutError)."""
    names = [unique() for _ in range(3)]
    groups = [host.create_nodegroup(n) for n in names]
    pids = [nodegroup_pids(n)[0] for n in names]
    for group in groups[:2]:
        client = RPCClient.get_client(group._proxy_ref.rpc_addr)
        assert client.close_server(timeout=1.0) is True
    wait_gone(pids[:2], 2.0, "closed node group")
    for _ in range(3):
        host.create_nodegroup(unique())
    started = time.monotonic()
    host.close_all_nodegroups()
    assert time.monotonic() - started < 1.0, "close_all_nodegroups waited for close timeouts"


# ------------------------------------------------------------------ process supervision

def test_killed_nodegroup_is_reported_to_the_manager(host_proc, host, manager_server):
    name = unique()
    nodegroup = host.create_nodegroup(name, manager=manager_proxy(manager_server))
    (pid,) = nodegroup_pids(name)
    assert pid in host_proc.children()

    killed_at = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    manager = manager_server.manager
    assert manager.event.wait(5.0), "nodegroup_closed was never called"
    reported_at, reported = manager.closed[0]
    assert reported_at - killed_at <= 1.5, f"reported {reported_at - killed_at:.2f} s after kill"
    assert reported.same_object(nodegroup._proxy_ref)

    # The host keeps serving: a new node group works.
    other = host.create_nodegroup(unique())
    assert "StreamConverter" in other.list_node_types()
    assert len(manager.closed) == 1
    host.close_all_nodegroups()


def test_host_closes_children_of_a_vanished_manager(host_proc, host, manager_server):
    name = unique()
    host.create_nodegroup(name, manager=manager_proxy(manager_server))
    bystander = unique()
    host.create_nodegroup(bystander)          # no manager: must survive
    (pid,) = nodegroup_pids(name)
    (bystander_pid,) = nodegroup_pids(bystander)

    manager_server.close()                    # the manager is gone
    started = time.monotonic()
    wait_until(lambda: not pid_alive(pid), 8.0, 0.05, "child of the vanished manager still runs")
    assert time.monotonic() - started < 8.0
    assert pid_alive(bystander_pid)
    assert host_proc.alive()
    assert "NumpyDeviceBuffer" in host.create_nodegroup(unique()).list_node_types()
    host.close_all_nodegroups()
    wait_gone([bystander_pid], 5.0)


def test_children_exit_with_their_host(host_proc, host):
    """Terminating pyacq-host (SIGTERM, no close_all_nodegroups) leaves no node group behind."""
    names = [unique(), unique()]
    for name in names:
        host.create_nodegroup(name)
    pids = [nodegroup_pids(n)[0] for n in names]
    assert sorted(pids) == host_proc.children()
    host_proc.terminate()
    wait_gone(pids, 3.0, "node group of a terminated host")
    assert all(nodegroup_pids(n) == [] for n in names)
