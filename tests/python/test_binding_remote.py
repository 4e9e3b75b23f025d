"""libpyacq binding, remote parts: RPCServer / RPCClient / ObjectProxy / Future against the
Swift RPC server, the JSON value codec, InputStream.poll units, and create_manager with node
groups, nodes and stream proxies (PROTOCOL §1-§8, §14.1). Also: bad input raises clear
Python exceptions and spawned pyacq-nodegroup processes never outlive their manager."""

import datetime
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import libpyacq
from binding_support import (HERE, TIMEOUT, chunk, nodegroup_processes, pid_alive, subprocess_env,
                             wait_until)
from libpyacq import rpc

TIMEOUT_MS = int(TIMEOUT * 1000)


# ------------------------------------------------------------------ codec

def test_encode_and_decode_values():
    array = np.arange(6, dtype=">i2").reshape(2, 3)
    tree = rpc.encode_value({"a": array.T, "b": b"\x00\x01", "c": (1, np.float32(2.5), np.int16(3)),
                             "d": datetime.datetime(2020, 1, 2, 3, 4, 5, 6), "e": datetime.date(2020, 1, 2),
                             "f": np.dtype("float32"), "g": None})
    assert tree["a"]["___type_name___"] == "ndarray" and tree["a"]["dtype"] == ">i2"
    assert tree["a"]["shape"] == [3, 2]
    assert tree["b"] == {"___type_name___": "bytes", "data": "AAE="}
    assert tree["c"] == [1, 2.5, 3]
    assert tree["d"] == {"___type_name___": "datetime", "data": "2020-01-02T03:04:05.000006"}
    assert tree["e"] == {"___type_name___": "date", "data": "2020-01-02"}
    assert tree["f"] == "float32"
    back = rpc.from_json(json.dumps(tree))
    np.testing.assert_array_equal(back["a"], array.T)
    assert back["a"].dtype == np.dtype(">i2") and back["a"].flags.writeable
    assert back["b"] == b"\x00\x01" and back["d"] == datetime.datetime(2020, 1, 2, 3, 4, 5, 6)
    assert back["e"] == datetime.date(2020, 1, 2)
    structured = np.zeros(2, [("index", "<i8"), ("label", "S4")])
    structured["label"] = [b"ab", b"cd"]
    again = rpc.decode_value(rpc.encode_value(structured))
    assert again.dtype == structured.dtype and again.tobytes() == structured.tobytes()
    zero_d = rpc.decode_value(rpc.encode_value(np.float64(3.0) * np.ones(())))
    assert zero_d.shape == () and float(zero_d) == 3.0
    proxy = rpc.from_json(json.dumps({"___type_name___": "proxy", "rpc_addr": "tcp://127.0.0.1:1", "obj_id": 3,
                                      "ref_id": 9, "type_str": "<class 'x'>", "attributes": ["a"]}))
    assert isinstance(proxy, libpyacq.ObjectProxy) and proxy._attributes == ("a",)
    assert rpc.encode_value(proxy)["obj_id"] == 3
    for bad in ({1, 2}, object(), {1: "int key"}, np.array([object()])):
        with pytest.raises(libpyacq.InvalidArgument):
            rpc.encode_value(bad)


def test_input_poll_takes_milliseconds_as_pyacq():
    output = libpyacq.OutputStream()
    output.configure(protocol="tcp", interface="127.0.0.1", dtype="float32", shape=[-1, 2])
    stream = libpyacq.InputStream()
    try:
        stream.connect(output)
        output.wait_for_subscribers(1, timeout=TIMEOUT)
        start = time.monotonic()
        assert stream.poll(30) is False  # 30 ms, not 30 s
        assert 0.02 <= time.monotonic() - start < 3.0
        output.send(chunk("float32", 4, frame_shape=(2,)))
        assert stream.poll(TIMEOUT_MS) is True
        assert stream.poll(0) is True
        assert stream.recv(timeout=TIMEOUT)[0] == 4  # recv's timeout stays in seconds
        with pytest.raises(libpyacq.InvalidArgument, match="milliseconds"):
            stream.poll(-1)
    finally:
        stream.close()
        output.close()


# ------------------------------------------------------------------ Swift server, binding client

@pytest.fixture
def served():
    server = libpyacq.RPCServer()
    output = libpyacq.OutputStream(name="signals")
    output.configure(protocol="tcp", interface="127.0.0.1", dtype="int16", shape=[-1, 3])
    stream = libpyacq.InputStream(name="in")
    server.publish("out", output)
    server.publish("in", stream)
    server["config"] = {"rate": 1000.0, "channels": ["a", "b"], "gains": np.arange(3, dtype="float32"),
                        "blob": b"\x01\x02"}
    server["answer"] = 42
    client = libpyacq.RPCClient(server.address)
    try:
        yield server, client, output, stream
    finally:
        client.close()
        server.close()
        stream.close()
        output.close()


