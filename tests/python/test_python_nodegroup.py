"""Python processes in the graph: pyacq's RPCServer / QtRPCServer serving Python objects,
ProcessSpawner, Host, and Python node groups (Python node types registered from a module,
Swift node types as local nodes, Qt widget nodes), mixed with Swift node groups and local nodes."""

import os
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
import scipy.signal

import libpyacq
from libpyacq.core.host import Host
from libpyacq.core.rpc import ProcessSpawner, RPCServer
from libpyacq.errors import RemoteCallError


CUSTOM_NODES = textwrap.dedent('''
    import numpy as np
    import libpyacq as pyacq

    class Doubler(pyacq.Node):
        """Multiplies its input by `gain` (a custom Python node)."""
        _input_specs = {"signals": {}}
        _output_specs = {"signals": {}}

        def _configure(self, gain=2.0):
            self.gain = gain

        def after_input_connect(self, name):
            params = self.input.params
            self.outputs["signals"].spec.update(shape=params["shape"], dtype=params["dtype"],
                                                sample_rate=params["sample_rate"])

        def _initialize(self):
            self.poller = pyacq.ThreadPollInput(self.input, return_data=True)
            self.poller.new_data.connect(self.on_data)

        def on_data(self, pos, data):
            self.output.send((data * self.gain).astype(data.dtype), index=pos)

        def _start(self):
            self.poller.start()

        def _stop(self):
            self.poller.stop()
            self.poller.wait()

    class RefusesConfiguration(pyacq.Node):
        def _configure(self, **kwargs):
            raise ValueError("RefusesConfiguration does not take %s" % sorted(kwargs))

    class Bouncer:
        """Each bounce calls the other process, which calls back (pyacq's reentrancy)."""
        def bounce(self, other, depth):
            return depth if depth == 0 else other.bounce(self, depth - 1) + 1

    def make_label_node_class():
        from pyqtgraph.Qt import QtWidgets

        class LabelNode(pyacq.WidgetNode):
            """A widget node showing the last index it was told."""
            def __init__(self, **kargs):
                pyacq.WidgetNode.__init__(self, **kargs)
                self.label = QtWidgets.QLabel("nothing yet", self)

            def _configure(self, text="configured"):
                self.label.setText(text)

            def shown_text(self):
                return self.isVisible(), self.label.text()
        return LabelNode
''')


@pytest.fixture(scope="module")
def custom_module(tmp_path_factory):
    folder = tmp_path_factory.mktemp("custom_nodes")
    (folder / "custom_nodes_for_test.py").write_text(CUSTOM_NODES)
    (folder / "broken_module_for_test.py").write_text("import no_such_package_anywhere\n")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")])
    sys.path.insert(0, str(folder))
    return folder


class Counter:
    """A plain Python object served by a Python RPCServer."""

    def __init__(self, name):
        self.name = name
        self.calls = 0

    def add(self, x, y):
        self.calls += 1
        return x + y

    def values(self):
        return {"int": 7, "float": 0.5, "str": "x", "array": np.arange(4), "list": [1, "a"], "set": {1, 2}}

    def fail(self):
        raise ValueError("Counter %s failed on purpose" % self.name)


def test_python_server_serves_objects_by_value_and_by_proxy():
    server = RPCServer()
    server["counter"] = Counter("c")
    server.start()
    client = libpyacq.RPCClient(server.address)
    counter = client["counter"]
    assert isinstance(counter, libpyacq.ObjectProxy)
    assert counter.add(2, 3) == 5
    values = counter.values()
    assert values["int"] == 7 and values["float"] == 0.5 and values["str"] == "x"
    np.testing.assert_array_equal(values["array"], np.arange(4))
    assert isinstance(values["set"], libpyacq.ObjectProxy)  # a set has no wire form: proxied (§2.9)
    assert values["set"].__len__() == 2
    assert counter.calls._get_value() == 1
    with pytest.raises(RemoteCallError) as info:
        counter.fail()
    assert info.value.type_name == "ValueError" and "failed on purpose" in str(info.value)
    assert counter.add(1, 1) == 2  # the server keeps serving after an error
    remote_os = client._import("os")
    assert remote_os.getpid() == os.getpid()
    client.close_server()
    assert not server.running()


