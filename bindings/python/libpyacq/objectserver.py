"""pyacq's RPC server in Python (PROTOCOL §1-§4): serves any Python object of this process.

libpyacq's :class:`libpyacq.RPCServer` lives in the library and serves streams and plain
values; this one is pyacq's ``RPCServer`` / ``QtRPCServer``, the server of Python node groups,
Hosts and ``ProcessSpawner`` children. Requests are executed one at a time, in arrival order, by
the *serving thread*: the thread running :meth:`RPCServer.run_forever`, the thread that called
:meth:`RPCServer.run_lazy` (it serves whenever it waits on a remote call), or the Qt GUI thread
for a :class:`QtRPCServer`. Socket I/O happens on a poller thread, so pings are answered and
requests queue while the serving thread is busy; while the serving thread waits on a synchronous
remote call it keeps executing incoming requests (pyacq's reentrancy, §4.6).

Values that cannot travel by value (§2.9, §3.7) are proxied: the server keeps them until their
last reference is deleted. Proxies naming an object of a server of this process come back as
the object itself (§3.6).
"""

import importlib
import logging
import queue
import threading
import time
import traceback

import numpy as np

from .serializer import JsonSerializer, MsgpackSerializer
from .errors import InvalidArgument

__all__ = ["RPCServer", "QtRPCServer", "serving_server", "local_server_for", "proxy_for_local_object"]

logger = logging.getLogger("libpyacq.objectserver")

_BY_VALUE = (type(None), str, int, float, tuple, list, dict, np.ndarray)
_ACTIONS = ("call_obj", "get_obj", "get_item", "set_item", "delete", "import", "ping", "close")

_servers_lock = threading.Lock()
_servers_by_address = {}  # address -> RPCServer of this process
_thread_state = threading.local()  # .server: the server this thread executes requests for


def serving_server():
    """The server whose requests the calling thread executes, or None."""
    return getattr(_thread_state, "server", None)


def local_server_for(address):
    """The RPCServer of this process bound at `address`, or None."""
    with _servers_lock:
        return _servers_by_address.get(address)


def proxy_for_local_object(obj):
    """A proxy marker map for `obj` (§3.7) through the calling thread's server, else through a
    server of this process that already proxies it; None when there is neither."""
    server = serving_server()
    if server is None:
        with _servers_lock:
            holders = [s for s in _servers_by_address.values() if s.holds(obj)]
        server = holders[0] if holders else None
    return None if server is None else server.get_proxy(obj)._marker()


def _import_module(name):
    """`name` imported in this process; pyacq's module paths are libpyacq's (``pyacq.core.nodegroup``
    is ``libpyacq.core.nodegroup``) unless the original pyacq is the one importable here."""
    name = name.lstrip(".")
    if name == "pyacq" or name.startswith("pyacq."):
        try:
            return importlib.import_module(name)
        except ImportError:
            return importlib.import_module("lib" + name)
    return importlib.import_module(name)


class _Request:
    __slots__ = ("caller", "req_id", "action", "return_type", "serializer", "opts_frame")

    def __init__(self, caller, frames):
        if len(frames) != 5:
            raise ValueError("an RPC request has 5 frames after the identity, got %d" % len(frames))
        self.caller = caller
        self.req_id = int(frames[0].decode("ascii"))
        self.action = frames[1].decode("ascii")
        self.return_type = frames[2].decode("ascii")
        self.serializer = frames[3].decode("ascii")
        self.opts_frame = frames[4]


