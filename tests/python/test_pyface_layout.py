"""pyacq's Python face of libpyacq: pyacq's module paths and names, the pure-Python serializers
(PROTOCOL §3, byte-compared with the spec peer), SharedArray, pyacq's RingBuffer / InputStream
signatures, ThreadPollOutput, the log tools, and clear NotImplementedError / ImportError for
what libpyacq does not provide."""

import datetime
import importlib
import json
import logging
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import libpyacq
from specpeer import rpc_serializer as spec

TIMEOUT = 10.0

# What pyacq's own __init__ files export, per module path (the names libpyacq provides).
PYACQ_NAMES = {
    "core": ["RPCServer", "RPCClient", "ObjectProxy", "QtRPCServer", "RemoteCallException", "ProcessSpawner",
             "NodeGroup", "Node", "register_node_type", "Manager", "create_manager", "OutputStream", "InputStream",
             "SharedArray", "RingBuffer", "ThreadPollInput", "ThreadPollOutput", "StreamConverter", "ChannelSplitter",
             "ChunkResizer"],
    "core.rpc": ["RPCClient", "RemoteCallException", "Future", "RPCServer", "QtRPCServer", "ObjectProxy",
                 "ProcessSpawner"],
    "core.rpc.serializer": ["JsonSerializer", "MsgpackSerializer", "HAVE_MSGPACK"],
    "core.rpc.log": ["RPCLogHandler", "set_process_name", "set_thread_name", "start_log_server", "get_logger_address",
                     "set_logger_address", "get_host_name", "set_host_name", "get_process_name", "get_thread_name",
                     "LogSender", "LogServer", "log_exceptions"],
    "core.stream": ["InputStream", "OutputStream", "RingBuffer", "SharedArray", "register_transfermode",
                    "compression_methods"],
    "core.stream.sharedarray": ["SharedArray", "SharedMem"],
    "core.stream.ringbuffer": ["RingBuffer"],
    "core.host": ["Host"],
    "core.nodegroup": ["NodeGroup"],
    "core.node": ["Node", "register_node_type"],
    "core.nodelist": ["register_node_type", "all_nodes"],
    "core.tools": ["ThreadPollInput", "ThreadPollOutput", "StreamConverter", "ChannelSplitter", "ChunkResizer"],
    "core.manager": ["Manager", "create_manager"],
    "dsp": ["AnalogTrigger", "DigitalTrigger", "TriggerAccumulator", "SosFilter", "OverlapFiltfilt"],
    "dsp.sosfilter": ["SosFilter", "HAVE_PYOPENCL"],
    "dsp.overlapfiltfilt": ["OverlapFiltfilt", "HAVE_PYOPENCL"],
    "dsp.trigger": ["AnalogTrigger", "DigitalTrigger"],
    "dsp.triggeraccumulator": ["TriggerAccumulator"],
    "devices": ["NumpyDeviceBuffer", "WebCamImageIO", "WebCamAV", "MeasurementComputing", "PyAudio", "Emotiv",
                "OpenBCI", "NIDAQmx", "Blackrock", "OpenEphysGUIRelay"],
    "devices.npbufferdevice": ["NumpyDeviceBuffer"],
    "devices.brainampsocket": ["BrainAmpSocket"],
    "devices.eeg_openBCI": ["OpenBCI"],
    "devices.eeg_emotiv": ["Emotiv"],
    "rec": ["RawRecorder", "AviRecorder"],
    "rec.rawrecorder": ["RawRecorder"],
}


@pytest.mark.parametrize("path", sorted(PYACQ_NAMES))
def test_pyacq_module_paths_export_pyacqs_names(path):
    module = importlib.import_module("libpyacq." + path)
    missing = [name for name in PYACQ_NAMES[path] if not hasattr(module, name)]
    assert not missing, "libpyacq.%s lacks %s" % (path, missing)


def test_top_level_has_the_names_of_every_pyacq_subpackage():
    for path in ("core", "dsp", "devices", "rec"):
        for name in PYACQ_NAMES[path]:
            assert hasattr(libpyacq, name), name
    assert libpyacq.dsp.SosFilter is libpyacq.SosFilter
    assert libpyacq.core.tools.StreamConverter is libpyacq.StreamConverter
    assert libpyacq.core.stream.compression_methods == ["", "blosc-blosclz", "blosc-lz4"]


