"""libpyacq binding: Python custom nodes (libpyacq.Node, register_node_type, ThreadPollInput,
Timer), alone, chained in one process, and connected to nodes of a spawned node group."""

import threading

import numpy as np
import pytest

import libpyacq
from binding_support import TIMEOUT, chunk, nodegroup_processes, pid_alive, wait_until

TIMEOUT_MS = int(TIMEOUT * 1000)


class Doubler(libpyacq.Node):
    """One input, one output: forwards every chunk times two, from a ThreadPollInput."""

    _input_specs = {"in": {}}
    _output_specs = {"out": {}}

    def __init__(self, **kwargs):
        libpyacq.Node.__init__(self, **kwargs)
        self.events = []

    def _configure(self, factor=2):
        self.factor = factor

    def after_input_connect(self, inputname):
        self.events.append(("connected", inputname))
        # as pyacq nodes do: the output follows the input's layout
        for key in ("dtype", "shape", "sample_rate"):
            self.outputs["out"].spec[key] = self.inputs["in"].params[key]

    def after_output_configure(self, outputname):
        self.events.append(("configured", outputname))

    def _initialize(self):
        self.poller = libpyacq.ThreadPollInput(self.input, return_data=True, timeout=50)
        self.poller.new_data.connect(self.on_data)

    def _start(self):
        self.poller.start()

    def _stop(self):
        self.poller.stop()
        assert self.poller.wait(TIMEOUT_MS)

    def _close(self):
        self.events.append(("closed",))

    def on_data(self, index, data):
        self.output.send(np.ascontiguousarray(data * self.factor), index=index)


class TwoOutputs(libpyacq.Node):
    _output_specs = {"a": {"shape": [-1, 1]}, "b": {"shape": [-1, 2]}}


def test_lifecycle_states_and_hooks():
    node = Doubler(name="dbl")
    assert node.name == "dbl" and list(node.inputs) == ["in"] and list(node.outputs) == ["out"]
    assert isinstance(node.input, libpyacq.InputStream) and isinstance(node.output, libpyacq.OutputStream)
    assert node.input.node is node and node.output.name == "out"
    assert not node.configured() and not node.initialized() and not node.running() and not node.closed()
    with pytest.raises(libpyacq.NodeStateError):
        node.initialize()  # not configured
    with pytest.raises(AssertionError):  # pyacq raises AssertionError: NodeStateError is one
        node.start()
    node.configure(factor=3)
    assert node.configured() and node.factor == 3
    with pytest.raises(libpyacq.NodeStateError, match="not connected"):
        node.initialize()
    source = libpyacq.OutputStream()
    source.configure(protocol="tcp", interface="127.0.0.1", dtype="int32", shape=[-1, 2], sample_rate=50.0)
    node.input.connect(source)
    assert node.events == [("connected", "in")]
    with pytest.raises(libpyacq.NodeStateError, match="not configured"):
        node.initialize()
    node.output.configure(protocol="inproc")
    assert node.events[-1] == ("configured", "out")
    # the spec edited in after_input_connect reached the output's params
    assert node.output.params["dtype"] == "int32" and node.output.params["shape"] == [-1, 2]
    assert node.output.params["sample_rate"] == 50.0
    node.initialize()
    node.start()
    assert node.running() and "running" in repr(node)
    with pytest.raises(libpyacq.NodeStateError, match="running"):
        node.configure(factor=4)
    with pytest.raises(libpyacq.NodeStateError, match="already running"):
        node.start()
    node.stop()
    with pytest.raises(libpyacq.NodeStateError, match="not running"):
        node.stop()
    node.start()
    node.close()  # stops first
    assert node.closed() and not node.running() and node.events[-1] == ("closed",)
    assert node.input.closed and node.output.closed
    node.close()  # idempotent
    with pytest.raises(libpyacq.NodeStateError, match="closed"):
        node.configure()
    source.close()


def test_shortcuts_and_default_configure():
    node = TwoOutputs()
    with pytest.raises(libpyacq.NodeStateError, match="exactly 1 output"):
        node.output
    with pytest.raises(libpyacq.NodeStateError, match="exactly 1 input"):
        node.input
    with pytest.raises(TypeError, match="unexpected"):
        node.configure(unexpected=1)
    node.configure()
    node.outputs["a"].configure(protocol="inproc")
    with pytest.raises(libpyacq.PyAcqError):  # the output spec fixes the shape
        node.outputs["b"].configure(protocol="inproc", shape=[-1, 3])
    node.close()


