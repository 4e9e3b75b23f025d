"""The RPC spec peer (tests/python/specpeer: rpc_*, logging_peer, bootstrap) against
PROTOCOL.md §0-§7 and vectors/serializer.json, rpc_requests.json, rpc_replies.json,
misc.json.

Environment-specific values (ports, identities, tracebacks, pids) are compared
structurally: vector addresses are substituted by the live ones before a
byte-exact comparison.
"""

import datetime
import json
import logging
import math
import os
import sys
import threading
import types

import msgpack
import numpy as np
import pytest
import zmq

from specpeer import names
from specpeer.bootstrap import SpawnError, TESTS_PYTHON_DIR, spawn_child
from specpeer.logging_peer import LogSender, LogSenderHandler, LogServer, measure_clock_diff
from specpeer.rpc_client import (Proxy, ProtocolError, RemoteCallError, RPCClient,
                                 ServerDisconnected)
from specpeer.rpc_serializer import (JsonSerializer, MsgpackSerializer, ProxyRef,
                                     get_serializer)
from specpeer.rpc_server import RPCServer
from specpeer.rpc_testobjects import Blocker, Echo, PingPong, Unencodable
from vectors_support import load_vectors, skip_module_without_vectors

HERE = os.path.dirname(os.path.abspath(__file__))
RECV_MS = 5000

skip_module_without_vectors()

SERIALIZER = load_vectors("serializer.json")
REQUESTS = load_vectors("rpc_requests.json")
REPLIES = load_vectors("rpc_replies.json")
MISC = load_vectors("misc.json")
CTX = zmq.Context.instance()


# ------------------------------------------------------------------ helpers

def packed(text):
    return msgpack.packb(text, use_bin_type=True)


def swap_address(data, old, new, serializer="msgpack"):
    """Replace a vector's server address inside an encoded frame by the live one
    (`serializer`: "msgpack" re-encodes the str; anything else replaces text)."""
    if serializer == "msgpack":
        return data.replace(packed(old), packed(new))
    return data.replace(old.encode(), new.encode())


def recv_frames(socket, timeout_ms=RECV_MS):
    assert socket.poll(timeout_ms, zmq.POLLIN), "nothing received in time"
    return socket.recv_multipart()


def raw_socket(kind, identity=None):
    socket = CTX.socket(kind)
    socket.setsockopt(zmq.LINGER, 0)
    if identity is not None:
        socket.setsockopt(zmq.IDENTITY, identity)
    return socket


def wait_until(predicate, timeout=5.0, step=None):
    """Bounded polling: `step()` (default: nothing) until predicate() holds."""
    import time
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        if step is not None:
            step()
        else:
            threading.Event().wait(0.005)


@pytest.fixture
def no_local_server():
    assert RPCServer.local_server() is None, "a previous test left a server on this thread"
    yield
    assert RPCServer.local_server() is None


@pytest.fixture
def echo_server(no_local_server):
    server = RPCServer()
    server["echo"] = Echo()
    server["blocker"] = Blocker()
    server["data"] = {"a": 1}
    server.register_module("fake.mod", types.ModuleType("fake.mod"))
    server.allow_import("specpeer.rpc_testobjects")
    thread = server.run_in_thread()
    yield server
    server["blocker"].release()
    server.close()
    thread.join(5)
    assert not thread.is_alive()
    RPCClient.close_thread_clients()


@pytest.fixture(params=["msgpack", "json"])
def client(request, echo_server):
    peer = RPCClient(echo_server.address, serializer=request.param)
    yield peer
    peer.close()


# ------------------------------------------------------------------ serializers (§3)

def vector_value(name):
    """The Python value each serializer.json entry was produced from."""
    values = {
        "none": None,
        "bool_true": True,
        "int_small": 7,
        "int_negative": -3,
        "int_u64_max": 2**64 - 1,
        "int_i64_min": -2**63,
        "float": 0.1,
        "numpy_float32_scalar": np.float32(1.5),
        "numpy_int64_scalar": np.int64(-5),
        "str_unicode": "h\u00e9llo",
        "bytes": b"\x00\x01ab",
        "list": [1, "x", None],
        "tuple": (1, 2),
        "nested_dict": {"a": [1, (2, 3)], "b": {"c": None, "d": 1.5}},
        "ndarray_f32_2x2": np.arange(4, dtype="float32").reshape(2, 2),
        "ndarray_i16_fortran": np.asfortranarray(np.array([[1, -2, 3], [4, 5, -6]], "int16")),
        "ndarray_bool": np.array([True, False, True]),
        "ndarray_bigendian": np.array([1.0, -2.0], ">f4"),
        "ndarray_0d": np.array(3.25),
        "ndarray_structured": np.array([(5, b"ab"), (6, b"cd")],
                                       [("index", "<i8"), ("label", "S4")]),
        "datetime": datetime.datetime(2015, 1, 2, 3, 4, 5, 6),
        "date": datetime.date(2015, 1, 2),
        "proxy": ProxyRef("tcp://127.0.0.1:5678", 3, 12, "<class 'pyacq.core.nodegroup.NodeGroup'>",
                          ["create_node"]),
    }
    return values[name]


