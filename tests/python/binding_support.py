"""Shared helpers of the libpyacq binding tests (test_binding_*.py, test_interop_streams.py)."""

import contextlib
import os
import queue
import struct
import subprocess
import sys
import threading

import numpy as np

import libpyacq

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 5.0  # seconds, for every wait that should succeed

# Every dtype of PROTOCOL §13 the binding must carry (id, dtype).
NUMERIC_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                  "float16", "float32", "float64", "complex64", "complex128", "bool"]
STRUCTURED = np.dtype([("index", "<i8"), ("label", "S4"), ("jitter", "<f8")])
STRUCTURED_SUBARRAY = np.dtype([("index", "<i8"), ("xyz", "<f4", (3,)), ("flag", "?")])
OTHER_DTYPES = {
    ">f4": np.dtype(">f4"),
    "|S4": np.dtype("S4"),
    "<U3": np.dtype("<U3"),
    "datetime64[ms]": np.dtype("datetime64[ms]"),
    "structured": STRUCTURED,
    "structured-subarray": STRUCTURED_SUBARRAY,
}
ALL_DTYPES = {name: np.dtype(name) for name in NUMERIC_DTYPES}
ALL_DTYPES.update(OTHER_DTYPES)

# configure() keywords per transport (ipc tests must chdir: pipe names are relative paths).
TRANSPORTS = {
    "tcp": {},
    "ipc": {"protocol": "ipc"},
    "inproc": {"protocol": "inproc"},
    "tcp-blosc-lz4": {"compression": "blosc-lz4"},
    "tcp-blosc-blosclz": {"compression": "blosc-blosclz"},
    "ipc-blosc-lz4": {"protocol": "ipc", "compression": "blosc-lz4"},
    "inproc-blosc-blosclz": {"protocol": "inproc", "compression": "blosc-blosclz"},
    "sharedmem-single": {"transfermode": "sharedmem", "buffer_size": 64, "double": False},
    "sharedmem-double": {"transfermode": "sharedmem", "buffer_size": 64, "double": True},
    "sharedmem-single-axisorder10": {"transfermode": "sharedmem", "buffer_size": 64, "double": False,
                                     "axisorder": [1, 0]},
    "sharedmem-double-axisorder10": {"transfermode": "sharedmem", "buffer_size": 64, "double": True,
                                     "axisorder": [1, 0]},
}


def values(numbers, dtype):
    """Deterministic values of `dtype` from an int64 array (structured: per field, with the
    sub-array axes appended)."""
    dtype = np.dtype(dtype)
    if dtype.names is not None:
        out = np.zeros(numbers.shape, dtype)
        for j, name in enumerate(dtype.names):
            field = dtype.fields[name][0]
            if field.subdtype is not None:
                base, sub = field.subdtype
                extra = np.arange(int(np.prod(sub))).reshape(sub)
                nums = numbers.reshape(numbers.shape + (1,) * len(sub)) * 10 + extra + 100 * j
                out[name] = values(nums, base)
            else:
                out[name] = values(numbers + 100 * j, field)
        return out
    kind = dtype.kind
    if kind == "b":
        return numbers % 3 == 0
    if kind in "SU":
        return numbers.astype(str).astype(dtype)
    if kind in "Mm":
        return numbers.astype(np.int64).astype(dtype)
    if kind == "c":
        return (numbers * 0.5 + 1j * (numbers + 0.25)).astype(dtype)
    if kind == "f":
        return (numbers * 0.5).astype(dtype)
    return numbers.astype(dtype)


def chunk(dtype, rows, frame_shape=(3,), start=0):
    """C-contiguous chunk of `rows` samples starting at sample `start`."""
    frame = int(np.prod(frame_shape, dtype=np.int64))
    numbers = (np.arange(start, start + rows, dtype=np.int64)[:, None] * 1000
               + np.arange(frame, dtype=np.int64)[None, :]).reshape((rows,) + tuple(frame_shape))
    return values(numbers, dtype)


LAYOUTS = ("c", "reversed", "strided", "transposed", "reversed-both", "column-slice")


def layout(array, how):
    """The same values as `array` (2-D) in another memory layout."""
    if how == "c":
        return array
    if how == "reversed":  # negative first stride, data pointer at the end of the block
        return array[::-1].copy()[::-1]
    if how == "reversed-both":
        return array[::-1, ::-1].copy()[::-1, ::-1]
    if how == "strided":  # every other row of a taller array: not contiguous
        tall = np.zeros((2 * array.shape[0],) + array.shape[1:], array.dtype)
        tall[::2] = array
        return tall[::2]
    if how == "transposed":  # Fortran order: contiguous, strides (itemsize, n*itemsize)
        return np.asfortranarray(array)
    if how == "column-slice":  # columns 1..n of a wider array
        wide = np.zeros(array.shape[:-1] + (array.shape[-1] + 2,), array.dtype)
        wide[..., 1:-1] = array
        return wide[..., 1:-1]
    raise ValueError(how)


