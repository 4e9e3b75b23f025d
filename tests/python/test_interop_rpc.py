"""RPC interop (PROTOCOL §1-§6, §8.3) between libpyacq (Swift, through the Python binding) and
the pure-Python spec peer (tests/python/specpeer), in both directions:

(a) the spec-peer RPC client (msgpack and json) drives Swift objects published by a libpyacq
    RPCServer: streams, values, the `pyacq.core.stream` module, remote errors;
(b) libpyacq's RPCClient / ObjectProxy drive a spec-peer RPCServer (rpc_testobjects);
(c) reentrant round trips: a Swift InputStream connects to an OutputStream served by the
    calling thread's own spec-peer server while that thread waits; a libpyacq InputStream
    connects through pyacq_input_connect_proxy to a spec-peer OutputStream; data is checked
    sample by sample;
(d) clock offset (§6.3) against the Swift server's `time` module.

Everything binds 127.0.0.1; waits are bounded polls, never sleeps.
"""

import datetime
import math
import threading
import time

import numpy as np
import pytest

import libpyacq
from binding_support import TIMEOUT, chunk
from specpeer.logging_peer import measure_clock_diff as peer_measure_clock_diff
from specpeer.rpc_client import Proxy, RemoteCallError, RPCClient as PeerClient
from specpeer.rpc_serializer import ProxyRef
from specpeer.rpc_server import RPCServer as PeerServer
from specpeer.rpc_testobjects import Blocker, Echo
from specpeer.streams import InputStream as PeerInput, OutputStream as PeerOutput

TIMEOUT_MS = int(TIMEOUT * 1000)
SERIALIZERS = ["msgpack", "json"]


@pytest.fixture
def no_local_server():
    assert PeerServer.local_server() is None, "a previous test left a spec-peer server on this thread"
    yield
    assert PeerServer.local_server() is None


@pytest.fixture
def swift_server():
    """A libpyacq RPCServer with a configured output, an unconnected input and a value."""
    server = libpyacq.RPCServer("tcp://127.0.0.1:*")
    output = libpyacq.OutputStream(name="out")
    output.configure(protocol="tcp", interface="127.0.0.1", dtype="float32", shape=[-1, 3])
    stream = libpyacq.InputStream(name="inp")
    server.publish("out", output)
    server.publish("inp", stream)
    server["info"] = {"label": "swift", "gains": np.arange(4, dtype="int16"), "raw": b"\x00\xff"}
    server.output, server.input = output, stream
    try:
        yield server
    finally:
        server.close()
        stream.close()
        output.close()


@pytest.fixture(params=SERIALIZERS)
def peer_client(request, swift_server):
    client = PeerClient(swift_server.address, serializer=request.param)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def peer_server(no_local_server):
    """A spec-peer RPCServer on its own thread serving rpc_testobjects."""
    server = PeerServer(register=False)
    server["echo"] = Echo()
    server["blocker"] = Blocker()
    server["numbers"] = [1, 2.5, "three", None]
    server.allow_import("specpeer.rpc_testobjects")
    thread = server.run_in_thread()
    try:
        yield server
    finally:
        server["blocker"].release()
        server.close()
        thread.join(5)
        assert not thread.is_alive()


def peer_recv(stream, timeout_ms=TIMEOUT_MS):
    assert stream.poll(timeout_ms), "no chunk within %d ms" % timeout_ms
    return stream.recv()


# ------------------------------------------------------------------ (a) spec-peer client -> Swift server