def test_process_spawner_runs_a_python_child_and_stops_it():
    proc = ProcessSpawner(name="spawned_child")
    remote_os = proc.client._import("os")
    assert remote_os.getpid() == proc.proc.pid != os.getpid()
    proc.stop()
    assert proc.poll() == 0


def test_qt_process_spawner_serves_on_a_qt_event_loop():
    proc = ProcessSpawner(qt=True)
    qt = proc.client._import("pyqtgraph.Qt")
    assert isinstance(qt.QtWidgets.QApplication.instance(), libpyacq.ObjectProxy)  # an application exists there
    proc.stop()
    assert proc.poll() == 0


def test_reentrant_calls_between_two_python_processes(custom_module):
    """Each call's handling calls back into the caller's process, 8 levels deep (§4.6)."""
    procs = [ProcessSpawner(name="bouncer%d" % i) for i in range(2)]
    try:
        first, second = [proc.client._import("custom_nodes_for_test").Bouncer() for proc in procs]
        assert first.bounce(second, 8) == 8
    finally:
        for proc in procs:
            proc.stop()


def test_host_spawns_swift_and_python_node_groups():
    proc, host = Host.spawn("host_for_test")
    try:
        swift_group = host.create_nodegroup("swift_group", qt=False)
        python_group = host.create_nodegroup("python_group")  # pyacq's default: qt=True
        assert "pyacq.core.nodegroup.NodeGroup" in swift_group._type_str
        assert "libpyacq.nodegroup.NodeGroup" in python_group._type_str
        assert len(host.spawners) == 2
        assert "SosFilter" in python_group.list_node_types()
        host.close_all_nodegroups()
        assert len(host.spawners) == 0
    finally:
        proc.stop()


def test_manager_python_node_group_runs_a_custom_python_node_in_a_mixed_graph(custom_module):
    """NumpyDeviceBuffer (Swift node group) -> SosFilter (local, this process) -> Doubler (a Python
    node registered from a module in a Python node group) -> StreamConverter (Swift node group)
    -> this process, values checked against scipy."""
    manager = libpyacq.create_manager("local")
    try:
        swift_group = manager.create_nodegroup("swift_side")
        python_group = manager.create_nodegroup("python_side", python=True)
        python_group.register_node_type_from_module("custom_nodes_for_test", "Doubler")
        assert "Doubler" in python_group.list_node_types()

        nb_channel, chunksize, sample_rate = 4, 64, 1000.0
        device = swift_group.create_node("NumpyDeviceBuffer", name="device")
        signal = np.random.RandomState(0).randn(chunksize * 40, nb_channel).astype("float32")
        device.configure(nb_channel=nb_channel, sample_interval=1 / sample_rate, chunksize=chunksize, buffer=signal)
        device.output.configure(protocol="tcp", transfermode="plaindata")
        device.initialize()

        coefficients = scipy.signal.iirfilter(4, 50, btype="lowpass", fs=sample_rate, output="sos").astype("float32")
        sos = libpyacq.SosFilter()
        sos.configure(coefficients=coefficients)
        sos.input.connect(device.output)
        sos.output.configure(protocol="tcp", transfermode="plaindata")
        sos.initialize()

        doubler = python_group.create_node("Doubler", name="doubler")
        doubler.configure(gain=2.0)
        doubler.input.connect(sos.output)
        doubler.output.configure(protocol="tcp", transfermode="plaindata")
        doubler.initialize()

        converter = swift_group.create_node("StreamConverter", name="converter")  # the Python node feeds a Swift node
        converter.configure()
        converter.input.connect(doubler.output)
        converter.output.configure(protocol="tcp", transfermode="plaindata")
        converter.initialize()

        receiver = libpyacq.InputStream()
        receiver.connect(converter.output)

        converter.start()
        doubler.start()
        sos.start()
        device.start()
        received = []
        total = 0
        while total < chunksize * 20:
            index, chunk = receiver.recv(timeout=10)
            received.append(np.array(chunk))
            total += chunk.shape[0]
            assert index == total
        device.stop()
        sos.stop()
        doubler.stop()
        converter.stop()
        data = np.concatenate(received)
        expected = 2 * scipy.signal.sosfilt(coefficients.astype("float64"), signal[:total].astype("float64"), axis=0)
        np.testing.assert_allclose(data, expected, rtol=1e-3, atol=1e-3)
        receiver.close()
        sos.close()
    finally:
        manager.close()