ENCODABLE = [v for v in SERIALIZER["values"] if v["name"] != "decode_only_none_wrapper"]


def check_decoded(value, desc):
    """Compare a decoded value with the vectors' description notation."""
    if isinstance(desc, dict) and "$bytes_hex" in desc:
        assert isinstance(value, bytes) and value.hex() == desc["$bytes_hex"]
    elif isinstance(desc, dict) and "$ndarray" in desc:
        nd = desc["$ndarray"]
        assert isinstance(value, np.ndarray)
        assert str(value.dtype) == nd["dtype_str"]
        assert list(value.shape) == nd["shape"]
        assert list(value.strides) == nd["strides"]
        assert not value.flags.writeable
        if nd["dtype_descr"]:
            assert [list(f) for f in value.dtype.descr] == nd["dtype_descr"]
            rows = [[f.decode() if isinstance(f, bytes) else f for f in row]
                    for row in value.tolist()]
            assert rows == nd["values"]
        else:
            assert value.tolist() == nd["values"]
    elif isinstance(desc, dict) and "$datetime" in desc:
        assert type(value) is datetime.datetime and value.isoformat() == desc["$datetime"]
    elif isinstance(desc, dict) and "$date" in desc:
        assert type(value) is datetime.date and value.isoformat() == desc["$date"]
    elif isinstance(desc, dict) and "$proxy" in desc:
        assert value == ProxyRef(**desc["$proxy"])
    elif isinstance(desc, dict):
        assert isinstance(value, dict) and list(value) == list(desc)
        for key in desc:
            check_decoded(value[key], desc[key])
    elif isinstance(desc, list):
        assert isinstance(value, list) and len(value) == len(desc)
        for item, sub in zip(value, desc):
            check_decoded(item, sub)
    else:
        assert type(value) is type(desc) and value == desc


@pytest.mark.parametrize("entry", ENCODABLE, ids=lambda v: v["name"])
def test_msgpack_encoding_is_byte_exact(entry):
    assert MsgpackSerializer().dumps(vector_value(entry["name"])).hex() == entry["msgpack_hex"]


@pytest.mark.parametrize("entry", ENCODABLE, ids=lambda v: v["name"])
def test_json_encoding_is_text_exact(entry):
    assert JsonSerializer().dumps(vector_value(entry["name"])) == entry["json_text"].encode()


@pytest.mark.parametrize("entry", SERIALIZER["values"], ids=lambda v: v["name"])
def test_decoding_matches_vectors(entry):
    check_decoded(MsgpackSerializer().loads(bytes.fromhex(entry["msgpack_hex"])),
                  entry["msgpack_decoded_by_pyacq"])
    if "json_decode_error" in entry:
        with pytest.raises(TypeError) as info:
            JsonSerializer().loads(entry["json_text"].encode())
        assert f"TypeError: {info.value}" == entry["json_decode_error"]
        relaxed = JsonSerializer(accept_structured=True).loads(entry["json_text"])
        check_decoded(relaxed, entry["msgpack_decoded_by_pyacq"])
    else:
        check_decoded(JsonSerializer().loads(entry["json_text"].encode()),
                      entry["json_decoded_by_pyacq"])


NOT_ENCODABLE = {
    "numpy_int16_scalar": np.int16(3),
    "numpy_bool_scalar": np.True_,
    "numpy_dtype_object": np.dtype("float32"),
    "int_too_big": 2**64,
}


@pytest.mark.parametrize("entry", [e for e in SERIALIZER["not_encodable"] if "value_repr" in e],
                         ids=lambda e: e["name"])
@pytest.mark.parametrize("ser", ["msgpack", "json"])
def test_not_encodable_values(entry, ser):
    value = NOT_ENCODABLE[entry["name"]]
    with pytest.raises(TypeError) as info:
        get_serializer(ser).dumps([value])
    assert f"TypeError: {info.value}" == entry["without_server"]

    server = RPCServer(register=False)
    try:
        decoded = get_serializer(ser).loads(get_serializer(ser, server).dumps({"v": value}))["v"]
        assert isinstance(decoded, ProxyRef) and decoded.rpc_addr == server.address
        assert decoded.type_str == str(type(value))
        assert server.lookup(decoded.obj_id) is value
        # the owning server's serializer turns it back into the object itself (§3.6)
        assert get_serializer(ser, server).loads(get_serializer(ser).dumps(decoded)) is value
    finally:
        server.close()


def test_int_map_key_cannot_be_decoded():
    entry = next(e for e in SERIALIZER["not_encodable"] if e["name"] == "int_map_key")
    with pytest.raises(ValueError, match="int is not allowed for map key"):
        MsgpackSerializer().loads(bytes.fromhex(entry["msgpack_hex"]))