def test_peer_gets_published_streams_and_values(peer_client, swift_server):
    ref = peer_client.get_item("out")
    assert isinstance(ref, ProxyRef) and ref.rpc_addr == swift_server.address
    assert ref.type_str == "<class 'pyacq.core.stream.outputstream.OutputStream'>"
    assert peer_client.get_value(ref.with_attributes("params")) == swift_server.output.params
    proxy = Proxy(ref, peer_client)
    assert proxy.params._get_value()["port"] == swift_server.output.params["port"]
    # §4.1: another get_item gives another reference to the same object
    again = peer_client.get_item("out")
    assert again.obj_id == ref.obj_id and again.ref_id != ref.ref_id
    assert "InputStream" in peer_client.get_item("inp").type_str
    info = peer_client.get_item("info")  # a plain value: by value under "auto"
    assert info["label"] == "swift" and info["raw"] == b"\x00\xff"
    np.testing.assert_array_equal(info["gains"], np.arange(4, dtype="int16"))
    assert info["gains"].dtype == np.dtype("int16")
    assert "RPCServer" in peer_client.get_item("self").type_str or isinstance(peer_client.get_item("self"), ProxyRef)


def test_peer_sends_into_a_swift_output_and_receives_from_a_swift_input(peer_client, swift_server):
    output = Proxy(peer_client.get_item("out"), peer_client)
    reader = PeerInput()
    reader.connect(output.params._get_value())
    try:
        swift_server.output.wait_for_subscribers(1, timeout=TIMEOUT)
        for k in range(4):
            data = chunk("float32", 5 + k, start=10 * k)
            output.send(data, 10 * k + 5 + k)  # an ndarray argument travels as a marker map
            index, got = peer_recv(reader)
            assert index == 10 * k + 5 + k
            np.testing.assert_array_equal(got, data)
        assert output.last_index._get_value() == 38
    finally:
        reader.close()

    # the published (unconnected) Swift input is connected remotely to a spec-peer output
    producer = PeerOutput(detect_subscribers=True)
    producer.configure(protocol="tcp", interface="127.0.0.1", dtype="int32", shape=[-1, 2])
    try:
        remote_input = Proxy(peer_client.get_item("inp"), peer_client)
        assert remote_input.connect(producer.params) is None
        assert producer.wait_for_subscribers(1, TIMEOUT_MS)
        sent = []
        for k in range(3):
            data = chunk("int32", 4, frame_shape=(2,), start=4 * k)
            producer.send(data, index=4 * (k + 1))
            sent.append(data)
        for k in range(3):
            index, got = remote_input.recv(True, TIMEOUT)
            assert index == 4 * (k + 1)
            assert got.dtype == np.dtype("int32") and got.shape == (4, 2)
            for row in range(4):  # sample by sample
                assert list(got[row]) == list(sent[k][row])
        assert remote_input.poll(0) is False
        start = time.monotonic()
        assert remote_input.poll(30) is False  # pyacq's unit: 30 ms, not 30 s
        assert time.monotonic() - start < 3.0
    finally:
        producer.close()


def test_peer_creates_streams_through_the_stream_module(peer_client):
    module = peer_client.import_module("pyacq.core.stream")
    assert isinstance(module, ProxyRef) and module.type_str == "<class 'module'>"
    out_ref = peer_client.call(module.with_attributes("OutputStream"), {"shape": [-1, 2]})
    in_ref = peer_client.call(module.with_attributes("InputStream"))
    assert "OutputStream" in out_ref.type_str and "InputStream" in in_ref.type_str
    output, stream = Proxy(out_ref, peer_client), Proxy(in_ref, peer_client)
    output.configure(protocol="tcp", interface="127.0.0.1", dtype="int16", transfermode="plaindata")
    params = output.params._get_value()
    assert params["dtype"] == "int16" and params["shape"] == [-1, 2] and params["port"] != "*"
    assert output.spec._get_value() == {"shape": [-1, 2]}
    # Swift input -> Swift output, both remote; a proxy argument resolves on the server (§3.6)
    stream.connect(out_ref)
    stream.set_buffer(100)
    # the subscription travels asynchronously: send until the first chunk arrives
    data = chunk("int16", 10, frame_shape=(2,))
    for attempt in range(200):
        output.send(data, 10 * (attempt + 1))
        if stream.poll(20):  # milliseconds, as pyacq's InputStream.poll
            break
    index, got = stream.recv(True, TIMEOUT)
    np.testing.assert_array_equal(got, data)
    history = stream.get_data(index - 10, index)
    np.testing.assert_array_equal(history, data)
    output.close()
    stream.close()


