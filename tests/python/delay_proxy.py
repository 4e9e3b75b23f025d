"""A TCP proxy that delays each direction by a fixed time: injected network delay for tests
where `tc netem` is unavailable (this kernel has no sch_netem). Bytes keep their order; each
received block is forwarded `delay` seconds after it arrived (perf_counter deadlines, so the
added delay is accurate to the scheduler's wake-up, tens of microseconds)."""

import queue
import socket
import threading
import time


class DelayProxy:
    def __init__(self, target, up_delay, down_delay, listen_host="127.0.0.1"):
        self.target = target  # (host, port)
        self.up_delay, self.down_delay = up_delay, down_delay
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((listen_host, 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.closed = False
        self.sockets = [self.server]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sockets += [client, upstream]
            self._pump(client, upstream, self.up_delay)
            self._pump(upstream, client, self.down_delay)

    def _pump(self, source, sink, delay):
        pending = queue.Queue()

        def read():
            while True:
                try:
                    data = source.recv(65536)
                except OSError:
                    data = b""
                pending.put((time.perf_counter() + delay, data))
                if not data:
                    return

        def write():
            while True:
                deadline, data = pending.get()
                while True:
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        break
                    time.sleep(left)
                if not data:
                    try:
                        sink.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                try:
                    sink.sendall(data)
                except OSError:
                    return

        threading.Thread(target=read, daemon=True).start()
        threading.Thread(target=write, daemon=True).start()

    def close(self):
        self.closed = True
        for s in self.sockets:
            try:
                s.close()
            except OSError:
                pass