def test_what_libpyacq_lacks_raises_not_implemented_naming_it():
    with pytest.raises(NotImplementedError, match="register_transfermode"):
        libpyacq.core.stream.register_transfermode("mine", object, object)
    with pytest.raises(NotImplementedError, match="all_transfermodes"):
        from libpyacq.core.stream import all_transfermodes  # noqa: F401


def test_pyacq_process_classes_are_the_python_ones():
    assert libpyacq.core.rpc.RPCServer is libpyacq.objectserver.RPCServer
    assert libpyacq.ProcessSpawner is libpyacq.core.rpc.ProcessSpawner is libpyacq.spawner.ProcessSpawner
    host, core_host = importlib.import_module("libpyacq.host"), importlib.import_module("libpyacq.core.host")
    assert core_host.Host is host.Host
    nodegroup = importlib.import_module("libpyacq.nodegroup")
    assert importlib.import_module("libpyacq.core.nodegroup").NodeGroup is nodegroup.NodeGroup


def test_shared_ring_buffer_is_read_by_another_process():
    ring = libpyacq.RingBuffer((16, 2), "float32", True, True)
    assert ring.shm_id and os.path.exists(ring.shm_id)
    ring.new_chunk(np.arange(20, dtype="float32").reshape(10, 2))
    code = ("import libpyacq, numpy as np, sys\n"
            "r = libpyacq.RingBuffer((16, 2), 'float32', True, shmem=sys.argv[1])\n"
            "print(r.index(), r.get_data(6, 10).sum())\n")
    out = subprocess.run([sys.executable, "-c", code, ring.shm_id], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["10", str(float(np.arange(12, 20).sum()))]
    with pytest.raises(libpyacq.PyAcqIOError, match="missing: No such file"):
        libpyacq.RingBuffer((16, 2), "float32", True, shmem=ring.shm_id + "-missing")


def test_a_device_type_the_library_lacks_is_named_in_the_error():
    registered = set(libpyacq.list_node_types())
    for cls in (libpyacq.OpenBCI, libpyacq.NIDAQmx, libpyacq.ChunkResizer):
        if cls.__name__ in registered:  # a device branch provides it: it must work
            node = cls()
            assert node.type_name == cls.__name__
            node.close()
        else:
            with pytest.raises(libpyacq.ParamsError, match=cls.__name__):
                cls()


def test_widget_node_needs_qt_and_says_so():
    try:
        import pyqtgraph.Qt  # noqa: F401
        have_qt = True
    except ImportError:
        have_qt = False
    if have_qt:
        cls = libpyacq.WidgetNode
        assert issubclass(cls, libpyacq.Node) and cls.__mro__[1].__name__ == "QWidget"
    else:
        with pytest.raises(ImportError, match="Qt binding"):
            libpyacq.WidgetNode


# ----------------------------------------------------------------------------- serializers

PLAIN = {
    "int": 1, "big": 2 ** 63 + 5, "neg": -(2 ** 40), "float": 1.5, "nan": float("nan"), "inf": float("-inf"),
    "str": "abc é", "bytes": b"ab\x00c", "none": None, "bool": True,
    "ndarray": np.arange(8, dtype="float64").reshape(2, 4), "int16": np.arange(3, dtype="int16"),
    "structured": np.zeros(2, [("index", "<i8"), ("label", "S4")]),
    "datetime": datetime.datetime(2015, 1, 1, 12, 0, 0, 250), "date": datetime.date(2015, 1, 1),
    "list": [1, [2, "x"]], "tuple": (1, 2), "np_scalars": [np.float32(0.5), np.int32(3), np.int64(4), np.float64(2.5)],
}


def check_equal(sent, got):
    for key, value in sent.items():
        if key == "structured":
            continue  # JSON peers cannot decode structured dtypes (PROTOCOL §3.3); msgpack checked below
        other = got[key]
        if isinstance(value, np.ndarray):
            assert type(other) is np.ndarray and other.dtype == value.dtype
            np.testing.assert_array_equal(other, value)
        elif isinstance(value, float) and value != value:
            assert other != other
        elif isinstance(value, tuple):
            assert other == list(value)
        elif key == "np_scalars":
            assert other == [0.5, 3, 4, 2.5] and [type(v) for v in other] == [float, int, int, float]
        else:
            assert type(other) is type(value) and other == value, key


@pytest.mark.parametrize("kind", ["msgpack", "json"])
def test_serializers_round_trip_and_match_the_spec_peer_byte_for_byte(kind):
    ours = {"msgpack": libpyacq.MsgpackSerializer, "json": libpyacq.JsonSerializer}[kind]()
    peer = spec.SERIALIZERS[kind]()
    data = dict(PLAIN)
    if kind == "json":
        data.pop("structured")
    encoded = ours.dumps(data)
    assert isinstance(encoded, bytes)
    assert encoded == peer.dumps(data)
    check_equal(data, ours.loads(encoded))
    check_equal(data, peer.loads(encoded))
    if kind == "msgpack":
        got = ours.loads(encoded)["structured"]
        assert got.dtype == PLAIN["structured"].dtype


def test_json_serializer_wire_form():
    text = libpyacq.JsonSerializer().dumps({"a": np.array([1, 2], "int16"), "b": b"x", "c": float("nan")})
    assert text == (b'{"a": {"___type_name___": "ndarray", "data": "AQACAA==", "dtype": "int16", "shape": [2]}, '
                    b'"b": {"___type_name___": "bytes", "data": "eA=="}, "c": NaN}')
    assert json.loads(text)["a"]["shape"] == [2]


def test_serializers_carry_proxies():
    server = libpyacq.RPCServer()
    client = libpyacq.RPCClient(server.address)
    try:
        proxy = client.get_item("self")
        for serializer in (libpyacq.JsonSerializer(), libpyacq.MsgpackSerializer()):
            back = serializer.loads(serializer.dumps({"proxy": proxy}))["proxy"]
            assert isinstance(back, libpyacq.ObjectProxy) and back == proxy
            assert back._rpc_addr == server.address
        bad = dict(proxy._marker(), extra=1)
        with pytest.raises(KeyError, match="extra"):
            libpyacq.JsonSerializer().loads(json.dumps(bad))
    finally:
        client.close()
        server.close()


def test_serializer_refuses_what_only_a_python_server_could_proxy():
    for value in (object(), {1, 2}, np.uint8(3)):
        with pytest.raises(libpyacq.InvalidArgument, match="cannot be serialized"):
            libpyacq.MsgpackSerializer().dumps([value])
        with pytest.raises(libpyacq.InvalidArgument, match="cannot be serialized"):
            libpyacq.JsonSerializer().dumps([value])


# ----------------------------------------------------------------------------- arrays, rings, streams

def test_shared_array_reopened_from_its_dict():
    sa = libpyacq.SharedArray(shape=(10,), dtype="int32")
    a = sa.to_numpy()
    a[:] = np.arange(10)
    other = libpyacq.SharedArray(**sa.to_dict())
    b = other.to_numpy()
    assert b is not a and not b.flags.writeable
    np.testing.assert_array_equal(b, np.arange(10))
    a[3] = 99
    assert b[3] == 99  # the same memory


def test_ringbuffer_takes_pyacqs_positional_arguments():
    ring = libpyacq.RingBuffer((6, 2), "int16", False, None, 7, None)  # shape, dtype, double, shmem, fill, axisorder
    np.testing.assert_array_equal(ring[-6:], np.full((6, 2), 7, "int16"))
    ring.new_chunk(np.ones((2, 2), "int16"))
    np.testing.assert_array_equal(ring[-2:], np.ones((2, 2)))


def test_streams_take_pyacqs_argument_order():
    owner = object()
    stream = libpyacq.InputStream({"dtype": "float32"}, owner, "signals")
    assert stream.spec == {"dtype": "float32"} and stream.node is owner and stream.name == "signals"
    output = libpyacq.OutputStream({"shape": [-1, 2]}, None, "out")
    assert output.name == "out" and output.spec == {"shape": [-1, 2]}
    stream.close()
    output.close()


def test_thread_poll_output_watches_a_local_output_and_a_local_nodes_output():
    output = libpyacq.OutputStream()
    output.configure(protocol="tcp", interface="127.0.0.1", dtype="float32", shape=[-1, 3])
    seen, done = [], threading.Event()

    def on_data(pos, data):
        seen.append((pos, np.array(data)))
        if pos >= 30:
            done.set()

    poller = libpyacq.ThreadPollOutput(output, return_data=True, timeout=20)
    poller.new_data.connect(on_data)
    poller.start()
    output.wait_for_subscribers(1, TIMEOUT)
    for k in range(3):
        output.send(np.full((10, 3), k, "float32"))
    assert done.wait(TIMEOUT)
    poller.stop()
    assert poller.wait(5000)
    assert [pos for pos, _ in seen] == [10, 20, 30]
    assert all((data == k).all() for k, (_, data) in enumerate(seen))
    output.close()

    dev = libpyacq.NumpyDeviceBuffer()
    dev.configure(nb_channel=2, sample_interval=0.0001, chunksize=50, buffer=np.ones((500, 2), "float32"))
    dev.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="sharedmem", buffer_size=1000)
    dev.initialize()
    got, done = [], threading.Event()
    poller = libpyacq.ThreadPollOutput(dev.output, timeout=20)  # return_data=None: sharedmem -> None
    poller.new_data.connect(lambda pos, data: (got.append((pos, data)), pos >= 200 and done.set()))
    poller.start()
    dev.output.wait_for_subscribers(1, TIMEOUT)
    dev.start()
    assert done.wait(TIMEOUT)
    poller.stop()
    poller.wait(5000)
    dev.close()
    assert all(data is None for _, data in got) and got[0][0] % 50 == 0


