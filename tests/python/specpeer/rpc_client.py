"""RPC client peer: a ZeroMQ DEALER speaking pyacq's RPC protocol (PROTOCOL.md §1-§4).

A client belongs to the thread that created it (ZeroMQ sockets are not
thread-safe). While it waits for a reply it keeps serving the RPC server of
its thread, if any (§4.6), so reentrant call chains work.
"""

import logging
import threading
import time

import zmq

from . import names
from .rpc_serializer import ProxyBase, ProxyRef, get_serializer
from .rpc_server import RPCServer

__all__ = ["RPCClient", "Future", "Proxy", "RemoteCallError", "ServerDisconnected",
           "ProtocolError", "CLIENT_LINGER_MS"]

logger = logging.getLogger("specpeer.rpc_client")

CLIENT_LINGER_MS = 1000
PING_ATTEMPT_S = 0.1
PING_TOTAL_S = 1.0
WAIT_SLICE_S = 0.1
SYNC_MODES = ("sync", "async", "off")

_registry_lock = threading.Lock()
_clients = {}  # (thread ident, address) -> RPCClient


class RemoteCallError(Exception):
    """An error reply (§1.4): `type_name` of the remote exception and its lines."""

    def __init__(self, type_name, lines):
        self.type_name = type_name
        self.lines = list(lines) if lines is not None else []
        super().__init__(type_name, self.lines)

    def __str__(self):
        return f"{self.type_name} raised remotely:\n" + "".join(self.lines)


class ServerDisconnected(RuntimeError):
    pass


class ProtocolError(RuntimeError):
    pass


class Future:
    """Result of an `async` request. `result()` must be called from the client's
    thread (it drives the client's socket)."""

    def __init__(self, client, req_id):
        self.client = client
        self.req_id = req_id
        self._done = False
        self._result = None
        self._exception = None

    def done(self):
        return self._done

    def _set_result(self, value):
        self._result, self._done = value, True

    def _set_exception(self, exc):
        self._exception, self._done = exc, True

    def exception(self, timeout=None):
        self._wait(timeout)
        return self._exception

    def result(self, timeout=None):
        self._wait(timeout)
        if self._exception is not None:
            raise self._exception
        return self._result

    def _wait(self, timeout):
        if not self._done and not self.client._wait_for(self, timeout):
            raise TimeoutError(f"Timeout waiting for reply to request {self.req_id} "
                               f"from {self.client.address}")


