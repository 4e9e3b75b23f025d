"""Shared helpers of the distributed-graph tests (test_interop_graph.py, test_host_peer.py,
test_multihost_netns.py) and of benchmarks/graph_bench.py: host processes, /proc process
inspection, bounded polling, the sample-by-sample check of a known ramp buffer, and the
fixtures and manager stand-in of the host tests. Only the spec peer (no libpyacq binding) is
used here.
"""

import os
import re
import selectors
import signal
import subprocess
import sys
import threading
import time
import uuid

import numpy as np
import pytest

from specpeer import RPCClient

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN_DIR = os.path.join(REPO, "build", "bin")
HOST_EXE = os.path.join(BIN_DIR, "pyacq-host")
NODEGROUP_EXE = os.path.join(BIN_DIR, "pyacq-nodegroup")
PY_NODEGROUP_CHILD = os.path.join(HERE, "specpeer", "nodegroup_child.py")
RUNNING_RE = re.compile(r"Running server at: (\S+)")


def missing_binaries():
    """A message if `make lib` has not produced the executables, else None."""
    missing = [p for p in (HOST_EXE, NODEGROUP_EXE) if not os.access(p, os.X_OK)]
    if missing:
        return f"missing {', '.join(missing)}: run 'make lib' first"
    return None


@pytest.fixture(autouse=True)
def require_binaries():
    """Autouse in the test modules that import it: each test fails unless `make lib` has
    produced the executables."""
    problem = missing_binaries()
    if problem:
        pytest.fail(problem)


def unique(prefix="ng"):
    """A node group (or process) name no other test uses: `<prefix>-<8 hex digits>`."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_until(predicate, timeout, interval=0.01, message="condition not reached"):
    """Bounded polling: returns predicate()'s truthy value, raises AssertionError at timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} within {timeout} s")
        time.sleep(interval)


# ------------------------------------------------------------------ /proc

def _stat_fields(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            text = handle.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm may contain spaces/parens: fields after the last ')'
    return text[text.rindex(")") + 2:].split()


def pid_alive(pid):
    """True if `pid` exists and is not a zombie (a dead child nobody reaped yet)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def child_pids(pid):
    """Live processes whose parent is `pid`."""
    result = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(entry)
            if fields is not None and int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                result.append(int(entry))
    return sorted(result)


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return [a.decode("utf-8", "replace") for a in handle.read().split(b"\0") if a]
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []


def nodegroup_pids(name, executable="pyacq-nodegroup"):
    """Live processes started as `<...executable> -m pyacq.core.rpc.bootstrap <name>` (what
    `pgrep -f` would find, without matching other engineers' processes with other names)."""
    result = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        argv = cmdline(entry)
        if (len(argv) >= 4 and os.path.basename(argv[0]) == executable and argv[-1] == name
                and "pyacq.core.rpc.bootstrap" in argv and pid_alive(int(entry))):
            result.append(int(entry))
    return sorted(result)


def wait_gone(pids, timeout, what="process"):
    pids = list(pids)
    wait_until(lambda: not any(pid_alive(p) for p in pids), timeout,
               message=f"{what} {[p for p in pids if pid_alive(p)]} still alive")


# ------------------------------------------------------------------ host processes

class HostProcess:
    """A host server subprocess (`pyacq-host ADDR` or `python -m specpeer.host_peer ADDR`)
    whose first stdout line is `Running server at: <address>`. Later output is drained
    into `lines` so that a chatty child can never block on a full pipe."""

    def __init__(self, argv, env=None, start_timeout=15.0, stdin=False):
        self.argv = list(argv)
        child_env = dict(os.environ if env is None else env)
        child_env["PYTHONPATH"] = os.pathsep.join(
            [HERE] + [p for p in child_env.get("PYTHONPATH", "").split(os.pathsep) if p])
        self.process = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                        env=child_env)
        self.pid = self.process.pid
        self.lines = []
        self.known_children = set()
        try:
            first = self._read_first_line(start_timeout)
            match = RUNNING_RE.search(first)
            if not match:
                raise RuntimeError(f"{self.argv[0]} printed {first!r} instead of "
                                   "'Running server at: <address>'")
            self.address = match.group(1)
        except BaseException:
            self.kill()
            raise
        self._drain = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drain.start()

    def _read_first_line(self, timeout):
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        data = b""
        deadline = time.monotonic() + timeout
        try:
            while b"\n" not in data:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.argv} printed no address within {timeout} s")
                if selector.select(remaining):
                    chunk = os.read(self.process.stdout.fileno(), 1)
                    if not chunk:
                        raise RuntimeError(f"{self.argv} exited with code {self.process.wait()} "
                                           f"after printing {data!r}")
                    data += chunk
        finally:
            selector.close()
        return data.decode("utf-8", "replace")

    def _drain_stdout(self):
        for raw in iter(self.process.stdout.readline, b""):
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def children(self):
        """Current child processes (remembered for `stop`'s leftover check)."""
        pids = child_pids(self.pid)
        self.known_children.update(pids)
        return pids

    def alive(self):
        return self.process.poll() is None

    def terminate(self, timeout=10.0):
        """SIGTERM, wait, SIGKILL if needed. Returns the exit code."""
        self.children()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        return self.kill()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        code = self.process.wait()
        if self.process.stdin:
            self.process.stdin.close()
        return code

    def kill_leftovers(self):
        """Last-resort cleanup: SIGKILL every remembered child still alive; returns them."""
        left = [p for p in self.known_children if pid_alive(p)]
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return left