def test_server_address_publish_and_lifecycle():
    with libpyacq.RPCServer("tcp://127.0.0.1:*") as server:
        assert server.address.startswith("tcp://127.0.0.1:") and not server.address.endswith("*")
        assert server.running and "RPCServer" in repr(server)
        server.run_lazy()  # pyacq compatibility no-ops
        server.start()
        server["x"] = [1, 2]
        assert server["x"] == [1, 2]
    assert server.closed and not server.running
    server.close()  # idempotent
    with pytest.raises(libpyacq.ClosedError):
        server.publish("y", 1)
    with pytest.raises(libpyacq.PyAcqError):
        libpyacq.RPCServer("tcp://256.0.0.1:*")
    with pytest.raises(libpyacq.InvalidArgument):
        libpyacq.RPCServer().publish("bad", {1, 2})


def test_client_values_streams_and_proxies(served):
    server, client, output, stream = served
    config = client["config"]  # plain values come by value, as pyacq's "auto"
    assert config["rate"] == 1000.0 and config["channels"] == ["a", "b"] and config["blob"] == b"\x01\x02"
    np.testing.assert_array_equal(config["gains"], np.arange(3, dtype="float32"))
    assert client["answer"] == 42
    as_proxy = client.get_item("config")
    assert isinstance(as_proxy, libpyacq.ObjectProxy) and as_proxy._get_value()["rate"] == 1000.0
    remote_out = client["out"]
    assert isinstance(remote_out, libpyacq.StreamProxy)
    assert remote_out._type_str.endswith("OutputStream'>") and remote_out._rpc_addr == server.address
    assert remote_out.params == output.params
    assert remote_out.params._get_value() == output.params  # pyacq spelling
    assert remote_out.last_index._get_value() == 0
    # identity
    assert client["out"] == remote_out and hash(client["out"]) == hash(remote_out)
    assert remote_out != client["in"] and remote_out.params is not None
    assert remote_out.last_index == remote_out  # a deferred attribute designates the same object
    assert "StreamProxy" in repr(remote_out)
    # calls through the proxy act on the local object
    reader = libpyacq.InputStream()
    reader.connect(remote_out)  # pyacq_input_connect_proxy
    try:
        output.wait_for_subscribers(1, timeout=TIMEOUT)
        data = chunk("int16", 5)
        assert remote_out.send(data, 5) is None
        index, got = reader.recv(timeout=TIMEOUT)
        assert index == 5
        np.testing.assert_array_equal(got, data)
        assert output.last_index == 5
    finally:
        reader.close()
    wait_until(lambda: output.subscriber_count == 0, what="the reader's unsubscription")
    # the remote input: connect to the local output (sent as its params), receive by value
    remote_in = client["in"]
    remote_in.connect(output)
    output.wait_for_subscribers(1, timeout=TIMEOUT)
    output.send(chunk("int16", 2, start=5))
    index, got = remote_in.recv(True, TIMEOUT)
    assert index == 7 and got.dtype == np.dtype("int16")
    np.testing.assert_array_equal(got, chunk("int16", 2, start=5))
    assert stream.params["port"] == output.params["port"]


def test_futures_return_types_delete_and_modules(served):
    server, client, output, stream = served
    remote_out = client["out"]
    futures = [remote_out.params._get_value, remote_out.last_index._get_value]
    assert futures[0]()["dtype"] == "int16"
    future = client._import("time").perf_counter(_sync="async")
    assert isinstance(future, libpyacq.Future)
    value = future.result(TIMEOUT)
    assert isinstance(value, float) and future.done()
    assert abs(value - time.perf_counter()) < 1.0  # both CLOCK_MONOTONIC
    assert remote_out.configure(dtype="int16", shape=[-1, 3], _sync="off") is None
    assert isinstance(remote_out.params, dict)
    proxied = client._import("time").time(_return_type="proxy")
    assert isinstance(proxied, libpyacq.ObjectProxy)
    assert abs(proxied._get_value() - time.time()) < 5
    assert isinstance(client._import("time").time(_return_type="value"), float)
    # remote stream creation
    module = client._import("pyacq.core.stream")
    made = module.OutputStream({"shape": [-1, 2]})
    assert isinstance(made, libpyacq.StreamProxy)
    made.configure(protocol="tcp", interface="127.0.0.1", dtype=np.dtype("float64"))
    assert made.params["dtype"] == "float64" and made.params["shape"] == [-1, 2]
    assert made.spec == {"shape": [-1, 2]}
    made.close()
    made._delete()
    with pytest.raises(libpyacq.RemoteCallError) as info:
        made.params
    assert isinstance(info.value, KeyError)
    assert libpyacq.measure_clock_diff(client) < 0.05