class RPCClient:
    """DEALER connected to one RPC server.

    `identity`: defaults to `<host>.<process>.<thread>:<address>` (§1.2).
    `ping`: run the connect ping loop (§1.6) in the constructor.
    The first client created for a (thread, address) pair is the one
    `get_client()` returns for that pair.
    """

    def __init__(self, address, serializer="msgpack", identity=None, *, ping=True,
                 connect_timeout=PING_TOTAL_S, context=None):
        self.address = address.decode() if isinstance(address, bytes) else str(address)
        get_serializer(serializer)  # validate
        self.serializer = serializer
        self.identity = names.make_identity(self.address) if identity is None else identity
        if isinstance(self.identity, str):
            self.identity = self.identity.encode("utf-8")
        self._thread = threading.get_ident()
        self._context = context or zmq.Context.instance()
        self.socket = self._context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.IDENTITY, self.identity)
        self.socket.setsockopt(zmq.LINGER, CLIENT_LINGER_MS)
        self.socket.connect(self.address)
        self._next_req_id = 0
        self._futures = {}
        self.disconnected = False
        self.closed = False
        self.late_replies = 0
        with _registry_lock:
            key = (self._thread, self.address)
            existing = _clients.get(key)
            if existing is None or existing.closed:
                _clients[key] = self
        if ping:
            try:
                self._connect_ping(connect_timeout)
            except BaseException:
                self.close()
                raise

    def __repr__(self):
        return f"<RPCClient {self.identity.decode('utf-8', 'replace')}>"

    # ------------------------------------------------------------ registry
    @classmethod
    def get_client(cls, address, serializer="msgpack"):
        """The calling thread's client for `address` (created, with ping loop, if needed)."""
        address = address.decode() if isinstance(address, bytes) else str(address)
        with _registry_lock:
            client = _clients.get((threading.get_ident(), address))
        if client is not None and not client.closed:
            return client
        return cls(address, serializer=serializer)

    @staticmethod
    def close_thread_clients():
        """Close every client registered by the calling thread."""
        ident = threading.get_ident()
        with _registry_lock:
            mine = [c for (thread, _), c in _clients.items() if thread == ident]
        for client in mine:
            client.close()

    def close(self):
        if self.closed:
            return
        self.closed = True
        self.socket.close(CLIENT_LINGER_MS)
        with _registry_lock:
            key = (self._thread, self.address)
            if _clients.get(key) is self:
                del _clients[key]

    # ------------------------------------------------------------ sending
    def _serializer(self):
        return get_serializer(self.serializer, RPCServer.local_server())

    def _check_usable(self):
        if self.closed:
            raise RuntimeError(f"{self!r} is closed")
        if threading.get_ident() != self._thread:
            raise RuntimeError(f"{self!r} used from a thread that did not create it")

    def send(self, action, opts=None, return_type="auto", sync="sync", timeout=10.0):
        """Send one request (§1.3).

        `opts`: a map (None -> empty frame). `sync`: "sync" returns the result
        (or raises `RemoteCallError` / `TimeoutError`), "async" returns a
        `Future`, "off" sends req_id -1 and returns None.
        """
        self._check_usable()
        if sync not in SYNC_MODES:
            raise ValueError(f"sync must be one of {SYNC_MODES}, not {sync!r}")
        if self.disconnected:
            raise ServerDisconnected(f"Cannot send request: server {self.address} has already "
                                     "disconnected.")
        opts_frame = b"" if opts is None else self._serializer().dumps(opts)
        if sync == "off":
            req_id, future = -1, None
        else:
            req_id = self._next_req_id
            self._next_req_id += 1
            future = Future(self, req_id)
            self._futures[req_id] = future
        self.socket.send_multipart([str(req_id).encode("ascii"), action.encode("ascii"),
                                    return_type.encode("ascii"),
                                    self.serializer.encode("ascii"), opts_frame])
        if sync == "off":
            return None
        if sync == "async":
            return future
        try:
            return future.result(timeout)
        except TimeoutError:
            self._futures.pop(req_id, None)  # a late reply will be dropped
            raise

    def _connect_ping(self, total):
        """§1.6: ping every 100 ms until the first pong, for at most `total` s."""
        deadline = time.monotonic() + total
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            future = self.send("ping", sync="async")
            if self._wait_for(future, min(PING_ATTEMPT_S, remaining)):
                if future.result() == "pong":
                    return
            else:
                self._futures.pop(future.req_id, None)
        raise TimeoutError(f"Could not connect to RPC server at {self.address}")

    # ------------------------------------------------------------ receiving
    def _wait_for(self, future, timeout):
        """Process incoming messages (and the thread's own server) until `future`
        is done or `timeout` s elapse. Returns whether it is done."""
        if future.done():
            return True
        if threading.get_ident() != self._thread:
            raise RuntimeError("Future.result() called from a thread other than its client's")
        deadline = None if timeout is None else time.monotonic() + timeout
        while not future.done():
            if self.closed:
                raise RuntimeError(f"{self!r} was closed while waiting")
            if deadline is None:
                slice_s = WAIT_SLICE_S
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                slice_s = min(WAIT_SLICE_S, remaining)
            server = RPCServer.local_server()
            poller = zmq.Poller()
            poller.register(self.socket, zmq.POLLIN)
            if server is not None:
                poller.register(server.socket, zmq.POLLIN)
            events = dict(poller.poll(int(slice_s * 1000) + 1))
            if self.socket in events:
                self._drain()
            if server is not None and server.socket in events and not server.closed:
                server.process_one(0)
        return True

    def poll_incoming(self, timeout=0.0):
        """Handle replies/notices that arrived (waiting up to `timeout` s for the
        first one); returns how many messages were handled."""
        self._check_usable()
        if not self.socket.poll(int(timeout * 1000), zmq.POLLIN):
            return 0
        return self._drain()

    def _drain(self):
        count = 0
        while not self.closed:
            try:
                frames = self.socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            count += 1
            self._handle_incoming(frames)
        return count

    def _handle_incoming(self, frames):
        if len(frames) != 1:
            raise ProtocolError(f"expected 1 frame from {self.address}, got {len(frames)}")
        message = self._serializer().loads(frames[0])
        action = message.get("action") if isinstance(message, dict) else None
        if action == "return":
            future = self._futures.pop(message.get("req_id"), None)
            if future is None:
                self.late_replies += 1
                logger.debug("dropped late reply %r", message.get("req_id"))
                return
            error = message.get("error")
            if error is not None:
                future._set_exception(RemoteCallError(error[0], error[1]))
            else:
                future._set_result(message.get("rval"))
        elif action == "disconnect":
            self._on_disconnect()
        else:
            raise ProtocolError(f"unexpected message from {self.address}: {message!r}")

    def _on_disconnect(self):
        self.disconnected = True
        pending, self._futures = self._futures, {}
        for future in pending.values():
            future._set_exception(ServerDisconnected(
                f"Cannot complete request: server {self.address} has already disconnected."))

    # ------------------------------------------------------------ helpers
    def ping(self, timeout=10.0):
        return self.send("ping", timeout=timeout)

    def get_item(self, name, **send_kw):
        return self.send("get_item", {"name": name}, **send_kw)

    def set_item(self, name, obj, **send_kw):
        return self.send("set_item", {"name": name, "obj": obj}, **send_kw)

    def import_module(self, module, fromlist=None, **send_kw):
        opts = {"module": module}
        if fromlist:
            opts["fromlist"] = list(fromlist)
        return self.send("import", opts, **send_kw)

    def call(self, proxy, *args, **kwargs):
        """`call_obj` of `proxy` (ProxyRef or Proxy); `_sync`, `_return_type`,
        `_timeout` keywords control the request."""
        sync = kwargs.pop("_sync", "sync")
        return_type = kwargs.pop("_return_type", "auto")
        timeout = kwargs.pop("_timeout", 10.0)
        return self.send("call_obj", {"obj": proxy, "args": list(args), "kwargs": kwargs},
                         return_type=return_type, sync=sync, timeout=timeout)

    def get_obj(self, obj, return_type="auto", **send_kw):
        return self.send("get_obj", {"obj": obj}, return_type=return_type, **send_kw)

    def get_value(self, proxy, **send_kw):
        """§4.4 `_get_value`: get_obj with return_type value."""
        return self.get_obj(proxy, return_type="value", **send_kw)

    def transfer(self, obj, **send_kw):
        return self.get_obj(obj, return_type="proxy", **send_kw)

    def delete(self, proxy, **send_kw):
        ref = proxy._proxy_ref if isinstance(proxy, ProxyBase) else proxy
        return self.send("delete", {"obj_id": ref.obj_id, "ref_id": ref.ref_id}, **send_kw)

    def close_server(self, timeout=1.0, sync="sync"):
        """Ask the server to close (§2.8). With a reply, expects True and marks the
        server as gone."""
        result = self.send("close", return_type="auto", sync=sync, timeout=timeout)
        if sync == "sync":
            if result is not True:
                raise ProtocolError(f"close returned {result!r}, expected True")
            self._on_disconnect()
        return result

    def proxy(self, ref, **options):
        return Proxy(ref, client=self, **options)


