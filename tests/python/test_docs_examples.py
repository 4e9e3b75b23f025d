"""pyacq's documentation examples, adapted to run headless with ``import libpyacq as pyacq``:

* the NoiseGenerator node (random chunks on a timer -- a thread here instead of a QTimer)
  and the StreamMonitor node (prints what arrives, via ThreadPollInput), in one process;
* local and remote nodes: a NumpyDeviceBuffer in a spawned NodeGroup feeding a local
  StreamMonitor, and a local NoiseGenerator feeding a remote StreamConverter;
* streaming between processes: a NoiseGenerator in a child Python process, monitored here.

Random data is seeded, so every sample is checked against the generator's sequence.
"""

import json
import subprocess
import sys
import threading

import numpy as np

import libpyacq as pyacq
from binding_support import HERE, TIMEOUT, nodegroup_processes, pid_alive, subprocess_env, wait_until

TIMEOUT_MS = int(TIMEOUT * 1000)

# --------------------------------------------------------------------------------------------
# The two example nodes, as in pyacq's documentation ("Writing new Node classes"); the only
# changes: pyacq.Timer replaces QtCore.QTimer, a `seed` keyword makes the noise reproducible
# and StreamMonitor also keeps what it receives.


class NoiseGenerator(pyacq.Node):
    """A simple example node that generates gaussian noise."""

    _output_specs = {'signals': dict(streamtype='analogsignal', dtype='float32',
                                     shape=(-1, 1), compression='')}

    def __init__(self, **kargs):
        pyacq.Node.__init__(self, **kargs)
        self.timer = None

    def _configure(self, chunksize=100, sample_rate=1000., seed=None):
        self.chunksize = chunksize
        self.sample_rate = sample_rate
        self.seed = seed

        self.output.spec['shape'] = (-1, 1)
        self.output.spec['sample_rate'] = sample_rate
        self.output.spec['buffer_size'] = 1000

    def _initialize(self):
        self.head = 0
        self.random = np.random.RandomState(self.seed)

    def _start(self):
        self.timer = pyacq.Timer(self.chunksize / self.sample_rate, self.send_data)
        self.timer.start()

    def _stop(self):
        self.timer.stop()

    def _close(self):
        pass

    def send_data(self):
        self.head += self.chunksize
        self.output.send(self.random.normal(size=(self.chunksize, 1)).astype('float32'), index=self.head)


class StreamMonitor(pyacq.Node):
    """Monitors activity on an input stream and prints details about packets received."""

    _input_specs = {'signals': {}}

    def __init__(self, **kargs):
        pyacq.Node.__init__(self, **kargs)
        self.received = []
        self.arrived = threading.Condition()

    def _configure(self):
        pass

    def _initialize(self):
        # There are many ways to poll for data from the input stream. In this case, we use a
        # background thread that calls us whenever data is available.
        self.poller = pyacq.ThreadPollInput(self.input, return_data=True)
        self.poller.new_data.connect(self.data_received)

    def _start(self):
        self.poller.start()

    def _stop(self):
        self.poller.stop()
        self.poller.wait()

    def data_received(self, ptr, data):
        print("Data received: %d %s %s" % (ptr, data.shape, data.dtype))
        with self.arrived:
            self.received.append((ptr, data))
            self.arrived.notify_all()

    # test helper
    def wait_for_index(self, index, timeout=TIMEOUT):
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.received and self.received[-1][0] >= index, timeout), \
                "only %s received" % (self.received[-1][0] if self.received else "nothing")
            return list(self.received)


pyacq.register_node_type(NoiseGenerator)
pyacq.register_node_type(StreamMonitor)


def expected_noise(seed, chunksize, chunks):
    random = np.random.RandomState(seed)
    return np.concatenate([random.normal(size=(chunksize, 1)).astype('float32') for _ in range(chunks)])


def check_contiguous(received, expected, chunksize):
    """Chunks in order, none lost, every sample equal to the generator's."""
    got = np.concatenate([data for _, data in received])
    indexes = [index for index, _ in received]
    assert indexes == list(range(chunksize, chunksize * (len(received) + 1), chunksize))
    assert len(got) <= len(expected)
    for row in range(len(got)):  # sample by sample
        assert got[row, 0] == expected[row, 0], row


# --------------------------------------------------------------------------------------------