def test_swift_node_group_runs_python_node_types_in_its_python_companion(custom_module):
    """pyacq's way: a default node group asked to register a Python node type (here the Swift
    pyacq-nodegroup, which spawns a Python node group beside it for such types)."""
    manager = libpyacq.create_manager("local")
    try:
        group = manager.create_nodegroup("default_group")
        assert "pyacq.core.nodegroup.NodeGroup" in group._type_str  # the Swift process
        group.register_node_type_from_module("custom_nodes_for_test", "Doubler")
        assert "Doubler" in group.list_node_types() and "SosFilter" in group.list_node_types()
        device = group.create_node("NumpyDeviceBuffer", name="device")
        doubler = group.create_node("Doubler", name="doubler")
        assert "libpyacq.nodegroup" not in doubler._type_str and doubler._rpc_addr != group._rpc_addr
        signal = np.arange(200, dtype="float32").reshape(100, 2)
        device.configure(nb_channel=2, sample_interval=0.001, chunksize=10, buffer=signal)
        device.output.configure(protocol="tcp", transfermode="plaindata")
        device.initialize()
        doubler.configure(gain=3.0)
        doubler.input.connect(device.output)
        doubler.output.configure(protocol="tcp", transfermode="plaindata")
        doubler.initialize()
        receiver = libpyacq.InputStream()
        receiver.connect(doubler.output)
        assert len(group.list_nodes()) == 2
        group.start_all_nodes()
        assert group.any_node_running()
        index, chunk = receiver.recv(timeout=10)
        assert index == 10
        np.testing.assert_array_equal(chunk, 3 * signal[:10])
        group.stop_all_nodes()
        assert not group.any_node_running()
        group.remove_node(doubler)
        assert len(group.list_nodes()) == 1
        receiver.close()
    finally:
        manager.close()


def test_python_node_group_reports_bad_input_and_keeps_serving(custom_module):
    manager = libpyacq.create_manager("local")
    try:
        group = manager.create_nodegroup("python_errors", python=True)
        with pytest.raises(RemoteCallError) as info:
            group.create_node("NoSuchNodeType")
        assert info.value.type_name == "KeyError" and "NoSuchNodeType" in str(info.value)
        with pytest.raises(RemoteCallError) as info:
            group.register_node_type_from_module("broken_module_for_test", "Anything")
        assert info.value.type_name in ("ImportError", "ModuleNotFoundError")
        assert "broken_module_for_test" in str(info.value) and "no_such_package_anywhere" in str(info.value)
        group.register_node_type_from_module("custom_nodes_for_test", "RefusesConfiguration")
        node = group.create_node("RefusesConfiguration", name="refuses")
        with pytest.raises(RemoteCallError) as info:
            node.configure(threshold=3)
        assert info.value.type_name == "ValueError" and "threshold" in str(info.value)
        # still serving: a Swift node type in the same Python process works end to end
        device = group.create_node("NumpyDeviceBuffer", name="still_serving")
        device.configure(nb_channel=2, sample_interval=0.001, chunksize=10)
        device.output.configure(protocol="tcp", transfermode="plaindata")
        device.initialize()
        receiver = libpyacq.InputStream()
        receiver.connect(device.output)
        device.start()
        index, chunk = receiver.recv(timeout=10)
        assert index == 10 and chunk.shape == (10, 2)
        device.stop()
        receiver.close()
    finally:
        manager.close()