@pytest.mark.parametrize("case", ["bad-shape", "missing-name", "no-attribute", "import", "unconnected",
                                  "not-an-array", "wrong-dtype", "deleted"])
def test_peer_sees_remote_errors_with_type_names(peer_client, case):
    output = peer_client.get_item("out")
    expected = {"bad-shape": "ValueError", "missing-name": "KeyError", "no-attribute": "AttributeError",
                "import": "ModuleNotFoundError", "unconnected": "RuntimeError", "not-an-array": "TypeError",
                "wrong-dtype": "TypeError", "deleted": "KeyError"}[case]
    calls = {
        "bad-shape": lambda: peer_client.call(output.with_attributes("configure"), shape=[0, -3]),
        "missing-name": lambda: peer_client.get_item("nope"),
        "no-attribute": lambda: peer_client.call(output.with_attributes("nosuch")),
        "import": lambda: peer_client.import_module("os"),
        "unconnected": lambda: peer_client.call(peer_client.get_item("inp").with_attributes("recv"), True, 0.01),
        "not-an-array": lambda: peer_client.call(output.with_attributes("send"), [1.0, 2.0, 3.0]),
        "wrong-dtype": lambda: peer_client.call(output.with_attributes("send"), np.zeros((2, 3), "int16")),
    }
    if case == "deleted":
        fresh = peer_client.get_item("inp")
        peer_client.delete(fresh)
        # other references keep the object; the deleted ref id is gone
        calls[case] = lambda: peer_client.delete(fresh)
    with pytest.raises(RemoteCallError) as info:
        calls[case]()
    assert info.value.type_name == expected
    assert info.value.lines and info.value.lines[-1].startswith(expected)
    # the server is still fine afterwards
    assert peer_client.ping() == "pong"


# ------------------------------------------------------------------ (b) libpyacq client -> spec-peer server

@pytest.fixture
def lib_client(peer_server):
    client = libpyacq.RPCClient(peer_server.address)
    yield client
    client.close()


VALUES = [0, -1, 2 ** 62, 1.5, float("inf"), "", "héllo ✓", True, False, None, [1, [2, [3]]],
          {"a": {"b": [1, 2.5, None]}}, b"\x00\x01\xff", datetime.datetime(2024, 5, 17, 12, 30, 1, 250000),
          datetime.date(2024, 5, 17)]


def test_libpyacq_client_round_trips_values(lib_client):
    echo = lib_client["echo"]
    assert isinstance(echo, libpyacq.ObjectProxy)
    assert echo._type_str == "<class 'specpeer.rpc_testobjects.Echo'>"
    for value in VALUES:
        if isinstance(value, (bytes, datetime.date)):  # proxied under "auto" (§2.9): ask by value
            assert echo.echo(value, _return_type="value") == value
            assert isinstance(echo.echo(value), libpyacq.ObjectProxy)
            continue
        got = echo.echo(value)
        assert got == value and type(got) is type(value), (value, got)
    assert math.isnan(echo.echo(float("nan")))
    assert echo.echo((1, 2)) == [1, 2]  # tuples come back as lists
    assert echo.add(2, 3) == 5 and echo.add("a", "b") == "ab"
    assert echo.echo_kw(1, 2, a=3, b=[4]) == [[1, 2], {"a": 3, "b": [4]}]
    assert lib_client["numbers"] == [1, 2.5, "three", None]
    assert echo.type_name(np.float32(1.5)) == "float" and echo.echo(np.int64(7)) == 7


@pytest.mark.parametrize("dtype", ["float32", "float64", "int16", "uint64", "bool", "complex64", ">f4", "<U3",
                                   "|S4", "datetime64[ms]", "structured"])