def test_register_node_type():
    class Custom(libpyacq.Node):
        pass

    try:
        assert libpyacq.register_node_type(Custom) is Custom
        assert libpyacq.all_nodes["Custom"] is Custom
        node = libpyacq.create_local_node("Custom", name="made")
        assert isinstance(node, Custom) and node.name == "made"
        libpyacq.register_node_type(Custom, classname="CustomAlias")
        with pytest.raises(KeyError, match="already registered"):
            libpyacq.register_node_type(Custom)
        with pytest.raises(TypeError):
            libpyacq.register_node_type(dict)
        with pytest.raises(KeyError, match="NoSuch"):
            libpyacq.create_local_node("NoSuch")
    finally:
        libpyacq.all_nodes.pop("Custom", None)
        libpyacq.all_nodes.pop("CustomAlias", None)


def test_chain_of_python_nodes_in_one_process():
    source = libpyacq.OutputStream()
    source.configure(protocol="tcp", interface="127.0.0.1", dtype="float32", shape=[-1, 3])
    first, second = Doubler(name="x2"), Doubler(name="x3")
    first.configure()
    second.configure(factor=3)
    first.input.connect(source)
    first.output.configure(protocol="tcp", interface="127.0.0.1")
    second.input.connect(first.output)
    second.output.configure(protocol="inproc")
    sink = libpyacq.InputStream()
    sink.connect(second.output)
    for node in (first, second):
        node.initialize()
        node.start()
    try:
        first.output.wait_for_subscribers(1, timeout=TIMEOUT)
        second.output.wait_for_subscribers(1, timeout=TIMEOUT)
        source.wait_for_subscribers(1, timeout=TIMEOUT)
        sent = []
        index = 0
        for rows in (4, 1, 9, 2):
            data = chunk("float32", rows, start=index)
            index += rows
            source.send(data, index=index)
            sent.append(data)
        expected = np.concatenate(sent) * 6
        got = []
        while sum(len(g) for g in got) < len(expected):
            position, data = sink.recv(timeout=TIMEOUT)
            got.append(np.array(data))
        got = np.concatenate(got)
        for row in range(len(expected)):  # sample by sample
            assert list(got[row]) == list(expected[row])
        assert position == index
        assert first.poller.pos() == index and second.poller.pos() == index
    finally:
        first.close()
        second.close()
        sink.close()
        source.close()


def test_thread_poll_input_callbacks_stop_and_errors():
    output = libpyacq.OutputStream()
    output.configure(protocol="tcp", interface="127.0.0.1", dtype="int64", shape=[-1, 1])
    stream = libpyacq.InputStream()
    stream.connect(output)
    output.wait_for_subscribers(1, timeout=TIMEOUT)
    received = []
    done = threading.Event()

    def callback(index, data):
        received.append((index, data))
        if index >= 30:
            done.set()

    poller = libpyacq.ThreadPollInput(stream, timeout=20, callback=callback)
    assert not isinstance(poller.new_data, type(None)) and not poller.is_running()
    poller.start()
    poller.start()  # already running: no second thread
    assert poller.isRunning()
    for k in range(3):
        output.send(np.arange(10 * k, 10 * (k + 1), dtype="int64").reshape(10, 1), index=10 * (k + 1))
    assert done.wait(TIMEOUT)
    assert [index for index, _ in received] == [10, 20, 30]
    for k, (_, data) in enumerate(received):  # copies: still intact after later chunks
        assert list(data[:, 0]) == list(range(10 * k, 10 * (k + 1)))
    assert poller.pos() == 30
    poller.stop()
    assert poller.wait(TIMEOUT_MS) and not poller.is_running()
    # closing the stream under a running poller ends the thread quietly
    poller = libpyacq.ThreadPollInput(stream, timeout=20, return_data=False)
    seen = []
    poller.new_data.connect(lambda index, data: seen.append((index, data)))
    poller.start()
    output.send(np.zeros((2, 1), "int64"), index=32)
    wait_until(lambda: seen, what="a chunk")
    assert seen == [(32, None)]
    stream.close()
    assert poller.wait(TIMEOUT_MS) and poller.error is None
    output.close()
    with pytest.raises(RuntimeError, match="Qt"):
        libpyacq.ThreadPollInput(libpyacq.InputStream(), qt=True)  # no Qt application here