def test_remote_errors_from_the_swift_server(served):
    server, client, output, stream = served
    remote_out = client["out"]
    with pytest.raises(libpyacq.RemoteCallError) as info:
        remote_out.configure(shape=[0, 3])
    assert info.value.type_name == "ValueError" and isinstance(info.value, ValueError)
    assert "shape" in info.value.remote_message and info.value.traceback
    with pytest.raises(libpyacq.RemoteCallError) as info:
        remote_out.no_such_method()
    assert info.value.type_name == "AttributeError"
    with pytest.raises(KeyError):
        client["nothing"]
    with pytest.raises(libpyacq.RemoteCallError) as info:
        client["in"].recv(True, 0.01)
    assert info.value.type_name == "RuntimeError" and "not connected" in str(info.value)
    with pytest.raises(libpyacq.RemoteCallError) as info:
        remote_out.send([[1, 2, 3]])
    assert info.value.type_name == "TypeError"
    with pytest.raises(libpyacq.RemoteCallError) as info:
        client._import("subprocess")
    assert info.value.type_name == "ModuleNotFoundError"
    with pytest.raises(libpyacq.InvalidArgument, match="async"):
        remote_out.send(np.zeros((1, 3), "int16"), _sync="async", _return_type="proxy")
    with pytest.raises(libpyacq.InvalidArgument):
        remote_out.send(np.zeros((1, 3), "int16"), _timeout=-1)
    with pytest.raises(libpyacq.PyAcqTimeout):
        libpyacq.RPCClient("tcp://127.0.0.1:9", timeout=0.1)
    assert remote_out.params["dtype"] == "int16"  # still usable


def test_proxies_and_clients_from_several_threads(served):
    server, client, output, stream = served
    remote_out = client["out"]
    results, errors = [], []

    def work():
        try:
            for _ in range(20):
                results.append(remote_out.params["port"])
            results.append(libpyacq.RPCClient.get_client(server.address)["answer"])
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10 * TIMEOUT)
    assert not errors
    assert results.count(output.params["port"]) == 80 and results.count(42) == 4


# ------------------------------------------------------------------ managers and node groups

def _play(buffer, total, stream, chunksize):
    """Receives `total` samples from a NumpyDeviceBuffer playing `buffer` in a loop and checks
    them sample by sample (the first chunks may have been sent before the subscription)."""
    received = 0
    first = None
    while received < total:
        index, data = stream.recv(timeout=TIMEOUT)
        assert data.shape == (chunksize, buffer.shape[1])
        start = index - chunksize
        if first is None:
            first = start
        else:
            assert start == first + received, "a chunk was lost"
        rows = np.arange(start, index) % buffer.shape[0]
        for k, row in enumerate(rows):  # sample by sample
            assert list(data[k]) == list(buffer[row]), (index, k)
        received += chunksize
    return first


@pytest.mark.parametrize("mode", ["local", "rpc"])
def test_manager_nodegroup_and_numpy_device_buffer(mode):
    before = set(nodegroup_processes())
    manager = libpyacq.create_manager(mode)
    try:
        assert isinstance(manager, libpyacq.Manager) and mode in repr(manager)
        with_manager = set(nodegroup_processes())  # "rpc": the manager process is one too
        assert len(with_manager - before) == (1 if mode == "rpc" else 0)
        group = manager.create_nodegroup(name="acq_" + mode)
        assert isinstance(group, libpyacq.NodeGroup)
        assert "NumpyDeviceBuffer" in group.list_node_types()
        assert "NumpyDeviceBuffer" in libpyacq.list_node_types()
        spawned = set(nodegroup_processes()) - with_manager
        assert len(spawned) == 1, "no pyacq-nodegroup process was spawned"
        device = group.create_node("NumpyDeviceBuffer", name="dev")
        assert isinstance(device, libpyacq.NodeProxy) and device.name._get_value() == "dev"
        assert group.list_nodes() == [device]
        buffer = (np.arange(160 * 3).reshape(160, 3) * 7 % 1000).astype("int32")
        device.configure(nb_channel=3, sample_interval=0.001, chunksize=20, buffer=buffer)
        assert device.configured() is True and device.initialized() is False
        device.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
        params = device.output.params
        assert params["dtype"] == "int32" and params["shape"] == [-1, 3] and params["sample_rate"] == 1000.0
        assert [c["name"] for c in params["channel_info"]] == ["chan0", "chan1", "chan2"]
        assert device.outputs["signals"] == device.output and list(device.outputs) == ["signals"]
        assert "signals" in device.outputs and len(device.inputs) == 0
        device.initialize()
        stream = libpyacq.InputStream()
        stream.connect(device.output)
        manager.start_all_nodes()
        assert device.running() is True and group.any_node_running() is True
        _play(buffer, 200, stream, 20)
        manager.stop_all_nodes()
        assert device.running() is False
        # restart: indexes start over at 0 (§7.5)
        stream.empty_queue()
        assert device.start(_sync="async").result(TIMEOUT) is None  # call options work here too
        index, _ = stream.recv(timeout=TIMEOUT)
        assert index <= 100
        device.stop(_timeout=TIMEOUT)
        assert device.configure(nb_channel=3, sample_interval=0.001, chunksize=20, buffer=buffer,
                                _timeout=TIMEOUT) is None
        stream.close()
        assert manager.list_nodegroups() == [group]
        group.close()
        wait_until(lambda: not any(pid_alive(pid) for pid in spawned), what="node group exit")
    finally:
        manager.close()
    wait_until(lambda: not (set(nodegroup_processes()) - before), what="no pyacq-nodegroup left")
    assert manager.closed
    with pytest.raises(libpyacq.ClosedError):
        manager.create_nodegroup()