class RPCServer:
    """pyacq's RPC server for Python objects. Bound at creation (default
    ``tcp://127.0.0.1:*``; ``address`` is the bound endpoint); requests are executed once a
    thread serves it: :meth:`run_forever` (blocks until closed), :meth:`run_lazy` (the calling
    thread serves while it waits on remote calls) or :meth:`start` (a daemon thread runs
    :meth:`run_forever`)."""

    def __init__(self, address="tcp://127.0.0.1:*"):
        import zmq  # (pyzmq: needed only by processes that serve Python objects)
        self._zmq = zmq
        self._context = zmq.Context.instance()
        self._socket = self._context.socket(zmq.ROUTER)
        self._socket.setsockopt(zmq.LINGER, 5000)
        if isinstance(address, bytes):
            address = address.decode("utf-8")
        try:
            self._socket.bind(str(address))
        except zmq.ZMQError as exc:
            self._socket.close(0)
            raise InvalidArgument("RPCServer cannot bind %r: %s" % (address, exc)) from None
        self.address = self._socket.getsockopt(zmq.LAST_ENDPOINT).decode("utf-8")
        self._namespace = {"self": self}
        self._objects = {}   # obj_id -> [object, set of ref_ids]
        self._ids = {}       # id(object) -> obj_id
        self._next_obj_id = 0
        self._next_ref_id = 0
        self._table_lock = threading.Lock()
        self._serializers = {"msgpack": MsgpackSerializer(server=self), "json": JsonSerializer(server=self)}
        self._client_formats = {}  # caller identity -> serializer name of its latest request
        self._requests = queue.Queue()
        self._replies = queue.Queue()
        self._wake_address = "inproc://libpyacq-server-%x" % id(self)
        self._wake_recv = self._context.socket(zmq.PAIR)
        self._wake_recv.bind(self._wake_address)
        self._wake_send = self._context.socket(zmq.PAIR)
        self._wake_send.connect(self._wake_address)
        self._wake_lock = threading.Lock()
        self._closing = False
        self._close_requested = False
        self._closed = threading.Event()
        self._serving_thread = None
        with _servers_lock:
            _servers_by_address[self.address] = self
        self._poller = threading.Thread(target=self._poll_loop, name="rpc-poller %s" % self.address, daemon=True)
        self._poller.start()

    # ------------------------------------------------------------ namespace and proxies
    def __getitem__(self, name):
        return self._namespace[name]

    def __setitem__(self, name, value):
        self._namespace[name] = value

    def publish(self, name, obj):
        self._namespace[str(name)] = obj

    def get_proxy(self, obj, **options):
        """A proxy to `obj` through this server (a fresh reference id)."""
        from .rpc import ObjectProxy
        with self._table_lock:
            obj_id = self._ids.get(id(obj))
            if obj_id is None or self._objects.get(obj_id, [None])[0] is not obj:
                obj_id = self._next_obj_id
                self._next_obj_id += 1
                self._objects[obj_id] = [obj, set()]
                self._ids[id(obj)] = obj_id
            ref_id = self._next_ref_id
            self._next_ref_id += 1
            self._objects[obj_id][1].add(ref_id)
        ref = {"rpc_addr": self.address, "obj_id": obj_id, "ref_id": ref_id,
               "type_str": str(type(obj)), "attributes": []}
        return ObjectProxy(ref, **options)

    def holds(self, obj):
        """Whether `obj` is in this server's table of proxied objects."""
        with self._table_lock:
            obj_id = self._ids.get(id(obj))
            return obj_id is not None and self._objects.get(obj_id, [None])[0] is obj

    def unwrap_marker(self, marker):
        """The local object a proxy marker map designates (§3.6)."""
        obj_id = int(marker["obj_id"])
        with self._table_lock:
            entry = self._objects.get(obj_id)
        if entry is None:
            raise KeyError("Invalid proxy object ID %r; the object may have been released" % obj_id)
        obj = entry[0]
        for name in marker.get("attributes", []) or []:
            obj = getattr(obj, name)
        return obj

    def unwrap_proxy(self, proxy):
        return self.unwrap_marker(proxy._marker())

    def _delete_reference(self, obj_id, ref_id):
        with self._table_lock:
            entry = self._objects.get(obj_id)
            if entry is None:
                raise KeyError("Invalid proxy object ID %r" % obj_id)
            if ref_id not in entry[1]:
                raise KeyError("Invalid reference ID %r for object %r" % (ref_id, obj_id))
            entry[1].discard(ref_id)
            if not entry[1]:
                del self._objects[obj_id]
                self._ids.pop(id(entry[0]), None)

    # ------------------------------------------------------------ socket side (poller thread)
    def _poll_loop(self):
        zmq = self._zmq
        poller = zmq.Poller()
        poller.register(self._socket, zmq.POLLIN)
        poller.register(self._wake_recv, zmq.POLLIN)
        while True:
            events = dict(poller.poll())
            if self._wake_recv in events:
                self._wake_recv.recv()
            self._flush_replies()
            if self._socket in events:
                while True:
                    try:
                        frames = self._socket.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self._accept(frames)
            if self._closed.is_set() and self._replies.empty():
                break
        self._socket.close(linger=1000)
        self._wake_recv.close(0)
        self._wake_send.close(0)

    def _accept(self, frames):
        caller = frames[0]
        try:
            request = _Request(caller, frames[1:])
        except (ValueError, UnicodeDecodeError) as exc:
            logger.warning("RPC server %s: malformed request from %r dropped (%s)", self.address, caller, exc)
            return
        if request.serializer not in self._serializers:
            logger.warning("RPC server %s: request with unknown serializer %r dropped", self.address, request.serializer)
            return
        self._client_formats[caller] = request.serializer
        if request.action == "ping":  # answered here so that a busy serving thread never delays a connection
            self._send(caller, request, "pong", None)
            return
        if self._closing:
            if request.req_id >= 0:
                self._send(caller, request, None, ["ClosedError", ["RPC server %s is closing\n" % self.address]])
            return
        self._requests.put(request)
        self._request_arrived()

    def _send(self, caller, request, rval, error):
        serializer = self._serializers[request.serializer]
        reply = {"action": "return", "req_id": request.req_id, "rval": rval, "error": error}
        try:
            payload = serializer.dumps(reply)
        except Exception as exc:  # §1.4: a result that cannot be serialized becomes an error reply
            reply = {"action": "return", "req_id": request.req_id, "rval": None,
                     "error": [type(exc).__name__, ["Error while serializing the result: %s\n" % exc]]}
            payload = serializer.dumps(reply)
        self._socket.send_multipart([caller, payload])

    def _queue_reply(self, caller, request, rval, error):
        self._replies.put((caller, request, rval, error))
        with self._wake_lock:
            if not self._wake_send.closed:
                self._wake_send.send(b"")

    def _flush_replies(self):
        while True:
            try:
                caller, request, rval, error = self._replies.get_nowait()
            except queue.Empty:
                return
            if request is None:  # a disconnect notice
                self._socket.send_multipart([caller, rval])
            else:
                self._send(caller, request, rval, error)

    def _request_arrived(self):
        """Hook of the Qt server (wakes the GUI thread)."""

    # ------------------------------------------------------------ serving thread
    def run_forever(self):
        """Executes requests on the calling thread until the server is closed."""
        self._become_serving_thread()
        try:
            while not self._closed.is_set():
                try:
                    request = self._requests.get(timeout=0.2)
                except queue.Empty:
                    continue
                self._execute(request)
        finally:
            _thread_state.server = None
        self._poller.join(timeout=5)  # the last replies (e.g. to close) leave before the thread returns

    def run_lazy(self):
        """The calling thread executes this server's requests whenever it waits on a remote call
        (and in :meth:`process_pending`)."""
        self._become_serving_thread()

    def start(self):
        """Serves on a daemon thread; returns at once."""
        thread = threading.Thread(target=self.run_forever, name="rpc-server %s" % self.address, daemon=True)
        thread.start()
        return thread

    def _become_serving_thread(self):
        current = serving_server()
        if current is not None and current is not self:
            raise InvalidArgument("this thread already serves %s (one server per thread)" % current.address)
        self._serving_thread = threading.get_ident()
        _thread_state.server = self

    def process_pending(self):
        """Executes the requests already queued (on the serving thread). Returns how many ran."""
        count = 0
        while True:
            try:
                request = self._requests.get_nowait()
            except queue.Empty:
                return count
            self._execute(request)
            count += 1

    def wait_serving(self, is_done, timeout_s):
        """Waits until `is_done(slice_ms)` returns True, executing incoming requests meanwhile
        (the serving thread's outgoing synchronous calls, §4.6)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            if is_done(0):
                return True
            if self.process_pending():
                continue
            if deadline is not None and time.monotonic() >= deadline:
                return False
            if is_done(5):
                return True

    def running(self):
        return not (self._closing or self._closed.is_set())

    def _execute(self, request):
        try:
            opts = None
            if request.opts_frame:
                opts = self._serializers[request.serializer].loads(request.opts_frame)
            result = self.process_action(request.action, opts, request.return_type, request.caller)
            if request.req_id >= 0:
                self._queue_reply(request.caller, request, result, None)
        except Exception as exc:
            if request.req_id < 0:
                logger.warning("RPC server %s: fire-and-forget %s from %r failed:\n%s", self.address, request.action,
                               request.caller, traceback.format_exc())
            else:
                lines = ["Error while processing request %s [%d]: \n" % (request.caller.decode("utf-8", "replace"),
                                                                          request.req_id)]
                lines += traceback.format_stack()[:-1] + [" < exception caught here >\n"]
                lines += traceback.format_exception(type(exc), exc, exc.__traceback__)
                self._queue_reply(request.caller, request, None, [type(exc).__name__, lines])
        if request.action == "close":
            self._finish_close()
        elif self._close_requested:
            self._send_disconnects(request.caller)
            self._finish_close()

    def close_after_current_request(self):
        """Closes the server once the request being executed has been answered (e.g. a
        NodeGroup's close())."""
        self._close_requested = True
        self._closing = True

    def process_action(self, action, opts, return_type, caller):
        """Runs one action (§2) and returns the result to send."""
        opts = opts or {}
        if action == "call_obj":
            obj = opts["obj"]
            args = opts.get("args", [])
            kwargs = opts.get("kwargs", {})
            if args is None or kwargs is None:
                raise TypeError("call_obj: args and kwargs must not be nil")
            result = obj(*args, **kwargs) if kwargs else obj(*args)
        elif action == "get_obj":
            result = opts["obj"]
        elif action == "get_item":
            result = self._namespace[opts["name"]]
        elif action == "set_item":
            self._namespace[opts["name"]] = opts["obj"]
            result = None
        elif action == "delete":
            self._delete_reference(int(opts["obj_id"]), int(opts["ref_id"]))
            result = None
        elif action == "import":
            if opts.get("fromlist"):
                module = _import_module(opts["module"])
                result = [getattr(module, name) for name in opts["fromlist"]]
            else:
                result = _import_module(opts["module"])
        elif action == "close":
            self._closing = True  # running() is False once the caller can see the reply
            self._send_disconnects(caller)
            result = True
        else:
            raise ValueError("Invalid RPC action %r" % (action,))
        return self._shape_result(result, return_type)

    def _shape_result(self, result, return_type):
        from .rpc import ObjectProxy
        if return_type == "proxy":
            return self.get_proxy(result)
        if return_type == "auto" and not isinstance(result, _BY_VALUE + (ObjectProxy,)):
            return self.get_proxy(result)
        return result

    # ------------------------------------------------------------ closing
    def _send_disconnects(self, closing_caller):
        for caller, fmt in list(self._client_formats.items()):
            if caller != closing_caller:
                notice = self._serializers[fmt].dumps({"action": "disconnect"})
                self._queue_reply(caller, None, notice, None)

    def _finish_close(self):
        self._closing = True
        self._closed.set()
        with _servers_lock:
            if _servers_by_address.get(self.address) is self:
                del _servers_by_address[self.address]
        with self._wake_lock:
            if not self._wake_send.closed:
                self._wake_send.send(b"")
        if serving_server() is self:
            _thread_state.server = None
        self._after_close()

    def _after_close(self):
        """Hook of the Qt server (quits the event loop)."""

    def close(self):
        """Closes the server: disconnect notices to every client, then the socket. Idempotent;
        callable from any thread."""
        if self._closed.is_set():
            return
        self._send_disconnects(None)
        self._finish_close()
        if threading.current_thread() is not self._poller:
            self._poller.join(timeout=5)

    stop = close

    def __repr__(self):
        return "<libpyacq.core.rpc.RPCServer %s%s>" % (self.address, "" if self.running() else " closed")


class QtRPCServer(RPCServer):
    """An RPCServer whose requests run on the Qt GUI thread (for widgets: viewers, WidgetNode).
    Create it on the GUI thread after the QApplication; ``run_forever`` runs the Qt event loop.
    With `quit_on_close` the application quits when the server is closed."""

    def __init__(self, address="tcp://127.0.0.1:*", quit_on_close=True):
        from .widgetnode import qt_modules
        QtCore, QtWidgets = qt_modules()
        self._qapp = QtWidgets.QApplication.instance()
        if self._qapp is None:
            raise InvalidArgument("QtRPCServer needs a QApplication created first (e.g. pyqtgraph.mkQApp())")
        self.quit_on_close = quit_on_close

        class _Bridge(QtCore.QObject):
            arrived = QtCore.pyqtSignal() if hasattr(QtCore, "pyqtSignal") else QtCore.Signal()

        self._bridge = _Bridge()
        self._bridge.arrived.connect(self.process_pending, QtCore.Qt.QueuedConnection)
        RPCServer.__init__(self, address)
        self.run_lazy()  # the GUI thread serves

    def _request_arrived(self):
        self._bridge.arrived.emit()

    def run_forever(self):
        self._qapp.exec_() if hasattr(self._qapp, "exec_") else self._qapp.exec()
        self._poller.join(timeout=5)

    def _after_close(self):
        if self.quit_on_close:
            self._qapp.quit()
