"""Custom nodes in Python: pyacq's ``Node`` base class, ``register_node_type`` and a
``ThreadPollInput`` helper, over libpyacq streams.

A Python node lives in the process that creates it (libpyacq node groups are Swift processes
and cannot run Python code); its inputs and outputs are ordinary libpyacq streams, so it
connects to nodes of spawned node groups, to other Python nodes, and to pyacq processes::

    import numpy as np
    import libpyacq as pyacq

    class NoiseGenerator(pyacq.Node):
        _output_specs = {'signals': dict(streamtype='analogsignal', dtype='float32',
                                         shape=(-1, 1), compression='')}

        def _configure(self, chunksize=100, sample_rate=1000.):
            self.chunksize, self.sample_rate = chunksize, sample_rate
            self.output.spec['sample_rate'] = sample_rate

        def _initialize(self):
            self.head = 0

        def _start(self):
            self.timer = pyacq.Timer(self.chunksize / self.sample_rate, self.send_data)
            self.timer.start()

        def _stop(self):
            self.timer.stop()

        def send_data(self):
            self.head += self.chunksize
            self.output.send(np.random.normal(size=(self.chunksize, 1)).astype('float32'),
                             index=self.head)

    pyacq.register_node_type(NoiseGenerator)
"""

import atexit
import logging
import sys
import threading
import weakref
from collections import OrderedDict

from .errors import ClosedError, StateError
from .stream import InputStream, OutputStream

__all__ = ["Node", "register_node_type", "all_nodes", "create_local_node", "ThreadPollInput", "ThreadPollOutput",
           "Timer", "NodeStateError"]

logger = logging.getLogger("libpyacq.node")


class NodeStateError(StateError, AssertionError):
    """A node method called in the wrong state (configure while running, start before
    initialize...). pyacq raises AssertionError there: this is both."""


def _require(condition, message):
    if not condition:
        raise NodeStateError(message)


#: Registered Python node classes by name (pyacq's ``pyacq.core.node.all_nodes``).
all_nodes = OrderedDict()


def register_node_type(node_class, classname=None):
    """Registers a Node subclass under `classname` (default: its class name), as pyacq's
    register_node_type. Registering a name twice is an error (as in pyacq). Python nodes are
    created in this process, with :func:`create_local_node` or by calling the class."""
    if not (isinstance(node_class, type) and issubclass(node_class, Node)):
        raise TypeError("register_node_type() needs a subclass of libpyacq.Node, got %r" % (node_class,))
    if classname is None:
        classname = node_class.__name__
    if classname in all_nodes:
        raise KeyError("node type %r is already registered" % classname)
    all_nodes[classname] = node_class
    return node_class


def create_local_node(type_name, *args, **kwargs):
    """A new node of the registered type `type_name` in this process: a Python node type
    (register_node_type), else a Swift node type of the library (a libpyacq.SwiftNode)."""
    cls = all_nodes.get(type_name)
    if cls is not None:
        return cls(*args, **kwargs)
    from .manager import list_node_types
    from .swiftnode import SWIFT_NODE_CLASSES, SwiftNode
    swift_types = list_node_types()
    if type_name in swift_types:
        return SWIFT_NODE_CLASSES.get(type_name, SwiftNode)(*args, type_name=type_name, **kwargs)
    raise KeyError("no node type %r is registered (Python: %s; Swift: %s)"
                   % (type_name, ", ".join(all_nodes) or "none", ", ".join(swift_types)))