def assert_same(received, expected):
    assert received.dtype == expected.dtype, (received.dtype, expected.dtype)
    assert received.shape == expected.shape, (received.shape, expected.shape)
    equal_nan = received.dtype.kind in "fc"
    assert np.array_equal(received, expected, equal_nan=equal_nan), (received, expected)


@contextlib.contextmanager
def connected(dtype="float32", shape=(-1, 3), input_spec=None, **kwargs):
    """A configured libpyacq OutputStream with a connected InputStream whose subscription is
    known to have arrived (no slow-joiner loss, no sleeps)."""
    output = libpyacq.OutputStream()
    stream = libpyacq.InputStream(spec=input_spec)
    try:
        output.configure(dtype=libpyacq.dtype_param(dtype), shape=list(shape), **kwargs)
        stream.connect(output)
        output.wait_for_subscribers(1, timeout=TIMEOUT)
        yield output, stream
    finally:
        stream.close()
        output.close()


def pointer(array):
    return array.__array_interface__["data"][0]


def byte_range(array):
    """[low, high) addresses an array's elements occupy."""
    low = high = pointer(array)
    for n, s in zip(array.shape, array.strides):
        if s < 0:
            low += (n - 1) * s
        else:
            high += (n - 1) * s
    return low, high + array.dtype.itemsize


# ------------------------------------------------------------------ subprocesses

def subprocess_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (HERE, os.path.join(HERE, "..", "..", "bindings", "python"),
                                                    env.get("PYTHONPATH")) if p)
    return env


class LineReader:
    """Reads a child's stdout lines on a thread, so a test can wait with a timeout."""

    def __init__(self, process):
        self.process = process
        self.lines = queue.Queue()
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next(self, timeout=10 * TIMEOUT):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no output from the child within %s s" % timeout) from None
        if line is None:
            raise AssertionError("child ended early (rc=%s): %s"
                                 % (self.process.wait(), self.process.stderr.read()))
        return line

    def rest(self, timeout=10 * TIMEOUT):
        """Every remaining line, once the child closed stdout."""
        lines = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError("child still running after %s s" % timeout) from None
            if line is None:
                return lines
            lines.append(line)


def spawn(args, cwd, stdin=False):
    process = subprocess.Popen([sys.executable] + list(args), cwd=cwd, env=subprocess_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, text=True)
    return process, LineReader(process)


# ------------------------------------------------------------------ process trees

def descendants(pid=None):
    """(pid, command name) of every live descendant of `pid` (default: this process), from
    /proc. Zombies (already exited, not yet reaped) are left out."""
    pid = os.getpid() if pid is None else pid
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                stat = handle.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] == "Z":
            continue
        children.setdefault(int(fields[1]), []).append((int(entry), comm))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def nodegroup_processes(pid=None):
    return [p for p, comm in descendants(pid) if comm.startswith("pyacq-nodegroup")]


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            stat = handle.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


def wait_until(predicate, timeout=TIMEOUT, what="condition"):
    """Bounded polling (no fixed sleeps): returns once predicate() holds."""
    import time
    deadline = time.monotonic() + timeout
    event = threading.Event()
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("%s not reached within %s s" % (what, timeout))
        event.wait(0.005)


def plaindata_header(shape, strides, index, offset=0):
    """A plaindata header frame (PROTOCOL §9) as a hostile or raw peer would send it."""
    words = [len(shape), index, offset] + list(shape)
    return struct.pack(">%dQ" % len(words), *words) + struct.pack(">%dq" % len(strides), *strides)


@contextlib.contextmanager
def raw_publisher(shape=(-1, 4)):
    """A bare ZeroMQ XPUB standing in for a producer, and a libpyacq InputStream connected to it
    whose subscription has arrived: (publisher, stream)."""
    import zmq
    publisher = zmq.Context.instance().socket(zmq.XPUB)
    publisher.setsockopt(zmq.LINGER, 0)
    port = publisher.bind_to_random_port("tcp://127.0.0.1")
    stream = libpyacq.InputStream()
    try:
        stream.connect({"protocol": "tcp", "interface": "127.0.0.1", "port": str(port), "transfermode": "plaindata",
                        "streamtype": "analogsignal", "dtype": "float32", "shape": list(shape), "compression": ""})
        assert publisher.poll(TIMEOUT * 1000)
        publisher.recv()  # the subscription
        yield publisher, stream
    finally:
        stream.close()
        publisher.close()