def test_libpyacq_client_round_trips_arrays(lib_client, dtype):
    echo = lib_client["echo"]
    if dtype == "structured":
        array = np.zeros(3, [("index", "<i8"), ("xyz", "<f4", (3,))])
        array["index"] = [1, 2, 3]
        array["xyz"] = np.arange(9).reshape(3, 3)
    elif dtype in ("<U3", "|S4"):
        array = np.array([["a", "bc"], ["def", ""]], dtype=dtype)
    else:
        array = (np.arange(12).reshape(4, 3) % 5).astype(dtype)
    for sent in (array, array[::-1], array.T if array.ndim == 2 else array):  # any layout: sent in C order
        got = echo.echo(sent)
        assert isinstance(got, np.ndarray)
        assert got.dtype == sent.dtype and got.shape == sent.shape
        assert got.tobytes() == np.ascontiguousarray(sent).tobytes()
    made = echo.array(6, "int16")
    np.testing.assert_array_equal(made, np.arange(6, dtype="int16"))
    assert made.dtype == np.dtype("int16")
    assert echo.type_name(array) == "ndarray"


def test_libpyacq_proxies_attributes_items_and_identity(lib_client, peer_server):
    echo = lib_client["echo"]
    assert echo.params._get_value() == {"shape": [-1, 2], "dtype": "float32", "fill": None}
    assert echo.params._attributes == ("params",)  # deferred: nothing was sent to build it
    assert echo[3] == "item:3" and len(echo) == 7
    # identity (§4.1): same address and obj_id, whatever the ref id and attribute path
    again = lib_client.get_item("echo")
    assert again == echo and hash(again) == hash(echo) and again._ref_id != echo._ref_id
    assert echo.params == echo and echo != lib_client["blocker"]
    assert echo.is_self(echo) is True and echo.is_self(lib_client["blocker"]) is False
    # fire-and-forget setattr / setitem-like calls, then a sync call on the same connection
    echo.stored = {"x": 1}
    assert echo.stored._get_value() == {"x": 1}
    echo.store(np.arange(3), _sync="off")
    np.testing.assert_array_equal(echo.stored._get_value(), np.arange(3))
    # nested unencodable values come back as proxies
    mixed = echo.mixed()
    assert mixed[0] == 1 and isinstance(mixed[1], libpyacq.ObjectProxy) and isinstance(mixed[2], libpyacq.ObjectProxy)
    assert mixed[1].get() == "inner"
    raw = echo.raw_bytes()
    assert isinstance(raw, libpyacq.ObjectProxy) and raw._get_value() == b"xyz"
    assert echo.raw_bytes(_return_type="value") == b"xyz"
    proxied = echo.add(1, 2, _return_type="proxy")
    assert isinstance(proxied, libpyacq.ObjectProxy) and proxied._get_value() == 3
    # a module import, objects created remotely, and _delete
    module = lib_client._import("specpeer.rpc_testobjects")
    assert module._type_str == "<class 'module'>"
    fresh = module.Echo()
    assert isinstance(fresh, libpyacq.ObjectProxy) and fresh.add(20, 22) == 42
    count = peer_server.object_count()
    fresh._delete()
    assert peer_server.object_count() == count - 1
    with pytest.raises(libpyacq.RemoteCallError) as info:
        fresh.add(1, 1)
    assert info.value.type_name == "KeyError" and isinstance(info.value, KeyError)


def test_libpyacq_futures_and_timeouts(lib_client, peer_server):
    echo = lib_client["echo"]
    futures = [echo.add(k, k, _sync="async") for k in range(5)]
    assert [f.result(TIMEOUT) for f in futures] == [0, 2, 4, 6, 8]
    assert all(f.done() for f in futures)
    failing = echo.fail("async boom", _sync="async")
    assert isinstance(failing.exception(TIMEOUT), ValueError)
    with pytest.raises(libpyacq.RemoteCallError, match="async boom"):
        failing.result(TIMEOUT)

    blocker = lib_client["blocker"]
    pending = blocker.wait(10.0, _sync="async")
    assert pending.done() is False
    with pytest.raises(libpyacq.PyAcqTimeout):
        pending.result(0.05)
    with pytest.raises(TimeoutError):  # a sync call that times out (the server is busy)
        echo.add(1, 1, _timeout=0.05)
    errors = []
    waiter = threading.Thread(target=lambda: errors.append(_wrong_thread(pending)))
    waiter.start()
    waiter.join(TIMEOUT)
    assert errors and isinstance(errors[0], libpyacq.StateError)
    peer_server["blocker"].release()  # the local object: the server thread is busy in wait()
    assert pending.result(TIMEOUT) is True
    assert echo.add(2, 2) == 4  # the late reply to the timed-out call was dropped
    assert echo.add(3, 3, _sync="off") is None