# ----------------------------------------------------------------------------- log tools

class _Collect(logging.Handler):
    def __init__(self):
        logging.Handler.__init__(self)
        self.records, self.event = [], threading.Event()

    def emit(self, record):
        self.records.append(record)
        self.event.set()


def test_log_sender_to_log_server_carries_names_and_formatted_message():
    log = libpyacq.core.rpc.log
    target = logging.getLogger("libpyacq-test-logserver")
    target.propagate = False
    collect = _Collect()
    target.addHandler(collect)
    server = log.LogServer(target)
    server.start()
    source = logging.getLogger("libpyacq-test-logsender")
    source.propagate = False
    sender = log.LogSender(server.address.encode("ascii"), source)  # (pyacq passes bytes addresses)
    log.set_process_name("procB")
    log.set_thread_name("thrC")
    try:
        source.warning("hello %s %d", "world", 3)
        assert collect.event.wait(TIMEOUT)
    finally:
        source.removeHandler(sender)
        sender.close()
        server.stop()
        server.join(5)
    record = collect.records[0]
    assert record.getMessage() == "hello world 3" and record.levelno == logging.WARNING
    assert (record.process_name, record.thread_name) == ("procB", "thrC")
    assert record.host_name == log.get_host_name()
    line = log.RPCLogHandler().format(record)
    assert line.startswith("[%s:procB:thrC]" % log.get_host_name()) and "hello world 3" in line


def test_start_log_server_is_once_per_process():
    log = libpyacq.core.rpc.log
    server = log.start_log_server("libpyacq-test-global")
    assert log.get_logger_address() == server.address and server.address.startswith("tcp://127.0.0.1:")
    with pytest.raises(RuntimeError, match="already"):
        log.start_log_server("again")


def test_ringbuffer_axisorder_attribute_and_copies_keep_the_memory_order():
    plain = libpyacq.RingBuffer((10, 5, 7), "uint8", False)
    assert list(plain.axisorder) == [0, 1, 2]
    ring = libpyacq.RingBuffer((10, 5, 7), "float32", False, None, None, (1, 2, 0))
    assert list(ring.axisorder) == [1, 2, 0]
    for k in range(3):  # 15 samples in a single ring of 10: the last 10 cross its end
        ring.new_chunk(np.full((5, 5, 7), k, "float32"))
    for data in (ring[:], ring.get_data(5, 15), ring.get_data(10, 15, copy=True)):
        assert list(np.argsort(data.strides)[::-1]) == [1, 2, 0]
    np.testing.assert_array_equal(ring[:], np.repeat([1.0, 2.0], 5)[:, None, None] * np.ones((10, 5, 7)))