def test_noise_generator_and_stream_monitor_in_one_process(capsys):
    gen = pyacq.create_local_node('NoiseGenerator')
    gen.configure(chunksize=20, sample_rate=20000., seed=3)
    gen.output.configure(protocol='inproc', transfermode='sharedmem')
    assert gen.output.params['buffer_size'] == 1000 and gen.output.params['sample_rate'] == 20000.
    gen.initialize()

    mon = StreamMonitor()
    mon.configure()
    mon.input.connect(gen.output)
    mon.initialize()
    gen.output.wait_for_subscribers(1, timeout=TIMEOUT)

    mon.start()
    gen.start()
    received = mon.wait_for_index(400)
    gen.stop()
    mon.stop()
    check_contiguous(received, expected_noise(3, 20, len(received) + 5), 20)
    assert all(data.shape == (20, 1) and data.dtype == np.float32 for _, data in received)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "Data received: 20 (20, 1) float32"
    # restart: the index starts over at 0 (pyacq's Node.start)
    mon.received.clear()
    gen.initialize()
    mon.start()
    gen.start()
    assert mon.wait_for_index(40)[0][0] == 20
    gen.close()
    mon.close()


def test_numpy_device_buffer_in_a_nodegroup_feeds_a_local_monitor():
    before = set(nodegroup_processes())
    man = pyacq.create_manager('local')
    ng = man.create_nodegroup()
    spawned = set(nodegroup_processes()) - before
    try:
        dev = ng.create_node('NumpyDeviceBuffer')
        sample_rate, chunksize, nb_channel = 2000., 25, 4
        buffer = np.random.RandomState(7).normal(size=(chunksize * 8, nb_channel)).astype('float32')
        dev.configure(nb_channel=nb_channel, sample_interval=1. / sample_rate, chunksize=chunksize,
                      buffer=buffer)
        dev.output.configure(protocol='tcp', interface='127.0.0.1', transfermode='plaindata')
        dev.initialize()

        mon = StreamMonitor()
        mon.configure()
        mon.input.connect(dev.output)
        mon.initialize()
        mon.start()
        dev.start()
        received = mon.wait_for_index(chunksize * 12)
        dev.stop()
        mon.stop()
        first = received[0][0] - chunksize  # chunks before the subscription may be lost
        position = first
        for index, data in received:
            assert index - chunksize == position, "a chunk was lost"
            for k in range(chunksize):
                assert list(data[k]) == list(buffer[(position + k) % len(buffer)])
            position = index
        mon.close()
    finally:
        man.close()
    wait_until(lambda: not any(pid_alive(pid) for pid in spawned), what="node group exit")


def test_local_noise_generator_feeds_a_remote_converter():
    before = set(nodegroup_processes())
    man = pyacq.create_manager('rpc')
    try:
        ng = man.create_nodegroup()
        gen = NoiseGenerator()
        gen.configure(chunksize=50, sample_rate=50000., seed=11)
        gen.output.configure(protocol='tcp', interface='127.0.0.1', transfermode='plaindata')
        gen.initialize()

        conv = ng.create_node('StreamConverter')
        conv.configure()
        conv.input.connect(gen.output)
        conv.output.configure(protocol='tcp', interface='127.0.0.1', transfermode='sharedmem',
                              buffer_size=2000, dtype='float64')
        conv.initialize()
        assert conv.output.params['sample_rate'] == 50000.

        mon = StreamMonitor()
        mon.configure()
        mon.input.connect(conv.output)
        mon.initialize()
        conv.start()
        mon.start()
        gen.output.wait_for_subscribers(1, timeout=TIMEOUT)
        gen.start()
        received = mon.wait_for_index(500)
        gen.stop()
        conv.stop()
        mon.stop()
        assert all(data.dtype == np.float64 for _, data in received)
        check_contiguous(received, expected_noise(11, 50, len(received) + 5).astype('float64'), 50)
        gen.close()
        mon.close()
    finally:
        man.close()
    wait_until(lambda: not (set(nodegroup_processes()) - before), what="no process left")


CHILD = r"""
import json, sys
import libpyacq as pyacq
from test_docs_examples import NoiseGenerator

gen = NoiseGenerator()
gen.configure(chunksize=40, sample_rate=40000., seed=int(sys.argv[1]))
gen.output.configure(protocol='tcp', interface='127.0.0.1', transfermode='plaindata')
gen.initialize()
print(json.dumps(gen.output.params), flush=True)
gen.output.wait_for_subscribers(1, timeout=10)
gen.start()
sys.stdin.readline()   # the parent says when it has seen enough
gen.close()
print("bye", flush=True)
"""


def test_streaming_between_processes():
    child = subprocess.Popen([sys.executable, "-c", CHILD, "5"], cwd=HERE, env=subprocess_env(),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        params = json.loads(child.stdout.readline())
        assert params["port"] != "*" and params["shape"] == [-1, 1]
        mon = StreamMonitor()
        mon.configure()
        mon.input.connect(params)
        mon.initialize()
        mon.start()
        received = mon.wait_for_index(800)
        mon.stop()
        child.stdin.write("stop\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "bye"
        assert child.wait(10 * TIMEOUT) == 0, child.stderr.read()
        check_contiguous(received, expected_noise(5, 40, len(received) + 5), 40)
        mon.close()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