def _wrong_thread(future):
    try:
        future.result(0.01)
    except Exception as exc:  # noqa: BLE001
        return exc
    return None


def test_libpyacq_client_sees_remote_errors(lib_client):
    echo = lib_client["echo"]
    with pytest.raises(libpyacq.RemoteCallError) as info:
        echo.fail("bad value")
    error = info.value
    assert isinstance(error, ValueError) and isinstance(error, libpyacq.RemoteError)
    assert error.type_name == "ValueError" and error.type_str == "ValueError"
    assert error.status_name == "PYACQ_ERR_REMOTE" and "bad value" in str(error)
    assert any("ValueError: bad value" in line for line in error.traceback)
    with pytest.raises(KeyError):
        lib_client["missing"]
    with pytest.raises(libpyacq.RemoteCallError) as info:
        echo.no_such_method()
    assert info.value.type_name == "AttributeError" and isinstance(info.value, AttributeError)
    with pytest.raises(libpyacq.RemoteCallError) as info:
        echo.add(1, "x")
    assert info.value.type_name == "TypeError"
    with pytest.raises(libpyacq.RemoteCallError) as info:
        lib_client._import("os")  # the spec peer whitelists imports
    assert info.value.type_name == "ModuleNotFoundError"
    # values without a wire form are refused locally, with a clear message
    with pytest.raises(libpyacq.InvalidArgument, match="cannot be sent over RPC"):
        echo.echo({1, 2})
    with pytest.raises(libpyacq.InvalidArgument, match="_sync"):
        echo.echo(1, _sync="later")
    assert echo.add(1, 1) == 2
    with pytest.raises(libpyacq.PyAcqTimeout):
        libpyacq.RPCClient("tcp://127.0.0.1:1", timeout=0.2)


def test_server_close_is_seen_by_libpyacq_clients(no_local_server):
    server = PeerServer(register=False)
    server["echo"] = Echo()
    thread = server.run_in_thread()
    client = libpyacq.RPCClient(server.address)
    echo = client["echo"]
    assert echo.add(1, 1) == 2
    client.close_server()
    thread.join(5)
    assert server.closed and not thread.is_alive()
    with pytest.raises(libpyacq.PyAcqTimeout):  # nobody answers any more
        libpyacq.RPCClient(server.address, timeout=0.1)


# ------------------------------------------------------------------ (c) reentrancy and remote connect

@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_swift_input_connects_back_to_the_waiting_callers_server(no_local_server, swift_server, serializer):
    """§4.6/§8.3: the spec peer (a client on this thread, which also runs a spec-peer
    server) asks the Swift input to connect to a spec-peer OutputStream. The argument is a
    proxy to this thread's server, so the Swift side fetches its params over RPC (new DEALER,
    ping loop, get_obj ["params"] by value) while this thread waits for the reply to
    `connect` and serves its own server in the meantime."""
    own = PeerServer()  # served by this thread only, from inside the client's wait loop
    producer = PeerOutput(detect_subscribers=True)
    producer.configure(protocol="tcp", interface="127.0.0.1", dtype="float64", shape=[-1, 4])
    client = PeerClient(swift_server.address, serializer=serializer)
    try:
        assert PeerServer.local_server() is own
        handled = own.requests_handled
        remote_input = Proxy(client.get_item("inp"), client)
        assert remote_input.connect(producer) is None  # the serializer proxies `producer` via `own`
        assert own.requests_handled > handled  # the Swift side did call back
        assert swift_server.input.params["port"] == producer.params["port"]  # read back from the library
        assert producer.wait_for_subscribers(1, TIMEOUT_MS)
        index = 0
        sent = []
        for rows in (1, 7, 3, 16):
            data = chunk("float64", rows, frame_shape=(4,), start=index)
            index += rows
            producer.send(data, index=index)
            sent.append(data)
        expected = np.concatenate(sent)
        received = []
        position = 0
        for data in sent:
            got_index, got = swift_server.input.recv(timeout=TIMEOUT)
            position += len(data)
            assert got_index == position
            received.append(np.array(got))
        got = np.concatenate(received)
        assert got.shape == expected.shape
        for row in range(len(expected)):  # sample by sample
            assert list(got[row]) == list(expected[row]), row
        assert swift_server.input.stats["samples_lost"] == 0
    finally:
        client.close()
        producer.close()
        own.close()