class Node:
    """Base class of Python nodes (pyacq.Node).

    Subclasses declare ``_input_specs`` / ``_output_specs`` (dicts name -> stream spec) and
    implement ``_configure(**kwargs)``, ``_initialize()``, ``_start()``, ``_stop()``,
    ``_close()``; ``after_input_connect(name)`` and ``after_output_configure(name)`` are called
    after a stream of the node was connected / configured. ``inputs`` and ``outputs`` are
    ordered dicts of libpyacq InputStream / OutputStream; ``input`` / ``output`` are shortcuts
    valid when the node has exactly one.

    Lifecycle: configure -> (connect inputs, configure outputs) -> initialize -> start / stop
    (repeatable) -> close. Calls in the wrong state raise :class:`NodeStateError` (an
    AssertionError, like pyacq, and a libpyacq StateError).
    """

    _input_specs = {}
    _output_specs = {}

    def __init__(self, name="", parent=None):
        self.name = name or type(self).__name__
        self.lock = threading.Lock()
        self._running = False
        self._configured = False
        self._initialized = False
        self._closed = False
        self.inputs = OrderedDict()
        for stream_name, spec in self._input_specs.items():
            self.inputs[stream_name] = InputStream(spec=dict(spec), name=stream_name, node=self)
        self.outputs = OrderedDict()
        for stream_name, spec in self._output_specs.items():
            self.outputs[stream_name] = OutputStream(spec=dict(spec), name=stream_name, node=self)

    # ------------------------------------------------------------ shortcuts
    @property
    def input(self):
        _require(len(self.inputs) == 1, "Node.input is a shortcut for nodes with exactly 1 input (%s has %d)"
                 % (self.name, len(self.inputs)))
        return next(iter(self.inputs.values()))

    @property
    def output(self):
        _require(len(self.outputs) == 1, "Node.output is a shortcut for nodes with exactly 1 output (%s has %d)"
                 % (self.name, len(self.outputs)))
        return next(iter(self.outputs.values()))

    # ------------------------------------------------------------ state
    def running(self):
        with self.lock:
            return self._running

    def configured(self):
        return self._configured

    def initialized(self):
        return self._initialized

    def closed(self):
        return self._closed

    # ------------------------------------------------------------ lifecycle
    def configure(self, **kwargs):
        """Configures the node (node-specific keywords, handed to ``_configure``)."""
        _require(not self._closed, "cannot configure %s: it is closed" % self.name)
        _require(not self.running(), "cannot configure %s while it is running" % self.name)
        self._configure(**kwargs)
        self._configured = True

    def initialize(self):
        """Allocates what the node needs once its streams are connected / configured."""
        _require(not self._closed, "cannot initialize %s: it is closed" % self.name)
        _require(not self.running(), "cannot initialize %s while it is running" % self.name)
        if not self._configured:
            # pyacq lets a node be initialized unconfigured: it gets its configure() defaults.
            try:
                self.configure()
            except TypeError as exc:
                raise NodeStateError("%s must be configured before initialize(): configure() without "
                                     "arguments failed (%s)" % (self.name, exc)) from None
        for stream_name, stream in self.inputs.items():
            _require(stream.connected, "input %r of %s is not connected" % (stream_name, self.name))
        for stream_name, stream in self.outputs.items():
            _require(stream.configured, "output %r of %s is not configured" % (stream_name, self.name))
        self._initialize()
        self._initialized = True

    def start(self):
        """Starts processing. Output indexes go back to 0 and stale queued input is dropped,
        as in pyacq."""
        _require(not self._closed, "cannot start %s: it is closed" % self.name)
        _require(self._initialized, "%s must be initialized before start()" % self.name)
        _require(not self.running(), "%s is already running" % self.name)
        for stream in self.outputs.values():
            stream.reset_index()
        for stream in self.inputs.values():
            stream.empty_queue()
        with self.lock:
            self._running = True
        try:
            self._start()
        except BaseException:
            with self.lock:
                self._running = False
            raise

    def stop(self):
        _require(self.running(), "%s is not running" % self.name)
        with self.lock:
            self._running = False
        self._stop()

    def close(self):
        """Stops if needed, closes every stream, then ``_close()``. Idempotent."""
        if self._closed:
            return
        if self.running():
            self.stop()
        self._close()
        for stream in list(self.inputs.values()) + list(self.outputs.values()):
            stream.close()
        self._closed = True

    # ------------------------------------------------------------ hooks
    def _configure(self, **kwargs):
        if kwargs:
            raise TypeError("%s.configure() takes no keyword arguments, got %s"
                            % (type(self).__name__, ", ".join(sorted(kwargs))))

    def _initialize(self):
        pass

    def _start(self):
        pass

    def _stop(self):
        pass

    def _close(self):
        pass

    def after_input_connect(self, inputname):
        pass

    def after_output_configure(self, outputname):
        pass

    def __repr__(self):
        state = ("closed" if self._closed else "running" if self._running else "initialized" if self._initialized
                 else "configured" if self._configured else "new")
        return "<%s %r %s>" % (type(self).__name__, self.name, state)