def host_proxy(address):
    """A spec-peer proxy to the `host` object served at `address` (by a HostProcess)."""
    client = RPCClient(address)
    return client.proxy(client.get_item("host"))


class ManagerPeer:
    """The part of a Manager a Host calls back (§7.2): `nodegroup_closed(ng)`."""

    def __init__(self):
        self.closed = []
        self.event = threading.Event()

    def nodegroup_closed(self, nodegroup):
        self.closed.append((time.monotonic(), nodegroup))
        self.event.set()


def start_swift_host(address="tcp://127.0.0.1:*", wrapper=(), env=None):
    """`pyacq-host ADDRESS`, optionally under a wrapper argv (e.g. `ip netns exec NS`)."""
    return HostProcess(list(wrapper) + [HOST_EXE, address], env=env)


def start_python_host(address="tcp://127.0.0.1:*", poll_interval=0.25, env=None, extra=()):
    return HostProcess([sys.executable, "-m", "specpeer.host_peer", address,
                        "--poll-interval", str(poll_interval), "--exit-on-stdin-eof",
                        *extra], env=env, stdin=True)


# ------------------------------------------------------------------ data

def ramp_buffer(rows, channels, dtype="int32"):
    """Sample s, channel c holds s * 100 + c."""
    return (np.arange(rows)[:, None] * 100 + np.arange(channels)[None, :]).astype(dtype)


class RampChecker:
    """Checks chunks of a device looping over `ramp_buffer(rows, channels)`: from the first
    chunk received on (earlier ones may be lost to the slow joiner), every index must follow
    the previous one without a gap and every sample must hold its value."""

    def __init__(self, rows, channels, dtype="int32"):
        self.rows, self.channels = rows, channels
        self.expected = ramp_buffer(rows, channels, dtype)
        self.first = None
        self.index = None
        self.samples = 0

    def add(self, index, data):
        data = np.asarray(data)
        n = data.shape[0]
        start = index - n
        if self.first is None:
            self.first = start
        elif start != self.index:
            raise AssertionError(f"gap or overlap: chunk [{start}, {index}) after index "
                                 f"{self.index}")
        rows = np.arange(start, index) % self.rows
        wrong = np.argwhere(data != self.expected[rows])
        if len(wrong):
            r, c = wrong[0]
            raise AssertionError(f"sample {start + r} channel {c} holds {data[r, c]}, "
                                 f"expected {self.expected[rows[r], c]}")
        self.index = index
        self.samples += n


def receive_ramp(stream, checker, until_index, timeout_ms=5000):
    """Receive from a specpeer InputStream into `checker` until index >= until_index."""
    while checker.index is None or checker.index < until_index:
        assert stream.poll(timeout_ms), (f"no chunk within {timeout_ms} ms "
                                         f"(last index {checker.index})")
        index, data = stream.recv()
        checker.add(index, np.array(data))
    return checker
