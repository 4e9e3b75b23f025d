"""libpyacq's built-in (Swift) nodes created in this process, used as pyacq's node classes are::

    import scipy.signal
    from libpyacq import NumpyDeviceBuffer, SosFilter, InputStream

    dev = NumpyDeviceBuffer()
    dev.configure(nb_channel=4, sample_interval=0.001, chunksize=100, buffer=signals)
    dev.output.configure(protocol='tcp', interface='127.0.0.1', transfermode='plaindata')
    dev.initialize()
    filt = SosFilter()
    filt.configure(coefficients=scipy.signal.butter(4, 0.1, output='sos'))
    filt.input.connect(dev.output)          # or a NodeProxy's output in a node group
    filt.output.configure(protocol='tcp', interface='127.0.0.1', transfermode='plaindata')
    filt.initialize()

Each node's work runs on its own threads inside libpyacq (no GIL); its streams are ordinary
libpyacq OutputStream / InputStream objects (send / recv / configure / connect), so a local node
connects to other local nodes, to nodes in spawned node groups and to original pyacq peers.
The node is closed by close(), or when the object is garbage-collected.

Errors are libpyacq errors that also derive from the built-in exception the node names (e.g.
``TypeError`` for an unexpected configure keyword, ``KeyError`` for an unknown parameter).
"""

import ctypes
from collections import OrderedDict

from . import _capi
from ._capi import lib
from ._handle import HandleKeeper
from .errors import ClosedError, PyAcqError, RemoteError, typed_error
from .node import NodeStateError
from .rpc import from_json, to_json
from .stream import InputStream, OutputStream

__all__ = ["SwiftNode", "SWIFT_NODE_CLASSES", "NumpyDeviceBuffer", "StreamConverter", "ChannelSplitter", "SosFilter",
           "OverlapFiltfilt", "AnalogTrigger", "DigitalTrigger", "TriggerAccumulator", "RawRecorder", "ChunkResizer",
           "TimeFreqWorker", "AviRecorder", "WebCamImageIO", "WebCamAV", "MeasurementComputing", "PyAudio", "Emotiv", "BrainAmpSocket",
           "OpenBCI", "NIDAQmx", "Blackrock", "OpenEphysGUIRelay"]

#: Seconds a lifecycle call may take (connecting to a remote output fetches its params).
NODE_TIMEOUT = 30.0


def _check(status, context):
    """check() for node calls: the error also derives from the built-in exception the node
    named (pyacq_last_error_type)."""
    if status == 0:
        return
    type_name = _capi._thread_text(lib.pyacq_last_error_type)
    try:
        _capi.check(status, context)
    except RemoteError:
        raise
    except PyAcqError as exc:
        raise typed_error(exc, type_name.rpartition(".")[2]) from None


class _NodeParams:
    """``node.params``: the node's runtime parameters (``params['threshold'] = 1.``); reads and
    writes go to the node at once."""

    def __init__(self, node):
        self._node = node

    def __getitem__(self, key):
        return self._node._call("params.__getitem__", key)

    def __setitem__(self, key, value):
        self._node._call("params.__setitem__", key, value)

    def keys(self):
        return list(self._node._call("params.keys"))

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __contains__(self, key):
        return key in self.keys()

    def items(self):
        return list(self._get_value().items())

    def values(self):
        return list(self._get_value().values())

    def get(self, key, default=None):
        return self._get_value().get(key, default)

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def _get_value(self):
        """All parameters as a dict (pyacq code calls ``params._get_value()`` on proxies)."""
        return self._node._get("params") or {}

    def __repr__(self):
        return "<params of %s: %r>" % (self._node.name, self._get_value())