# ----------------------------------------------------------------------------- helpers

class _Signal:
    """A minimal Qt-like signal: ``connect(fn)``, ``disconnect(fn=None)``, ``emit(*args)``
    (callbacks run on the emitting thread)."""

    def __init__(self):
        self._slots = []
        self._lock = threading.Lock()

    def connect(self, slot):
        with self._lock:
            self._slots.append(slot)

    def disconnect(self, slot=None):
        with self._lock:
            if slot is None:
                self._slots.clear()
            else:
                self._slots.remove(slot)

    def emit(self, *args):
        with self._lock:
            slots = list(self._slots)
        for slot in slots:
            slot(*args)


def _qt_core():
    """QtCore of an already imported Qt binding with a running application, else None (a Qt
    signal is only useful with an event loop; libpyacq never imports Qt itself)."""
    for name in ("PyQt6", "PySide6", "PyQt5", "PySide2"):
        if name in sys.modules:
            try:
                module = __import__(name + ".QtCore", fromlist=["QtCore"])
                if module.QCoreApplication.instance() is not None:
                    return module
            except (ImportError, AttributeError):  # a partial or foreign module of that name
                continue
    return None


_qt_emitters = {}


def _qt_signal(qtcore):
    """A QObject holding a ``new_data(int, object)`` signal, created on first use."""
    cls = _qt_emitters.get(qtcore)
    if cls is None:
        signal = getattr(qtcore, "pyqtSignal", None) or getattr(qtcore, "Signal")
        cls = type("ThreadPollInputEmitter", (qtcore.QObject,), {"new_data": signal(object, object)})
        _qt_emitters[qtcore] = cls
    return cls()