def test_timer_ticks_and_stops():
    ticks = []
    enough = threading.Event()

    def tick():
        ticks.append(1)
        if len(ticks) == 5:
            enough.set()

    timer = libpyacq.Timer(0.002, tick)
    timer.start()
    assert timer.is_active()
    assert enough.wait(TIMEOUT)
    timer.stop()
    count = len(ticks)
    assert not timer.is_active() and len(ticks) == count
    with pytest.raises(ValueError):
        libpyacq.Timer(0, tick)


def test_python_node_between_remote_nodes():
    """NumpyDeviceBuffer (node group A) -> Python Doubler (here) -> StreamConverter (node
    group B) -> local InputStream: data checked sample by sample."""
    before = set(nodegroup_processes())
    manager = libpyacq.create_manager("local")
    doubler = Doubler(name="local-doubler")
    sink = libpyacq.InputStream()
    try:
        group_a, group_b = manager.create_nodegroup("A"), manager.create_nodegroup("B")
        spawned = set(nodegroup_processes()) - before
        device = group_a.create_node("NumpyDeviceBuffer")
        buffer = np.arange(40 * 2, dtype="float64").reshape(40, 2)
        device.configure(nb_channel=2, sample_interval=0.0005, chunksize=10, buffer=buffer)
        device.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
        device.initialize()
        doubler.configure(factor=2)
        doubler.input.connect(device.output)  # a remote output, by proxy
        doubler.output.configure(protocol="tcp", interface="127.0.0.1")
        doubler.initialize()
        converter = group_b.create_node("StreamConverter")
        converter.configure()
        converter.input.connect(doubler.output)  # a local output, sent as its params
        converter.output.configure(protocol="tcp", interface="127.0.0.1", dtype="float32")
        converter.initialize()
        sink.connect(converter.output)
        converter.start()
        doubler.start()
        doubler.output.wait_for_subscribers(1, timeout=TIMEOUT)
        device.start()
        received, first = 0, None
        while received < 120:
            index, data = sink.recv(timeout=TIMEOUT)
            assert data.dtype == np.dtype("float32") and data.shape == (10, 2)
            start = index - 10
            first = start if first is None else first
            assert start == first + received, "a chunk was lost"
            for k in range(10):
                assert list(data[k]) == list(2 * buffer[(start + k) % 40]), (index, k)
            received += 10
        device.stop()
        doubler.stop()
        converter.stop()
    finally:
        doubler.close()
        sink.close()
        manager.close()
    wait_until(lambda: not any(pid_alive(pid) for pid in spawned), what="node groups exit")


def test_thread_poll_input_uses_a_qt_signal_when_an_application_runs(monkeypatch):
    """No Qt binding is installed here: a stand-in PySide6.QtCore (QObject, Signal,
    QCoreApplication.instance()) checks that ThreadPollInput picks Qt up only when a binding
    is already imported and an application exists, and emits through its signal."""
    import sys
    import types

    class BoundSignal:
        def __init__(self):
            self.slots = []

        def connect(self, slot):
            self.slots.append(slot)

        def emit(self, *args):
            for slot in self.slots:
                slot(*args)

    class Signal:
        def __init__(self, *types_):
            self.types = types_
            self.name = None

        def __set_name__(self, owner, name):
            self.name = name

        def __get__(self, instance, owner):
            if instance is None:
                return self
            return instance.__dict__.setdefault("_signal_" + self.name, BoundSignal())

    class QObject:
        pass

    application = {"instance": None}
    qtcore = types.ModuleType("PySide6.QtCore")
    qtcore.Signal, qtcore.QObject = Signal, QObject
    qtcore.QCoreApplication = types.SimpleNamespace(instance=lambda: application["instance"])
    package = types.ModuleType("PySide6")
    package.QtCore = qtcore
    monkeypatch.setitem(sys.modules, "PySide6", package)
    monkeypatch.setitem(sys.modules, "PySide6.QtCore", qtcore)

    stream = libpyacq.InputStream()
    plain = libpyacq.ThreadPollInput(stream)  # no application yet: the plain signal
    assert not isinstance(plain.new_data, BoundSignal)
    application["instance"] = object()
    poller = libpyacq.ThreadPollInput(stream)
    assert isinstance(poller.new_data, BoundSignal) and isinstance(poller._emitter, QObject)
    assert isinstance(libpyacq.ThreadPollInput(stream, qt=False).new_data, type(plain.new_data))
    got = []
    poller.new_data.connect(lambda index, data: got.append((index, data)))
    poller.process_data(5, "chunk")
    assert got == [(5, "chunk")]
    stream.close()