def test_graph_across_two_node_groups_with_a_converter():
    before = set(nodegroup_processes())
    with libpyacq.create_manager("local") as manager:
        source_group = manager.create_nodegroup("source")
        sink_group = manager.create_nodegroup("sink")
        device = source_group.create_node("NumpyDeviceBuffer")
        buffer = np.arange(64 * 2, dtype="float32").reshape(64, 2)
        device.configure(nb_channel=2, sample_interval=0.0005, chunksize=16, buffer=buffer)
        device.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="sharedmem", buffer_size=512)
        device.initialize()
        converter = sink_group.create_node("StreamConverter", name="conv")
        converter.configure()
        converter.input.connect(device.output)  # remote -> remote, by proxy
        assert converter.input.params["transfermode"] == "sharedmem"
        converter.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata",
                                   dtype="float32")
        converter.initialize()
        stream = libpyacq.InputStream()
        stream.connect(converter.outputs["out"])
        sink_group.start_all_nodes()
        source_group.start_all_nodes()
        assert converter.running() and device.running()
        _play(buffer, 160, stream, 16)
        source_group.stop_all_nodes()
        assert not device.running() and converter.running()
        manager.stop_all_nodes()
        assert not converter.running() and not sink_group.any_node_running()
        stream.close()
    wait_until(lambda: not (set(nodegroup_processes()) - before), what="no pyacq-nodegroup left")


def test_bad_input_raises_clear_errors():
    with pytest.raises(libpyacq.InvalidArgument, match="mode"):
        libpyacq.create_manager("bogus")
    before = set(nodegroup_processes())
    manager = libpyacq.create_manager("local")
    try:
        group = manager.create_nodegroup()
        with pytest.raises(libpyacq.RemoteCallError, match="NoSuchNode") as info:
            group.create_node("NoSuchNode")
        assert isinstance(info.value, KeyError)
        with pytest.raises(libpyacq.InvalidArgument):
            group.create_node(libpyacq.Node)
        manager.create_nodegroup(name="dup")
        with pytest.raises(libpyacq.RemoteCallError) as info:
            manager.create_nodegroup(name="dup")
        assert isinstance(info.value, KeyError)
        device = group.create_node("NumpyDeviceBuffer")
        with pytest.raises(ValueError, match="positive"):
            device.configure(nb_channel=-1)
        with pytest.raises(TypeError, match="nb_chanel"):
            device.configure(nb_chanel=2)
        with pytest.raises(ValueError, match="buffer"):
            device.configure(nb_channel=2, chunksize=10, buffer=np.zeros((15, 2), "float32"))
        with pytest.raises(libpyacq.RemoteCallError):
            device.start()  # not initialized
        device.configure(nb_channel=2, sample_interval=0.001, chunksize=10)
        with pytest.raises(libpyacq.RemoteCallError):
            device.output.configure(protocol="carrier-pigeon")
        with pytest.raises(libpyacq.RemoteCallError):
            device.output.configure(shape=[-1, 5])  # conflicts with the node's output spec
        device.output.configure(protocol="tcp", interface="127.0.0.1")
        device.initialize()
        device.start()
        with pytest.raises(RuntimeError, match="running"):
            device.configure(nb_channel=2)
        with pytest.raises(libpyacq.RemoteCallError):
            device.start()  # already running
        with pytest.raises(libpyacq.RemoteCallError):
            device.input  # no input
        with pytest.raises(KeyError):
            device.outputs["nope"]
        with pytest.raises(libpyacq.RemoteCallError) as info:  # imported by the group's Python companion
            group.register_node_type_from_module("no_such_module_for_test", "MyNode")
        assert info.value.type_name == "ImportError" and "no_such_module_for_test" in str(info.value)
        device.stop()
        device.close()
        assert device.closed() is True
        with pytest.raises(TimeoutError):  # the Manager's ping loop fails: a remote TimeoutError
            manager.get_host("tcp://127.0.0.1:9")
    finally:
        manager.close()
    manager.close()  # idempotent
    wait_until(lambda: not (set(nodegroup_processes()) - before), what="no pyacq-nodegroup left")