class SwiftNode:
    """A libpyacq node of a registered Swift type living in this process (pyacq's Node surface).

    ``configure(**kwargs)``, ``initialize()``, ``start()``, ``stop()``, ``close()``,
    ``running()`` / ``configured()`` / ``initialized()`` / ``closed()``; ``inputs`` / ``outputs``
    (ordered dicts of libpyacq InputStream / OutputStream) and the ``input`` / ``output``
    shortcuts; ``params[name]`` read / write; node attributes (``stack``, ``total_trig``...) and
    node methods (``set_coefficients``, ``add_annotations``...) by name. Subclasses name their
    type with ``_type_name`` (default: the class name); ``SwiftNode('SosFilter')`` works too.
    """

    _type_name = None

    def __init__(self, name="", parent=None, type_name=None, timeout=NODE_TIMEOUT):
        type_name = type_name or self._type_name or type(self).__name__
        if not isinstance(type_name, str) or not type_name:
            raise TypeError("SwiftNode needs the name of a registered node type (a str), got %r" % (type_name,))
        handle = _capi.NodeHandle()
        _check(lib.pyacq_node_create_local(type_name.encode("utf-8"), str(name).encode("utf-8") if name else None,
                                           ctypes.byref(handle)),
               "create local node %r" % type_name)
        object.__setattr__(self, "_keeper", HandleKeeper(handle, lib.pyacq_node_destroy))
        self.type_name = type_name
        self.name = name or type_name
        self.timeout = timeout
        self.parent = parent
        self._streams = {}   # (kind, name) -> adopted stream, dropped when the node may change them
        self.params = _NodeParams(self)

    # ------------------------------------------------------------ C calls
    def _handle(self):
        keeper = self._keeper
        if keeper is None:
            raise ClosedError("node %r was released" % self.name)
        return keeper.handle

    def _ms(self):
        return _capi.timeout_ms(self.timeout)

    def _call(self, path, *args, **kwargs):
        """Calls the node method designated by the dotted `path`; its result by value."""
        out = ctypes.c_void_p()
        _check(lib.pyacq_node_call(self._handle(), path.encode("utf-8"), to_json(list(args)), to_json(kwargs),
                                   self._ms(), ctypes.byref(out)),
               "%s.%s" % (self.name, path))
        return from_json(_capi.take_string(out.value))

    def _get(self, path):
        """The node attribute designated by the dotted `path`, by value."""
        out = ctypes.c_void_p()
        _check(lib.pyacq_node_get(self._handle(), path.encode("utf-8"), self._ms(), ctypes.byref(out)),
               "%s.%s" % (self.name, path))
        return from_json(_capi.take_string(out.value))

    # ------------------------------------------------------------ lifecycle
    def configure(self, **kwargs):
        _check(lib.pyacq_node_configure(self._handle(), to_json(kwargs), self._ms()), "configure %s" % self.name)
        self._streams.clear()  # configure may add streams (RawRecorder inputs, ChannelSplitter outputs)

    def initialize(self):
        _check(lib.pyacq_node_initialize(self._handle(), self._ms()), "initialize %s" % self.name)

    def start(self):
        _check(lib.pyacq_node_start(self._handle(), self._ms()), "start %s" % self.name)

    def stop(self):
        _check(lib.pyacq_node_stop(self._handle(), self._ms()), "stop %s" % self.name)

    def close(self):
        """Stops the node if it runs and closes it with its streams. Idempotent."""
        if self._keeper is None or self.closed():
            return
        _check(lib.pyacq_node_close(self._handle(), self._ms()), "close %s" % self.name)

    def running(self):
        return bool(self._call("running"))

    def configured(self):
        return bool(self._call("configured"))

    def initialized(self):
        return bool(self._call("initialized"))

    def closed(self):
        return bool(self._call("closed"))

    # ------------------------------------------------------------ streams
    def _names(self, kind):
        return [str(name) for name in self._call(kind + "s.keys")]

    def _stream(self, kind, name):
        cached = self._streams.get((kind, name))
        if cached is not None and not cached.closed:
            return cached
        stream = _capi.StreamHandle()
        function = lib.pyacq_node_output if kind == "output" else lib.pyacq_node_input
        _check(function(self._handle(), name.encode("utf-8"), self._ms(), ctypes.byref(stream)),
               "%ss[%r] of %s" % (kind, name, self.name))
        node_stream = HandleKeeper(stream, lib.pyacq_stream_destroy)
        if kind == "output":
            handle = _capi.OutputHandle()
            _check(lib.pyacq_stream_local(stream, ctypes.byref(handle), None), "output %r of %s" % (name, self.name))
            adopted = OutputStream._adopt(handle, node_stream, name=name, node=self)
        else:
            handle = _capi.InputHandle()
            _check(lib.pyacq_stream_local(stream, None, ctypes.byref(handle)), "input %r of %s" % (name, self.name))
            adopted = InputStream._adopt(handle, node_stream, name=name, node=self)
        self._streams[(kind, name)] = adopted
        return adopted

    def _all(self, kind):
        return OrderedDict((name, self._stream(kind, name)) for name in self._names(kind))

    @property
    def outputs(self):
        """Ordered dict name -> OutputStream (read again from the node on each access)."""
        return self._all("output")

    @property
    def inputs(self):
        """Ordered dict name -> InputStream (read again from the node on each access)."""
        return self._all("input")

    def _only(self, kind):
        names = self._names(kind)
        if len(names) != 1:
            raise NodeStateError("%s.%s is a shortcut for nodes with exactly 1 %s (%s has %d)"
                                 % (type(self).__name__, kind, kind, self.name, len(names)))
        return self._stream(kind, names[0])

    @property
    def output(self):
        return self._only("output")

    @property
    def input(self):
        return self._only("input")

    # Hooks called by the node's own stream objects.
    def after_input_connect(self, inputname):
        self._streams = {key: s for key, s in self._streams.items() if key[0] == "input"}  # outputs may change

    def after_output_configure(self, outputname):
        pass

    # ------------------------------------------------------------ node-specific attributes
    def call(self, method, *args, **kwargs):
        """Calls the node-specific method `method` (a dotted path such as "set_coefficients");
        its result by value. The subclasses name the known ones as Python methods."""
        return self._call(method, *args, **kwargs)

    def __getattr__(self, name):
        """Node attributes with a value (e.g. ``sample_interval``, ``start_time``)."""
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._get(name)
        except PyAcqError as exc:
            # A name the node does not know answers "is a method": methods are called with call().
            raise AttributeError("%s %r has no attribute %r (node methods: node.call(%r, ...))"
                                 % (type(self).__name__, self.name, name, name)) from None

    def __repr__(self):
        if self._keeper is None:
            return "<%s %r released>" % (type(self).__name__, self.name)
        try:
            state = ("closed" if self.closed() else "running" if self.running() else "initialized"
                     if self.initialized() else "configured" if self.configured() else "new")
        except PyAcqError:
            state = "?"
        return "<%s %r (local libpyacq node) %s>" % (type(self).__name__, self.name, state)