def test_qt_node_group_hosts_a_widget_node(custom_module):
    """A WidgetNode subclass registered in a qt=True node group, configured and shown there."""
    manager = libpyacq.create_manager("local")
    try:
        group = manager.create_nodegroup("qt_side", qt=True)
        client = libpyacq.RPCClient(group._rpc_addr)
        qt = client._import("pyqtgraph.Qt")
        assert "QApplication" in qt.QtWidgets.QApplication.instance()._type_str
        module = client._import("custom_nodes_for_test")
        node_class = module.make_label_node_class()
        client._import("libpyacq").register_node_type(node_class, "LabelNode")
        node = group.create_node("LabelNode", name="label")
        node.configure(text="drawn in a qt node group")
        node.show()
        assert node.shown_text() == [True, "drawn in a qt node group"]
        node.close()
    finally:
        manager.close()


def _sine_device(group, amplitude=3.0):
    device = group.create_node("NumpyDeviceBuffer", name="sine_device")
    t = np.arange(4000) / 1000.0
    signal = np.stack([amplitude * np.sin(2 * np.pi * 5 * t), np.zeros_like(t)], axis=1).astype("float32")
    device.configure(nb_channel=2, sample_interval=0.001, chunksize=50, buffer=signal)
    device.output.configure(protocol="tcp", transfermode="plaindata")
    device.initialize()
    return device


def _drawn_peak_to_peak(viewer):
    """The peak-to-peak of channel 0's curve, as drawn in the viewer's process."""
    x, y = viewer.curves[0].getData()
    return float(np.nanmax(y) - np.nanmin(y)) if y is not None and len(y) else 0.0


@pytest.mark.parametrize("kind", ["qt=True node group", "Swift node group's companion"])
def test_oscilloscope_created_by_name_draws_in_a_node_group(kind):
    """pyacq's way of placing a viewer: create_node('QOscilloscope') in a node group; the
    curve drawn there reaches the sine's peak-to-peak."""
    manager = libpyacq.create_manager("local")
    try:
        source_group = manager.create_nodegroup("sine_source")
        viewer_group = (manager.create_nodegroup("viewers", qt=True) if kind.startswith("qt")
                        else source_group)
        device = _sine_device(source_group)
        viewer = viewer_group.create_node("QOscilloscope", name="scope")
        viewer.configure(with_user_dialog=True)
        viewer.input.connect(device.output)
        viewer.initialize()
        viewer.show()
        viewer.params["xsize"] = 1.0
        viewer.start()
        device.start()
        deadline = time.monotonic() + 20
        reached = _drawn_peak_to_peak(viewer)
        while reached <= 5.9 and time.monotonic() < deadline:  # the viewer refreshes on its own timer
            threading.Event().wait(0.05)
            reached = _drawn_peak_to_peak(viewer)
        assert 5.9 < reached <= 6.0 + 1e-3
        device.stop()
        viewer.stop()
        viewer.close()
    finally:
        manager.close()


def test_python_node_initialized_unconfigured_takes_its_configure_defaults(custom_module):
    import custom_nodes_for_test as nodes
    doubler = nodes.Doubler()
    with pytest.raises(libpyacq.NodeStateError, match="not connected"):
        doubler.initialize()  # configured with gain=2.0 by default, but its input is not connected
    assert doubler.configured() and doubler.gain == 2.0

    class NeedsArgument(libpyacq.Node):
        def _configure(self, channel):
            self.channel = channel

    with pytest.raises(libpyacq.NodeStateError, match="configure.. without arguments failed"):
        NeedsArgument().initialize()