def test_serializer_details():
    ser_m, ser_j = MsgpackSerializer(), JsonSerializer()
    # non-finite floats: bare tokens in JSON, float64 in msgpack
    assert ser_j.dumps([math.nan, math.inf, -math.inf]) == b"[NaN, Infinity, -Infinity]"
    decoded = ser_j.loads(b"[NaN, Infinity, -Infinity]")
    assert math.isnan(decoded[0]) and decoded[1:] == [math.inf, -math.inf]
    # float32 (0xca) accepted on input; any int width accepted
    assert ser_m.loads(bytes.fromhex("ca3fc00000")) == 1.5
    assert ser_m.loads(bytes.fromhex("d10005")) == 5
    # json accepts arbitrary whitespace and the compact form
    assert ser_j.loads(b'{"a":[1,2],\n "b" :{"___type_name___":"none"}}') == {"a": [1, 2], "b": None}
    # datetime without microseconds still carries the .ffffff part; both forms decode
    text = ser_j.dumps(datetime.datetime(2020, 5, 6, 7, 8, 9))
    assert text == b'{"___type_name___": "datetime", "data": "2020-05-06T07:08:09.000000"}'
    assert ser_j.loads(b'{"___type_name___": "datetime", "data": "2020-05-06T07:08:09"}') == \
        datetime.datetime(2020, 5, 6, 7, 8, 9)
    # proxies: defaults for type_str/attributes, option keys accepted, other keys rejected
    minimal = {"___type_name___": "proxy", "rpc_addr": "tcp://h:1", "obj_id": 1, "ref_id": 2}
    assert ser_m.loads(packed(minimal)) == ProxyRef("tcp://h:1", 1, 2, "", [])
    assert ser_m.loads(packed(dict(minimal, sync="off", timeout=3))) == ProxyRef("tcp://h:1", 1, 2)
    with pytest.raises(KeyError):
        ser_m.loads(packed(dict(minimal, bogus=1)))
    with pytest.raises(TypeError):
        ser_m.loads(packed({"___type_name___": "unknown-type"}))
    # non-C-contiguous and negative-stride arrays travel in C order
    base = np.arange(12, dtype="int32").reshape(3, 4)
    for view in (base.T, base[::-1], base[:, ::2]):
        for ser in (ser_m, ser_j):
            out = ser.loads(ser.dumps(view))
            assert out.dtype == view.dtype and np.array_equal(out, view)


def test_proxy_to_own_server_is_substituted():
    server = RPCServer(register=False)
    try:
        thing = Echo()
        ref = server.get_proxy(thing)
        assert (ref.obj_id, ref.ref_id) == (0, 0)
        ser = MsgpackSerializer(server)
        assert ser.loads(MsgpackSerializer().dumps(ref)) is thing
        params = ser.loads(MsgpackSerializer().dumps(ref.with_attributes("params")))
        assert params is thing.params
        other = ProxyRef(server.address + "0", 0, 0)
        assert ser.loads(MsgpackSerializer().dumps(other)) == other
        server.release(ref.obj_id, ref.ref_id)
        with pytest.raises(KeyError, match="Invalid proxy object ID"):
            ser.loads(MsgpackSerializer().dumps(ref))
    finally:
        server.close()


# ------------------------------------------------------------------ request frames (§1.3)

def test_default_identity_format(echo_server):
    peer = RPCClient.get_client(echo_server.address)
    assert peer.identity.decode() == (f"{names.get_host_name()}.process-{os.getpid()}."
                                      f"thread-{threading.get_ident():x}:{echo_server.address}")
    assert names.make_identity("tcp://a:1", "hostA", "procB", "thrC") == "hostA.procB.thrC:tcp://a:1"
    assert RPCClient.get_client(echo_server.address) is peer


def test_client_request_frames_match_vectors(no_local_server):
    router = raw_socket(zmq.ROUTER)
    router.bind("tcp://127.0.0.1:*")
    address = router.getsockopt_string(zmq.LAST_ENDPOINT)
    old = REQUESTS["router_address"]
    identity = names.make_identity(address, "hostA", "procB", "thrC")
    assert REQUESTS["client_identity"] == names.make_identity(old, "hostA", "procB", "thrC")
    first = []

    def answer_connect_ping():
        frames = recv_frames(router)
        first.append(frames)
        reply = {"action": "return", "req_id": int(frames[1]), "rval": "pong", "error": None}
        router.send_multipart([frames[0], packed(reply)])

    responder = threading.Thread(target=answer_connect_ping)
    responder.start()
    client = RPCClient(address, identity=identity)  # runs the ping loop
    responder.join(10)
    try:
        node = ProxyRef(address, 5, 7, "<class 'pyacq.core.node.Node'>")
        node_off = Proxy(node, client, sync="off")
        actions = [
            lambda: None,  # connect-time ping, already captured
            lambda: node_off.outputs["signals"],
            lambda: node_off.output.configure(protocol="tcp", transfermode="plaindata",
                                              shape=(-1, 2)),
            lambda: node_off.configure(buffer=np.arange(4, dtype="float32").reshape(2, 2),
                                       nb_channel=2),
            lambda: client.get_item("manager", sync="off"),
            lambda: client.set_item("foo", (1, 2), sync="off"),
            lambda: client.import_module("pyacq.core.nodegroup", sync="off"),
            lambda: client.delete(node, sync="off"),
            lambda: Proxy(ProxyRef(address, 5, 9, node.type_str), client,
                          sync="off").output.params._get_value(),
            lambda: client.send("close", sync="off"),
        ]
        def next_request():
            while True:  # skip extra connect pings (a slow responder gets several)
                frames = recv_frames(router)
                if frames[2] != b"ping" or frames[1] == b"-1":
                    return frames

        assert len(actions) == len(REQUESTS["requests"])
        for action, entry in zip(actions, REQUESTS["requests"]):
            result = action()
            frames = first.pop() if first else next_request()
            assert result is None
            expected = [swap_address(bytes.fromhex(h), old, address, "msgpack" if i else "text")
                        for i, h in enumerate(entry["frames_as_seen_by_ROUTER_hex"])]
            assert frames == expected, entry["description"]
            assert [f.decode() for f in frames[:5]] == \
                [t.replace(old, address) for t in entry["frames_text"]]
            if "opts_decoded" in entry:
                assert msgpack.unpackb(frames[5], raw=False) == \
                    swap_opts(entry["opts_decoded"], old, address)
    finally:
        client.close()
        router.close()