SCRIPT = r"""
import json, sys
import numpy as np
import libpyacq as pyacq
from binding_support import nodegroup_processes

man = pyacq.create_manager(sys.argv[1], auto_close_at_exit=sys.argv[2] == "1")
ng = man.create_nodegroup()
print(json.dumps(nodegroup_processes()), flush=True)
dev = ng.create_node('NumpyDeviceBuffer')
dev.configure(nb_channel=2, sample_interval=0.001, chunksize=10)
dev.output.configure(protocol='tcp', interface='127.0.0.1', transfermode='plaindata')
dev.initialize()
inp = pyacq.InputStream()
inp.connect(dev.output)
dev.start()
index, data = inp.recv(timeout=5)
print(json.dumps({"index": index, "shape": list(data.shape)}), flush=True)
try:
    ng.create_node('Nope')
except pyacq.RemoteCallError as exc:
    print(exc.type_name, flush=True)
# no stop, no close: the interpreter exits with the node running
"""


@pytest.mark.parametrize("mode, auto_close", [("local", True), ("rpc", True), ("local", False)])
def test_script_exiting_without_close_leaves_no_process(mode, auto_close):
    """Closed at exit by create_manager's atexit hook, or (auto_close_at_exit=False) because
    spawned children exit with their parent."""
    process = subprocess.run([sys.executable, "-c", SCRIPT, mode, "1" if auto_close else "0"],
                             env=subprocess_env(), cwd=HERE,
                             capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr
    lines = process.stdout.splitlines()
    spawned = json.loads(lines[0])
    assert len(spawned) == (2 if mode == "rpc" else 1)  # rpc: the manager process and the node group
    assert json.loads(lines[1])["shape"] == [10, 2] and lines[2] == "KeyError"
    # every process the script spawned is gone, although it closed nothing
    wait_until(lambda: not any(pid_alive(pid) for pid in spawned), what="spawned processes exit")


BUNDLED = r"""
import os, sys
import libpyacq as pyacq
from binding_support import descendants
man = pyacq.create_manager('local')
ng = man.create_nodegroup()
assert ng.list_node_types()
print(pyacq.library_path)
print([os.readlink('/proc/%d/exe' % pid) for pid, comm in descendants() if comm.startswith('pyacq-nodegroup')][0])
man.close()
"""


def test_setup_bundles_the_library_and_pyacq_nodegroup(tmp_path):
    """`setup.py build_py` (what pip install runs) puts libpyacq.so.0 and pyacq-nodegroup in
    the package; an installed package spawns node groups with its own executable."""
    import shutil
    repo = os.path.dirname(os.path.dirname(HERE))
    source = tmp_path / "src"  # a copy: setuptools writes egg-info next to setup.py
    shutil.copytree(os.path.join(repo, "bindings", "python"), source,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "libpyacq.so*", "pyacq-nodegroup"))
    site = tmp_path / "site"
    env = dict(os.environ, LIBPYACQ_BUILD_LIB=os.path.join(repo, "build", "lib"))
    env.pop("LIBPYACQ_BUILD_NODEGROUP", None)
    build = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "-d", str(site)], cwd=str(source),
                           env=env, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    package = site / "libpyacq"
    assert (package / "libpyacq.so.0").is_file() and os.access(package / "pyacq-nodegroup", os.X_OK)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), HERE]))
    env.pop("LIBPYACQ_PATH", None)
    env.pop("PYACQ_NODEGROUP_EXECUTABLE", None)
    result = subprocess.run([sys.executable, "-c", BUNDLED], env=env, cwd=str(tmp_path), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    library, executable = result.stdout.split()
    assert library == str(package / "libpyacq.so.0")
    assert executable == str(package / "pyacq-nodegroup")