def test_libpyacq_input_connects_to_a_peer_output_by_proxy(lib_client, peer_server):
    producer = PeerOutput(detect_subscribers=True)
    producer.configure(protocol="tcp", interface="127.0.0.1", dtype="int16", shape=[-1, 3],
                       compression="blosc-lz4")
    peer_server["peer_out"] = producer
    stream = libpyacq.InputStream()
    try:
        remote = lib_client["peer_out"]
        assert isinstance(remote, libpyacq.ObjectProxy)
        stream.connect(remote)  # pyacq_input_connect_proxy: params fetched by value
        assert stream.params["port"] == producer.params["port"]
        assert stream.params["compression"] == "blosc-lz4"
        assert producer.wait_for_subscribers(1, TIMEOUT_MS)
        total = 0
        for rows in (5, 1, 12):
            data = chunk("int16", rows, start=total)
            total += rows
            producer.send(data, index=total)
            index, got = stream.recv(timeout=TIMEOUT)
            assert index == total
            for row in range(rows):
                assert list(got[row]) == list(data[row])
    finally:
        stream.close()
        producer.close()


def test_libpyacq_remote_input_connects_to_a_local_output(swift_server):
    """A Swift input reached by proxy (through the binding) connects to a local libpyacq output
    given as an argument (sent as its params)."""
    client = libpyacq.RPCClient(swift_server.address)
    remote_input = client["inp"]
    assert isinstance(remote_input, libpyacq.StreamProxy)
    output = libpyacq.OutputStream()
    output.configure(protocol="tcp", interface="127.0.0.1", dtype="uint16", shape=[-1, 2])
    try:
        remote_input.connect(output)
        assert remote_input.params["port"] == output.params["port"]
        output.wait_for_subscribers(1, timeout=TIMEOUT)
        data = chunk("uint16", 6, frame_shape=(2,))
        output.send(data)
        index, got = remote_input.recv(True, TIMEOUT)
        assert index == 6
        np.testing.assert_array_equal(got, data)
        # and a remote input connected to a remote output, both given as proxies
        remote_input.connect(client["out"])
        assert remote_input.params["port"] == swift_server.output.params["port"]
    finally:
        output.close()


# ------------------------------------------------------------------ (d) clock offset

@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_clock_diff_against_the_swift_time_module(swift_server, serializer):
    client = PeerClient(swift_server.address, serializer=serializer)
    try:
        module = client.import_module("time")
        assert module.type_str == "<class 'module'>"
        # both sides read CLOCK_MONOTONIC: the offset is the RPC jitter only
        assert abs(peer_measure_clock_diff(client)) < 0.05
        assert isinstance(client.call(module.with_attributes("time")), float)
    finally:
        client.close()
    lib_client = libpyacq.RPCClient(swift_server.address)
    assert abs(lib_client.measure_clock_diff()) < 0.05
    assert abs(libpyacq.measure_clock_diff(swift_server.address)) < 0.05


def test_clock_diff_of_libpyacq_client_against_the_peer(lib_client):
    assert abs(lib_client.measure_clock_diff()) < 0.05
