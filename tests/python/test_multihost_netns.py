"""Two hosts on two "machines": network namespaces joined to the root namespace by veth pairs,
routed through the root namespace (PROTOCOL.md §7.3, §8.3 across hosts).

    ns1 (host 1)  169.254.N.2/30 ==veth== 169.254.N.1  root  169.254.N.5 ==veth== 169.254.N.6/30  ns2 (host 2)

A `pyacq-host tcp://<ns-ip>:*` runs in each namespace (`ip netns exec`). From the root namespace
a spec-peer manager creates a NodeGroup on each host, a NumpyDeviceBuffer on host 1 and a
StreamConverter on host 2 connected to it with `input.connect(<proxy of the host-1 output>)`
(the host-2 process fetches the params from host 1 itself), and reads host 2's output here.

Addresses: only link-local 169.254.N.0/29 (N random, checked unused); each namespace has a route
to the other /30 only (no default route), so nothing can target an address outside these
namespaces. Forwarding is enabled only on the two root-side veths (per-interface sysctl; the
global `ip_forward` is left alone and checked unchanged). Everything is torn down even on failure.

Needs root (CAP_NET_ADMIN) and iproute2: without them the test FAILS with the reason.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import uuid

import pytest

from graph_support import (RampChecker, missing_binaries, pid_alive, ramp_buffer, receive_ramp,
                           start_python_host, start_swift_host, wait_gone)
from specpeer import InputStream, RPCClient

ROWS, CHANNELS, CHUNK = 128, 4, 16
IP = shutil.which("ip") or "/usr/sbin/ip"


def run_ip(*args, check=True, timeout=10):
    result = subprocess.run([IP, *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"`ip {' '.join(args)}` failed ({result.returncode}): "
                           f"{result.stderr.strip()}")
    return result


def read_sysctl(path):
    with open(path) as handle:
        return handle.read().strip()


def write_sysctl(path, value):
    with open(path, "w") as handle:
        handle.write(value)


def check_privileges():
    if not os.access(IP, os.X_OK):
        pytest.fail("multi-host test needs iproute2 (`ip`): install it (scripts/install-deps.sh)")
    probe = f"pyacq-probe-{uuid.uuid4().hex[:6]}"
    result = run_ip("netns", "add", probe, check=False)
    if result.returncode != 0:
        pytest.fail("multi-host test needs root / CAP_NET_ADMIN to create network namespaces "
                    f"(`ip netns add` failed: {result.stderr.strip()}); run it as root")
    run_ip("netns", "del", probe, check=False)


def pick_subnet():
    """A third octet N with nothing of 169.254.N.* configured or routed in the root ns."""
    used = run_ip("-4", "-o", "addr", "show").stdout + run_ip("-4", "route", "show").stdout
    for _ in range(100):
        n = random.randint(64, 250)
        if f"169.254.{n}." not in used:
            return n
    raise RuntimeError("no free 169.254.N.0/29 subnet found")


class Net:
    """Two namespaces, two veth pairs, routes via the root namespace."""

    def __init__(self):
        suffix = uuid.uuid4().hex[:6]
        n = pick_subnet()
        self.ns = [f"pyacq-h1-{suffix}", f"pyacq-h2-{suffix}"]
        self.root_if = [f"pq{suffix}r1", f"pq{suffix}r2"]
        self.ns_if = [f"pq{suffix}n1", f"pq{suffix}n2"]
        self.root_ip = [f"169.254.{n}.1", f"169.254.{n}.5"]
        self.ns_ip = [f"169.254.{n}.2", f"169.254.{n}.6"]
        self.subnet = [f"169.254.{n}.0/30", f"169.254.{n}.4/30"]
        self.created_ns, self.created_if = [], []
        self.ip_forward = read_sysctl("/proc/sys/net/ipv4/ip_forward")

    def setup(self):
        for i in (0, 1):
            other = 1 - i
            run_ip("netns", "add", self.ns[i])
            self.created_ns.append(self.ns[i])
            run_ip("link", "add", self.root_if[i], "type", "veth", "peer", "name", self.ns_if[i])
            self.created_if.append(self.root_if[i])
            run_ip("link", "set", self.ns_if[i], "netns", self.ns[i])
            run_ip("addr", "add", f"{self.root_ip[i]}/30", "dev", self.root_if[i])
            run_ip("link", "set", self.root_if[i], "up")
            run_ip("-n", self.ns[i], "link", "set", "lo", "up")  # spawn handshakes use 127.0.0.1
            run_ip("-n", self.ns[i], "addr", "add", f"{self.ns_ip[i]}/30", "dev", self.ns_if[i])
            run_ip("-n", self.ns[i], "link", "set", self.ns_if[i], "up")
            # Only the other namespace's /30 is reachable (no default route).
            run_ip("-n", self.ns[i], "route", "add", self.subnet[other], "via", self.root_ip[i])
            # Forwarding for these interfaces only (the sysctl dies with the veth).
            write_sysctl(f"/proc/sys/net/ipv4/conf/{self.root_if[i]}/forwarding", "1")

    def teardown(self):
        errors = []
        for name in self.created_if:
            try:
                write_sysctl(f"/proc/sys/net/ipv4/conf/{name}/forwarding", "0")
            except OSError:
                pass
        for ns in self.created_ns:
            pids = run_ip("netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            try:
                wait_gone([int(p) for p in pids], 5.0, f"process in {ns}")
            except AssertionError as exc:
                errors.append(str(exc))
            result = run_ip("netns", "del", ns, check=False)
            if result.returncode:
                errors.append(result.stderr.strip())
        for name in self.created_if:
            if run_ip("link", "show", name, check=False).returncode == 0:
                run_ip("link", "del", name, check=False)
        if read_sysctl("/proc/sys/net/ipv4/ip_forward") != self.ip_forward:
            write_sysctl("/proc/sys/net/ipv4/ip_forward", self.ip_forward)
            errors.append("global ip_forward changed during the test (restored)")
        left = [n for n in self.created_ns if n in run_ip("netns", "list").stdout]
        left += [n for n in self.created_if if run_ip("link", "show", n, check=False).returncode == 0]
        if left:
            errors.append(f"not removed: {left}")
        return errors

    def check_route(self):
        """A TCP connection from ns1 to ns2 (through the root namespace) must work."""
        listener = subprocess.Popen(
            [IP, "netns", "exec", self.ns[1], sys.executable, "-c",
             "import socket,sys; s=socket.socket(); s.bind((sys.argv[1], 0)); s.listen(1); "
             "print(s.getsockname()[1], flush=True); s.settimeout(5); c,_=s.accept(); "
             "c.sendall(b'ok'); c.close()", self.ns_ip[1]],
            stdout=subprocess.PIPE, text=True)
        try:
            port = int(listener.stdout.readline())
            probe = subprocess.run(
                [IP, "netns", "exec", self.ns[0], sys.executable, "-c",
                 "import socket,sys; s=socket.create_connection((sys.argv[1], int(sys.argv[2])),"
                 " timeout=5); print(s.recv(2).decode())", self.ns_ip[1], str(port)],
                capture_output=True, text=True, timeout=15)
            assert probe.stdout.strip() == "ok", (
                f"no route from {self.ns[0]} to {self.ns_ip[1]} via the root namespace: "
                f"{probe.stderr.strip()}")
        finally:
            listener.kill()
            listener.wait()


@pytest.fixture(scope="module")
def net():
    problem = missing_binaries()
    if problem:
        pytest.fail(problem)
    check_privileges()
    net = Net()
    try:
        net.setup()
    except Exception as exc:
        errors = net.teardown()
        pytest.fail(f"could not set up the two-namespace network: {exc} "
                    f"(teardown: {errors or 'clean'})")
    try:
        net.check_route()
    except BaseException:
        net.teardown()
        raise
    yield net
    errors = net.teardown()
    assert not errors, errors


def host_in_ns(net, i, kind):
    wrapper = [IP, "netns", "exec", net.ns[i]]
    address = f"tcp://{net.ns_ip[i]}:*"
    if kind == "swift":
        return start_swift_host(address, wrapper=wrapper)
    from graph_support import HostProcess
    return HostProcess(wrapper + [sys.executable, "-m", "specpeer.host_peer", address,
                                  "--poll-interval", "0", "--exit-on-stdin-eof"], stdin=True)


@pytest.fixture
def hosts(net, request):
    kind2 = request.param
    started = []
    try:
        started.append(host_in_ns(net, 0, "swift"))
        started.append(host_in_ns(net, 1, kind2))
        yield started
    finally:
        for host in started:
            host.children()
            host.terminate(5.0)
        RPCClient.close_thread_clients()
        left = [p for h in started for p in h.known_children if pid_alive(p)]
        for host in started:
            host.kill_leftovers()
        assert not left, f"node group processes left after their host ended: {left}"


@pytest.mark.parametrize("hosts", ["swift", "python"], indirect=True,
                         ids=["host2-swift", "host2-python-peer"])
def test_graph_across_two_hosts(net, hosts):
    host1_proc, host2_proc = hosts
    assert host1_proc.address.startswith(f"tcp://{net.ns_ip[0]}:")
    assert host2_proc.address.startswith(f"tcp://{net.ns_ip[1]}:")
    c1, c2 = RPCClient(host1_proc.address), RPCClient(host2_proc.address)
    host1, host2 = c1.proxy(c1.get_item("host")), c2.proxy(c2.get_item("host"))

    ng1 = host1.create_nodegroup("ng1", manager=None)
    ng2 = host2.create_nodegroup("ng2", manager=None)
    # Children bind the host's interface: reachable from the root namespace.
    assert ng1._proxy_ref.rpc_addr.startswith(f"tcp://{net.ns_ip[0]}:")
    assert ng2._proxy_ref.rpc_addr.startswith(f"tcp://{net.ns_ip[1]}:")

    device = ng1.create_node("NumpyDeviceBuffer", name="dev")
    device.configure(nb_channel=CHANNELS, sample_interval=0.0005, chunksize=CHUNK,
                     buffer=ramp_buffer(ROWS, CHANNELS))
    device.output.configure(protocol="tcp", interface=net.ns_ip[0], transfermode="plaindata")
    device.initialize()

    converter = ng2.create_node("StreamConverter", name="conv")
    converter.configure()
    converter.input.connect(device.output)          # host 2 fetches host 1's params itself
    converter.output.configure(protocol="tcp", interface=net.ns_ip[1], transfermode="plaindata")
    converter.initialize()
    params = converter.output.params._get_value()
    assert params["interface"] == net.ns_ip[1]
    assert params["dtype"] == "int32" and params["shape"] == [-1, CHANNELS]
    assert converter.input.params._get_value()["interface"] == net.ns_ip[0]

    stream = InputStream()
    stream.connect(params)
    try:
        converter.start()
        device.start()
        checker = receive_ramp(stream, RampChecker(ROWS, CHANNELS), 6 * ROWS)
        device.stop()
        converter.stop()
    finally:
        stream.close()
    assert checker.samples >= 4 * ROWS
    host1.close_all_nodegroups()
    host2.close_all_nodegroups()
    c1.close()
    c2.close()