# ----------------------------------------------------------------------------- built-in node types

class NumpyDeviceBuffer(SwiftNode):
    """Streams a numpy buffer in a loop, chunk by chunk at the sample rate (pyacq.NumpyDeviceBuffer):
    ``configure(nb_channel, sample_interval, chunksize, buffer=None, ...)``."""


class StreamConverter(SwiftNode):
    """Relays its input 'in' to its output 'out', converting the transfer mode / protocol
    (pyacq.StreamConverter)."""


class ChannelSplitter(SwiftNode):
    """One output per group of channels: ``configure(output_channels={name: [channels]})``; the
    outputs exist once the input is connected (pyacq.ChannelSplitter)."""


class _Filter(SwiftNode):
    def set_coefficients(self, coefficients):
        """Replaces the filter coefficients (also while running)."""
        self._call("set_coefficients", coefficients)


class SosFilter(_Filter):
    """Causal IIR filter in second-order sections, state kept across chunks (pyacq.SosFilter):
    ``configure(coefficients=sos, engine='scipy', chunksize=None)``."""


class OverlapFiltfilt(_Filter):
    """Zero-phase (forward-backward) filtering over overlapping chunks (pyacq.OverlapFiltfilt):
    ``configure(chunksize, overlapsize, coefficients, engine='scipy')``."""


class AnalogTrigger(SwiftNode):
    """Threshold crossings of one channel as events (pyacq.AnalogTrigger); params channel,
    threshold, front, debounce_mode, debounce_time."""


class DigitalTrigger(SwiftNode):
    """Bit changes of a digital channel as events (pyacq.DigitalTrigger)."""