class ThreadPollInput:
    """A thread polling an InputStream and handing every chunk to a callback (pyacq's
    ThreadPollInput, without the Qt dependency).

    ``new_data`` is a signal: ``poller.new_data.connect(callback)``; callbacks get
    ``(index, data)``. Without Qt (or with ``qt=False``) they run on the polling thread. When a
    Qt binding is already imported and a QApplication exists (or ``qt=True``), ``new_data`` is
    a real Qt signal, so slots of GUI objects run in their thread. Override
    :meth:`process_data` for other behaviours. `timeout` is the poll period in milliseconds
    (pyacq's unit). `data` is a copy unless ``copy=False`` (then it is a view valid only
    during the callback).

    ``start()``, ``stop()`` (asks the thread to end), ``wait(msecs=None)`` (joins it, like
    QThread.wait), ``is_running()`` / ``isRunning()``, ``pos()`` (last index).
    """

    def __init__(self, input_stream, timeout=200, return_data=None, callback=None, qt=None, copy=True):
        self.input_stream = weakref.ref(input_stream)
        self.timeout = timeout
        if return_data is None:  # pyacq: data only where recv() owns it (plaindata, not a sharedmem ring)
            return_data = (input_stream.params or {}).get("transfermode") != "sharedmem"
        self.return_data = bool(return_data)
        self.copy = copy
        qtcore = _qt_core() if qt in (None, True) else None
        if qt is True and qtcore is None:
            raise RuntimeError("ThreadPollInput(qt=True) needs an imported Qt binding and a QApplication")
        self._emitter = _qt_signal(qtcore) if qtcore is not None else None
        self.new_data = self._emitter.new_data if self._emitter is not None else _Signal()
        if callback is not None:
            self.new_data.connect(callback)
        self.running = False
        self.running_lock = threading.Lock()
        self.lock = threading.Lock()
        self._pos = None
        self._thread = None
        self.error = None
        atexit.register(_stop_at_exit, weakref.ref(self))

    def start(self):
        with self.running_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self.running = True
            self._thread = threading.Thread(target=self.run, name="ThreadPollInput", daemon=True)
        self._thread.start()

    def run(self):
        while True:
            with self.running_lock:
                if not self.running:
                    break
            stream = self.input_stream()
            if stream is None:
                logger.info("ThreadPollInput lost its InputStream")
                break
            try:
                if not stream.poll(timeout=self.timeout):
                    continue
                index, data = stream.recv(return_data=self.return_data, timeout=0, copy=self.copy)
            except ClosedError:
                break
            except Exception as exc:  # noqa: BLE001 - reported, then the thread ends
                with self.running_lock:
                    stopping = not self.running
                if not stopping:
                    self.error = exc
                    logger.exception("ThreadPollInput: polling failed")
                break
            finally:
                del stream
            with self.lock:
                self._pos = index
            self.process_data(index, data)
        with self.running_lock:
            self.running = False

    def process_data(self, pos, data):
        """Called on the polling thread for each chunk; emits ``new_data(pos, data)``."""
        self.new_data.emit(pos, data)

    def stop(self):
        """Asks the polling thread to end (within `timeout` ms)."""
        with self.running_lock:
            self.running = False

    def wait(self, msecs=None):
        """Waits for the thread to end (`msecs` milliseconds, None = forever); True if it did."""
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(None if msecs is None else msecs / 1000.0)
        return not thread.is_alive()

    def is_running(self):
        thread = self._thread
        return thread is not None and thread.is_alive()

    isRunning = is_running

    def pos(self):
        with self.lock:
            return self._pos



class ThreadPollOutput(ThreadPollInput):
    """A ThreadPollInput on a private InputStream connected to `output_stream` (pyacq's
    ThreadPollOutput): watches what an output sends (a local OutputStream, a local node's
    output or a proxy to a remote one). Keywords as ThreadPollInput."""

    def __init__(self, output_stream, **kwargs):
        self.instream = InputStream()
        self.instream.connect(output_stream)
        ThreadPollInput.__init__(self, self.instream, **kwargs)


def _stop_at_exit(reference):
    poller = reference()
    if poller is not None:
        poller.stop()
        poller.wait(2000)


class Timer:
    """A periodic timer on its own thread, a headless stand-in for QTimer in nodes:
    ``Timer(interval_s, callback)``, ``start()``, ``stop()`` (waits for the thread unless
    called from the callback). Ticks are scheduled at start + k x interval (no drift); late
    ticks are run at once, not skipped."""

    def __init__(self, interval, callback):
        if interval <= 0:
            raise ValueError("Timer interval must be > 0 seconds, got %r" % (interval,))
        self.interval = float(interval)
        self.callback = callback
        self._stop = threading.Event()
        self._thread = None
        self.error = None

    def start(self):
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="libpyacq-Timer", daemon=True)
        self._thread.start()

    def _run(self):
        import time
        due = time.monotonic()
        while True:
            due += self.interval
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return
            try:
                self.callback()
            except Exception as exc:  # noqa: BLE001
                self.error = exc
                logger.exception("Timer callback failed; the timer stops")
                return

    def stop(self):
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def is_active(self):
        thread = self._thread
        return thread is not None and thread.is_alive() and not self._stop.is_set()

    isActive = is_active