_PROXY_OPTIONS = ("sync", "timeout", "return_type", "defer_getattr")


class Proxy(ProxyBase):
    """Client-side wrapper around a `ProxyRef` (§4.2-§4.4).

    `p.attr` -> new Proxy with "attr" appended (deferred, nothing sent);
    `p.m(*a, **k)` -> call_obj (`_sync`, `_return_type`, `_timeout` overrides);
    `p[i]` -> `__getitem__` call; `p[i] = v` / `p.x = v` -> fire-and-forget
    `__setitem__` / `__setattr__`; `_get_value()`, `_undefer()`, `_delete()`.
    Equality / hash use (rpc_addr, obj_id) only.
    """

    def __init__(self, ref, client=None, *, sync="sync", timeout=10.0, return_type="auto",
                 defer_getattr=True):
        if isinstance(ref, ProxyBase):
            ref = ref._proxy_ref
        if not isinstance(ref, ProxyRef):
            raise TypeError(f"Proxy needs a ProxyRef, not {type(ref).__name__}")
        object.__setattr__(self, "_proxy_ref", ref)
        object.__setattr__(self, "_proxy_client", client)
        object.__setattr__(self, "_proxy_options", {
            "sync": sync, "timeout": timeout, "return_type": return_type,
            "defer_getattr": defer_getattr})

    def __repr__(self):
        ref = self._proxy_ref
        path = "".join("." + name for name in ref.attributes)
        return (f"<Proxy for {ref.type_str or 'object'}{path} at {ref.rpc_addr} "
                f"obj_id={ref.obj_id} ref_id={ref.ref_id}>")

    def _client(self):
        client = self._proxy_client
        if (client is not None and not client.closed and client._thread == threading.get_ident()
                and client.address == self._proxy_ref.rpc_addr):
            return client
        return RPCClient.get_client(self._proxy_ref.rpc_addr)

    def _derive(self, *names):
        return Proxy(self._proxy_ref.with_attributes(*names), self._proxy_client,
                     **self._proxy_options)

    def _wrap(self, value):
        if isinstance(value, ProxyRef):
            client = self._proxy_client
            if client is not None and client.address != value.rpc_addr:
                client = None
            return Proxy(value, client, **self._proxy_options)
        return value

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        derived = self._derive(name)
        if self._proxy_options["defer_getattr"]:
            return derived
        return derived._undefer()

    def __setattr__(self, name, value):
        self._derive("__setattr__")(name, value, _sync="off")

    def __call__(self, *args, **kwargs):
        sync = kwargs.pop("_sync", self._proxy_options["sync"])
        return_type = kwargs.pop("_return_type", self._proxy_options["return_type"])
        timeout = kwargs.pop("_timeout", self._proxy_options["timeout"])
        result = self._client().send(
            "call_obj", {"obj": self._proxy_ref, "args": list(args), "kwargs": kwargs},
            return_type=return_type, sync=sync, timeout=timeout)
        return self._wrap(result) if sync == "sync" else result

    def _send(self, action, opts, return_type):
        sync = self._proxy_options["sync"]
        result = self._client().send(action, opts, return_type=return_type, sync=sync,
                                     timeout=self._proxy_options["timeout"])
        return self._wrap(result) if sync == "sync" else result

    def _get_value(self):
        return self._send("get_obj", {"obj": self._proxy_ref}, "value")

    def _undefer(self):
        if not self._proxy_ref.attributes:
            return self
        return self._send("get_obj", {"obj": self._proxy_ref}, "auto")

    def _delete(self):
        ref = self._proxy_ref
        return self._send("delete", {"obj_id": ref.obj_id, "ref_id": ref.ref_id}, "auto")

    def __getitem__(self, key):
        return self._derive("__getitem__")(key)

    def __setitem__(self, key, value):
        self._derive("__setitem__")(key, value, _sync="off")

    def __len__(self):
        return self._derive("__len__")()

    def __eq__(self, other):
        if isinstance(other, (ProxyBase, ProxyRef)):
            return self._proxy_ref.same_object(other)
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self):
        return hash((self._proxy_ref.rpc_addr, self._proxy_ref.obj_id))