class TriggerAccumulator(SwiftNode):
    """Stacks signal sweeps around trigger events (pyacq.TriggerAccumulator): inputs 'signals'
    and 'events', params left_sweep / right_sweep / stack_size; ``stack`` and ``total_trig``."""

    @property
    def stack(self):
        """(stack_size, channels, sweep samples) float64 array of the last sweeps."""
        return self._get("stack")

    @property
    def total_trig(self):
        """Number of triggers whose sweep was stacked."""
        return self._get("total_trig")


class TimeFreqWorker(SwiftNode):
    """Morlet wavelet scalogram of one channel (pyacq's TimeFreqWorker, in Swift on FFTW):
    ``configure(channel=0, local=True, max_xsize=60., auto_compute=False, xsize=10., f_start=3.,
    f_stop=90., deltafreq=3., f0=2.5, normalisation=0.)``; input 'signals', output 'timefreq'
    ((plot_length, n_freqs) float32 maps, index = the head they end at). Those settings are also
    ``params``; ``worker_params`` gives the derived sizes, ``frequencies`` the analysed ones."""

    def compute_one_map(self, head, _sync=None):
        """Asks for the map ending at sample `head` (returns at once; the map arrives on the
        output; a request made while one is computed replaces the waiting one)."""
        self._call("compute_one_map", int(head))

    def on_fly_change_wavelet(self, **worker_params):
        """pyacq's form: wavelet_fourrier (complex (len_wavelet, n_freqs)), downsample_factor,
        sig_chunk_size, plot_length, filter_sos (unused: the sub-sampling filter is an ideal
        low-pass); or settings by name (xsize, f_start, ...)."""
        self._call("on_fly_change_wavelet", **worker_params)


class RawRecorder(SwiftNode):
    """Records streams to raw files plus stream_properties.json (pyacq.RawRecorder):
    ``configure(streams=[outputs or proxies], autoconnect=True, dirname=...)``."""

    def add_annotations(self, **kwargs):
        """Saves key/values in annotations.json next to the recording."""
        self._call("add_annotations", **kwargs)


class ChunkResizer(SwiftNode):
    """Re-cuts its input into chunks of ``chunksize`` rows (pyacq.ChunkResizer)."""


class AviRecorder(SwiftNode):
    """Records video streams to files (pyacq.AviRecorder)."""


# Device nodes of pyacq.devices: Swift node types of the device modules. Creating one of a type
# the loaded library lacks raises ParamsError naming it and listing the registered types.
class WebCamImageIO(SwiftNode):
    """Webcam frames (pyacq.WebCamImageIO)."""


class WebCamAV(SwiftNode):
    """Webcam frames through FFmpeg (pyacq.WebCamAV)."""


class MeasurementComputing(SwiftNode):
    """Measurement Computing DAQ boards (pyacq.MeasurementComputing)."""


class PyAudio(SwiftNode):
    """Audio input/output (pyacq.PyAudio)."""


class Emotiv(SwiftNode):
    """Emotiv EEG headset (pyacq.Emotiv)."""


class BrainAmpSocket(SwiftNode):
    """Brain Products amplifiers through the RDA socket of their recorder (pyacq.BrainAmpSocket)."""


class OpenBCI(SwiftNode):
    """OpenBCI EEG boards (pyacq.OpenBCI)."""


class NIDAQmx(SwiftNode):
    """National Instruments DAQmx boards (pyacq.NIDAQmx)."""


class Blackrock(SwiftNode):
    """Blackrock Cerebus systems (pyacq.Blackrock)."""


class OpenEphysGUIRelay(SwiftNode):
    """Relay of the Open Ephys GUI's stream (pyacq.OpenEphysGUIRelay)."""


#: Class of each node type name (create_local_node makes these for Swift types).
SWIFT_NODE_CLASSES = OrderedDict((cls.__name__, cls) for cls in (
    NumpyDeviceBuffer, StreamConverter, ChannelSplitter, SosFilter, OverlapFiltfilt, AnalogTrigger, DigitalTrigger,
    TriggerAccumulator, RawRecorder, ChunkResizer, TimeFreqWorker, AviRecorder, WebCamImageIO, WebCamAV, MeasurementComputing,
    PyAudio, Emotiv, BrainAmpSocket, OpenBCI, NIDAQmx, Blackrock, OpenEphysGUIRelay))