def swap_opts(value, old, new):
    if isinstance(value, dict):
        if "$bytes_hex" in value:
            return bytes.fromhex(value["$bytes_hex"])
        return {k: swap_opts(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [swap_opts(v, old, new) for v in value]
    return new if value == old else value


def test_json_opts_example_matches_vector(no_local_server):
    entry = REQUESTS["json_opts_example"]
    opts = {
        "obj": ProxyRef("tcp://127.0.0.1:5678", 0, 4, "<class 'pyacq.core.manager.Manager'>",
                        ["create_nodegroup"]),
        "args": [],
        "kwargs": {"name": "ng1", "log_addr": b"tcp://127.0.0.1:40000",
                   "data": np.array([1, 2], dtype="int32")},
    }
    assert JsonSerializer().dumps(opts).decode() == entry["opts_text"]
    # the same frame from a JSON client calling the proxy
    router = raw_socket(zmq.ROUTER)
    router.bind("tcp://127.0.0.1:*")
    client = RPCClient(router.getsockopt_string(zmq.LAST_ENDPOINT), serializer="json", ping=False)
    try:
        client.call(opts["obj"], _sync="off", **opts["kwargs"])
        frames = recv_frames(router)
        assert frames[1:] == [b"-1", b"call_obj", b"auto", b"json", entry["opts_text"].encode()]
    finally:
        client.close()
        router.close()


# ------------------------------------------------------------------ server replies (§1.4, §2.9)

class Thing:
    """The object the reply vectors were produced with (named like the original
    `__main__.Thing` so that proxy type_str bytes match exactly)."""

    __module__ = "__main__"

    def __init__(self):
        self.params = {"shape": (-1, 2), "dtype": "float32", "fill": None}

    def add(self, a, b):
        return a + b

    def arr(self):
        return np.arange(4, dtype="float32").reshape(2, 2)

    def by(self):
        return b"xyz"

    def f32(self):
        return np.float32(1.5)

    def boom(self):
        raise ValueError("bad value")


def test_server_replies_match_vectors(no_local_server):
    server = RPCServer(register=False)
    server["thing"] = Thing()
    old, address = REPLIES["server_address"], server.address
    peers = {name: raw_socket(zmq.DEALER, name.encode())
             for name in ("peer-msgpack", "peer-json", "peer-msgpack-2")}
    for socket in peers.values():
        socket.connect(address)
    try:
        def exchange(peer, frames):
            peers[peer].send_multipart(frames)
            assert server.process_one(RECV_MS / 1000)
            reply = recv_frames(peers[peer])
            return reply

        for entry in REPLIES["exchanges"]:
            is_json = bytes.fromhex(entry["request_frames_hex"][3]) == b"json"
            ser = "json" if is_json else "msgpack"
            frames = [swap_address(bytes.fromhex(h), old, address, ser)
                      for h in entry["request_frames_hex"]]
            if frames[1] == b"close":
                # a third peer, known to the server through msgpack, must get the
                # msgpack disconnect notice; peer-json the JSON one (§1.5)
                assert exchange("peer-msgpack-2", [b"0", b"ping", b"auto", b"msgpack", b""])
            reply = exchange("peer-json" if is_json else "peer-msgpack", frames)
            assert len(reply) == entry["reply_frame_count"] == 1
            if is_json:
                assert reply[0].decode() == entry["reply_text"].replace(old, address), entry["note"]
            elif "reply_hex" in entry and not entry["reply_hex"].startswith("("):
                expected = swap_address(bytes.fromhex(entry["reply_hex"]), old, address)
                assert reply[0] == expected, entry["note"]
            else:  # the error reply: compare structure
                decoded = msgpack.unpackb(reply[0], raw=False)
                want = entry["reply_decoded"]
                assert list(decoded) == ["action", "req_id", "rval", "error"]
                assert decoded["action"] == "return" and decoded["req_id"] == want["req_id"]
                assert decoded["rval"] is None
                type_name, lines = decoded["error"]
                assert type_name == want["error"][0] == "ValueError"
                assert all(isinstance(line, str) for line in lines)
                assert lines[0] == f"Error while processing request peer-msgpack [{want['req_id']}]: "
                assert " < exception caught here >\n" in lines
                assert lines[-1] == "ValueError: bad value\n"
        assert server.closed
        notice = recv_frames(peers["peer-json"])
        assert notice == [REPLIES["disconnect_to_json_client_text"].encode()]
        notice = recv_frames(peers["peer-msgpack-2"])
        assert notice == [bytes.fromhex(REPLIES["disconnect_msgpack_hex"])]
        assert not peers["peer-msgpack"].poll(50, zmq.POLLIN)  # the caller gets no notice
    finally:
        for socket in peers.values():
            socket.close()
        server.close()


def test_server_tolerates_bad_messages(echo_server):
    dealer = raw_socket(zmq.DEALER, b"raw-bad")
    dealer.connect(echo_server.address)
    try:
        dealer.send_multipart([b"0", b"ping", b"auto", b"msgpack"])  # 4 frames: dropped
        dealer.send_multipart([b"x", b"ping", b"auto", b"msgpack", b""])  # bad req_id: dropped
        dealer.send_multipart([b"1", b"ping", b"auto", b"xml", b""])  # unknown serializer
        reply = msgpack.unpackb(recv_frames(dealer)[0], raw=False)
        assert reply["req_id"] == 1 and reply["error"][0] == "ValueError"
        dealer.send_multipart([b"2", b"ping", b"weird", b"json", b""])  # any return type
        assert json.loads(recv_frames(dealer)[0]) == {"action": "return", "req_id": 2,
                                                      "rval": "pong", "error": None}
        dealer.send_multipart([b"3", b"frobnicate", b"auto", b"msgpack", b""])
        reply = msgpack.unpackb(recv_frames(dealer)[0], raw=False)
        assert reply["error"][0] == "ValueError"
        assert "Invalid RPC action" in "".join(reply["error"][1])
    finally:
        dealer.close()


# ------------------------------------------------------------------ client <-> server round trips

ROUND_TRIP = [
    None, True, False, 7, -3, 2**64 - 1, -2**63, 0.1, "h\u00e9llo", b"\x00\x01ab",
    [1, "x", None], {"a": [1, [2, 3]], "b": {"c": None, "d": 1.5}},
    np.arange(4, dtype="float32").reshape(2, 2), np.array([[1, -2, 3], [4, 5, -6]], "int16").T,
    np.array([True, False]), np.array([1.0, -2.0], ">f4"), np.array(3.25),
    np.zeros((0, 3), "uint8"), np.array(["ab", "c"], "<U2"),
    datetime.datetime(2015, 1, 2, 3, 4, 5, 6), datetime.date(2015, 1, 2),
    ProxyRef("tcp://127.0.0.1:5678", 3, 12, "x", ["a"]),
]


def same_value(a, b):
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b))
    if isinstance(a, (list, tuple)):
        return isinstance(b, list) and len(a) == len(b) and all(map(same_value, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(
            same_value(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def test_round_trip_values(client):
    echo = client.get_item("echo")
    assert isinstance(echo, ProxyRef) and echo.type_str == str(Echo)
    assert client.ping() == "pong"
    for value in ROUND_TRIP:
        back = client.call(echo.with_attributes("echo"), value, _return_type="value")
        assert same_value(value, back), value
    structured = np.array([(5, b"ab")], [("index", "<i8"), ("label", "S4")])
    if client.serializer == "msgpack":
        assert same_value(structured, client.call(echo.with_attributes("echo"), structured))
    else:  # pyacq's JSON decoder rejects structured dtypes; so does the peer server
        with pytest.raises(RemoteCallError) as info:
            client.call(echo.with_attributes("echo"), structured)
        assert info.value.type_name == "TypeError"


def test_return_types(client, echo_server):
    echo = Proxy(client.get_item("echo"), client)
    assert echo.add(2, 3) == 5
    assert echo.echo_kw(1, (2, 3), k="v") == [[1, [2, 3]], {"k": "v"}]
    assert echo.echo_kw() == [[], {}]
    # auto: by-value set only (§2.9)
    assert echo.array(3).tolist() == [0.0, 1.0, 2.0]
    for value, type_str in ((b"xyz", "<class 'bytes'>"),
                            (datetime.date(2020, 1, 1), "<class 'datetime.date'>"),
                            (datetime.datetime(2020, 1, 1), "<class 'datetime.datetime'>")):
        proxy = echo.echo(value)
        assert isinstance(proxy, Proxy) and proxy._proxy_ref.type_str == type_str
        assert proxy._proxy_ref.rpc_addr == echo_server.address
        assert proxy._get_value() == value
    assert echo.raw_bytes(_return_type="value") == b"xyz"
    # proxy: always wrapped, even an int
    forced = echo.add(1, 1, _return_type="proxy")
    assert forced._proxy_ref.type_str == "<class 'int'>" and forced._get_value() == 2
    # nested unencodable values become proxies inside a by-value list
    mixed = echo.mixed()
    assert mixed[0] == 1 and isinstance(mixed[1], ProxyRef) and isinstance(mixed[2], ProxyRef)
    assert client.call(mixed[1].with_attributes("get")) == "inner"
    assert mixed[2].type_str == "<class 'set'>"
    # get_obj / transfer
    assert echo.params._get_value() == {"shape": [-1, 2], "dtype": "float32", "fill": None}
    assert client.get_obj(echo._proxy_ref.with_attributes("params")) == \
        {"shape": [-1, 2], "dtype": "float32", "fill": None}
    transferred = client.transfer([1, 2])
    assert isinstance(transferred, ProxyRef) and transferred.type_str == "<class 'list'>"
    assert client.get_value(transferred) == [1, 2]
    # a proxy to the server's own object decodes to the object there (§3.6)
    assert echo.is_self(echo) is True
    # namespace
    assert client.get_item("data") == {"a": 1}
    assert client.set_item("new", (1, "two")) is None
    assert client.get_item("new") == [1, "two"]
    assert echo_server["new"] == [1, "two"]
    server_proxy = client.get_item("self")
    assert server_proxy.type_str == str(RPCServer)


def test_proxy_wrapper(client, echo_server):
    ref = client.get_item("echo")
    echo = client.proxy(ref)
    before = echo_server.requests_handled
    deferred = echo.params
    assert deferred._proxy_ref.attributes == ["params"]
    assert echo.data.inner._proxy_ref.attributes == ["data", "inner"]
    assert echo_server.requests_handled == before  # attribute access sends nothing
    assert echo == Proxy(client.get_item("echo")) and echo == ref
    assert hash(echo) == hash(Proxy(ref))
    assert deferred == echo  # same object: attributes are not part of the identity
    assert len(echo) == 7
    assert echo["k"] == "item:k"
    echo.data["k"] = 5           # fire-and-forget __setitem__
    echo.stored = (1, 2)         # fire-and-forget __setattr__
    assert echo.data._get_value() == {"k": 5}
    assert echo.stored._get_value() == [1, 2]
    assert echo.params._undefer() == {"shape": [-1, 2], "dtype": "float32", "fill": None}
    eager = Proxy(ref, client, defer_getattr=False)
    assert eager.params == {"shape": [-1, 2], "dtype": "float32", "fill": None}
    future = echo.add(20, 22, _sync="async")
    assert future.result(5) == 42
    assert echo.add(1, 2, _sync="off") is None
    assert client.ping() == "pong"


def test_import(client):
    math_ref = client.import_module("math")
    assert isinstance(math_ref, ProxyRef) and math_ref.type_str == "<class 'module'>"
    assert Proxy(math_ref, client).sqrt(16.0) == 4.0
    fake = client.import_module(".fake.mod")
    assert fake.type_str == "<class 'module'>"
    assert client.import_module("math", fromlist=["pi"]) == [math.pi]
    objects = Proxy(client.import_module("specpeer.rpc_testobjects"), client)
    assert objects.PingPong("x").name._get_value() == "x"
    for forbidden in ("os", "subprocess", "specpeer.bootstrap"):
        with pytest.raises(RemoteCallError) as info:
            client.import_module(forbidden)
        assert info.value.type_name == "ModuleNotFoundError"


def test_errors(client):
    echo = client.get_item("echo")
    with pytest.raises(RemoteCallError) as info:
        client.call(echo.with_attributes("fail"), "nope")
    error = info.value
    assert error.type_name == "ValueError" and error.lines[-1] == "ValueError: nope\n"
    assert error.lines[0] == f"Error while processing request {client.identity.decode()} " \
                             f"[{client._next_req_id - 1}]: "
    assert " < exception caught here >\n" in error.lines
    with pytest.raises(RemoteCallError) as info:
        client.get_item("missing")
    assert info.value.type_name == "KeyError"
    with pytest.raises(RemoteCallError) as info:
        client.send("frobnicate", {})
    assert info.value.type_name == "ValueError" and "Invalid RPC action" in str(info.value)
    for opts in ({"obj": echo.with_attributes("echo_kw"), "args": None, "kwargs": {}},
                 {"obj": echo.with_attributes("echo_kw"), "args": [], "kwargs": None}):
        with pytest.raises(RemoteCallError) as info:
            client.send("call_obj", opts)
        assert info.value.type_name == "TypeError"
    # missing args / kwargs fall back to empty
    assert client.send("call_obj", {"obj": echo.with_attributes("echo_kw")}) == [[], {}]
    with pytest.raises(RemoteCallError) as info:
        client.call(ProxyRef(client.address, 999, 0))
    assert info.value.type_name == "KeyError" and "Invalid proxy object ID" in str(info.value)
    # a failing fire-and-forget request gets no reply; the connection stays usable
    client.call(echo.with_attributes("fail"), _sync="off")
    assert client.ping() == "pong"
    # no server in this thread: unencodable arguments cannot be sent
    with pytest.raises(TypeError, match="without proxy server"):
        client.call(echo.with_attributes("echo"), Unencodable())


def test_delete_semantics(client, echo_server):
    first, second = client.get_item("echo"), client.get_item("echo")
    assert first.obj_id == second.obj_id and first.ref_id != second.ref_id
    assert echo_server.references(first.obj_id) == {first.ref_id, second.ref_id}
    count = echo_server.object_count()
    assert client.delete(first) is None
    assert client.call(second.with_attributes("add"), 1, 2) == 3  # still alive
    with pytest.raises(RemoteCallError) as info:  # unknown ref_id
        client.delete(first)
    assert info.value.type_name == "KeyError"
    assert Proxy(second, client)._delete() is None  # last reference: object forgotten
    assert echo_server.object_count() == count - 1
    for action in (lambda: client.call(second.with_attributes("add"), 1, 2),
                   lambda: client.delete(second),
                   lambda: client.send("delete", {"obj_id": 12345, "ref_id": 0})):
        with pytest.raises(RemoteCallError) as info:
            action()
        assert info.value.type_name == "KeyError"
    again = client.get_item("echo")
    assert again.obj_id != first.obj_id  # a fresh obj_id once released


def test_timeout_and_late_reply(client, echo_server):
    blocker = client.get_item("blocker")
    with pytest.raises(TimeoutError):
        client.call(blocker.with_attributes("wait"), 5.0, _timeout=0.05)
    echo_server["blocker"].release()
    assert client.ping() == "pong"  # the late reply to `wait` is dropped
    assert client.late_replies == 1


def test_close_and_disconnect_notice(no_local_server):
    server = RPCServer()
    server["echo"] = Echo()
    thread = server.run_in_thread()
    first = RPCClient(server.address)
    second = RPCClient(server.address, serializer="json",
                       identity=names.make_identity(server.address, thread="second"))
    try:
        assert second.ping() == "pong"
        assert first.close_server() is True
        assert first.disconnected
        thread.join(5)
        assert server.closed and not thread.is_alive()
        pending = second.send("ping", sync="async")  # sent after the close: never answered
        wait_until(lambda: second.disconnected, step=lambda: second.poll_incoming(0.05))
        with pytest.raises(ServerDisconnected, match="already disconnected"):
            pending.result(1)
        for peer in (first, second):
            with pytest.raises(ServerDisconnected):
                peer.ping()
    finally:
        first.close()
        second.close()
        server.close()


def test_local_close_notifies_clients(no_local_server):
    server = RPCServer()
    thread = server.run_in_thread()
    peer = RPCClient(server.address)
    try:
        server.close()
        assert server.closed and not thread.is_alive()
        wait_until(lambda: peer.disconnected, step=lambda: peer.poll_incoming(0.05))
    finally:
        peer.close()


def test_protocol_error_on_unknown_action(no_local_server):
    router = raw_socket(zmq.ROUTER)
    router.bind("tcp://127.0.0.1:*")
    peer = RPCClient(router.getsockopt_string(zmq.LAST_ENDPOINT), ping=False)
    try:
        future = peer.send("ping", sync="async")
        frames = recv_frames(router)
        router.send_multipart([frames[0], packed({"action": "return", "req_id": 77,
                                                  "rval": 1, "error": None})])
        router.send_multipart([frames[0], packed({"action": "bogus"})])
        with pytest.raises(ProtocolError):
            future.result(5)
        assert peer.late_replies == 1
    finally:
        peer.close()
        router.close()


# ------------------------------------------------------------------ reentrancy (§4.6)

def test_reentrant_ping_pong_between_servers(no_local_server):
    servers = [RPCServer(register=False), RPCServer(register=False)]
    players = [PingPong("A"), PingPong("B")]
    threads = []
    for server, player in zip(servers, players):
        server["pp"] = player
        threads.append(server.run_in_thread())
    try:
        a = Proxy(RPCClient.get_client(servers[0].address).get_item("pp"))
        b = RPCClient.get_client(servers[1].address).get_item("pp")
        assert a.bounce(b, 7) == ["A", "B"] * 4
        assert players[0].max_depth_seen >= 7 and players[1].max_depth_seen >= 6
    finally:
        for server, thread in zip(servers, threads):
            server.close()
            thread.join(5)
        RPCClient.close_thread_clients()


def test_callback_into_callers_own_server(no_local_server, echo_server):
    """The calling thread runs a server; the remote object calls back into it (a
    new DEALER + ping loop from the remote side) while the caller waits."""
    own = RPCServer()  # this thread's server, served only by the client's wait loop
    try:
        assert RPCServer.local_server() is own
        seen = []

        def callback(x):
            seen.append(threading.get_ident())
            return x * 2

        peer = RPCClient.get_client(echo_server.address)
        echo = Proxy(peer.get_item("echo"), peer)
        assert echo.call_back(callback, 21) == 42
        assert seen == [threading.get_ident()]
        # the callback proxy was minted by `own`; passing it back resolves locally
        assert echo.echo(callback, _return_type="value") is callback
        # A -> B -> A -> B -> ... with A being this (waiting) thread
        other = RPCServer(register=False)
        other["pp"] = PingPong("B")
        other_thread = other.run_in_thread()
        try:
            mine = PingPong("A")
            remote = Proxy(RPCClient.get_client(other.address).get_item("pp"))
            assert remote.bounce(mine, 5) == ["B", "A", "B", "A", "B", "A"]
            assert mine.max_depth_seen >= 3
        finally:
            other.close()
            other_thread.join(5)
    finally:
        own.close()
        RPCClient.close_thread_clients()


# ------------------------------------------------------------------ logging (§6)

def test_log_sender_to_log_server():
    server = LogServer()
    sender = LogSender(server.address, host_name="hostA", process_name="procB",
                       thread_name="thrC")
    try:
        sender.log(logging.WARNING, "hello world %d" % 3, name="demo")
        assert server.poll(5) == 1
        record = server.records[-1]
        vector = json.loads(MISC["log_record"]["text"])
        assert set(vector) <= set(record)  # taskName appears on Python >= 3.12
        assert "args" not in record and record["exc_info"] is None
        for key in ("name", "msg", "levelname", "levelno", "process_name", "thread_name",
                    "host_name"):
            assert record[key] == vector[key]
        assert isinstance(record["created"], float) and isinstance(record["thread"], int)
        rebuilt = LogServer.make_record(record)
        assert rebuilt.getMessage() == "hello world 3" and rebuilt.levelno == logging.WARNING

        # a record through the logging module, with exception text
        handler = LogSenderHandler(server.address)
        log = logging.getLogger("specpeer.test.logging")
        log.addHandler(handler)
        log.propagate = False
        try:
            try:
                raise RuntimeError("boom")
            except RuntimeError:
                log.error("failed %s", "here", exc_info=True)
        finally:
            log.removeHandler(handler)
            handler.close()
        assert server.poll(5) == 1
        record = server.records[-1]
        assert record["msg"] == "failed here" and record["exc_info"] is None
        assert "RuntimeError: boom" in record["exc_text"]
        assert record["process_name"] == names.get_process_name()
        assert record["host_name"] == names.get_host_name()
        # the server accepts the vector frame and any partial JSON object
        push = raw_socket(zmq.PUSH)
        push.connect(server.address)
        push.send(MISC["log_record"]["text"].encode())
        push.send(b'{"msg": "minimal"}')
        try:
            wait_until(lambda: len(server.records) == 4, step=lambda: server.poll(0.05))
        finally:
            push.close()
        assert server.records[2] == json.loads(MISC["log_record"]["text"])
        assert LogServer.make_record(server.records[3]).getMessage() == "minimal"
    finally:
        sender.close()
        server.close()


def test_measure_clock_diff(echo_server):
    diff = measure_clock_diff(RPCClient.get_client(echo_server.address))
    assert abs(diff) < 0.05  # same host: perf_counter is the same monotonic clock


# ------------------------------------------------------------------ bootstrap (§5)

def test_spawn_standin_child_with_log_forwarding(no_local_server):
    logs = LogServer()
    logs.run_in_thread()
    child = spawn_child(sys.executable, "pychild", loglevel=logging.INFO, logaddr=logs.address)
    try:
        assert child.process.args == [sys.executable, "-m", "specpeer.bootstrap", "pychild"]
        assert child.address.startswith("tcp://127.0.0.1:")
        assert child.client.ping() == "pong"
        assert Proxy(child.client.import_module("math")).sqrt(9.0) == 3.0
        echo = Proxy(child.client.get_item("echo"))
        echo.say("hello from the child")
        record = logs.wait_for(lambda r: r.get("msg") == "[pychild.stdout] hello from the child")
        assert record is not None and record["levelno"] == logging.INFO
        record = logs.wait_for(lambda r: "serving at " + child.address in r.get("msg", ""))
        assert record is not None and record["process_name"] == "pychild"
        assert abs(measure_clock_diff(child.client)) < 0.05
        assert child.stop() == 0
        assert child.client.disconnected
    finally:
        if child.poll() is None:
            child.kill()
        logs.close()


def test_spawn_with_pyacq_argv_and_error_status(no_local_server):
    standin = os.path.join(TESTS_PYTHON_DIR, "specpeer", "standin_child.py")
    child = spawn_child(standin, "swiftchild")
    try:
        assert child.process.args == [standin, "-m", "pyacq.core.rpc.bootstrap", "swiftchild"]
        assert child.client.ping() == "pong"
        assert child.stop() == 0
    finally:
        if child.poll() is None:
            child.kill()
    with pytest.raises(SpawnError, match="unsupported server class"):
        spawn_child(class_name="NoSuchServer")


FAKE_CHILD = r"""
import json, sys, zmq
text = sys.stdin.read()
config = json.loads(text)
pair = zmq.Context.instance().socket(zmq.PAIR)
pair.connect(config["bootstrap_addr"])
pair.send(json.dumps({"address": "tcp://127.0.0.1:1", "stdin": text,
                      "argv": sys.argv[1:]}).encode())
ack = pair.recv()
pair.close()
sys.exit(0 if ack == b"OK" else 3)
"""


def test_spawn_parent_side_matches_vector(no_local_server):
    vector = MISC["bootstrap"]
    child = spawn_child(argv=[sys.executable, "-c", FAKE_CHILD, "swiftchild"], name="swiftchild",
                        connect=False)
    assert child.wait(10) == 0  # the child got exactly b"OK"
    assert bytes.fromhex(vector["ack_hex"]) == b"OK"
    config = json.loads(child.status["stdin"])
    expected = vector["stdin_text"].replace(json.loads(vector["stdin_text"])["bootstrap_addr"],
                                            config["bootstrap_addr"])
    assert child.status["stdin"] == expected
    assert child.status["argv"] == ["swiftchild"]
    assert child.address == "tcp://127.0.0.1:1" and child.client is None
