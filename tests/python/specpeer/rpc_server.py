"""RPC server peer: a ZeroMQ ROUTER answering pyacq RPC requests (PROTOCOL.md §1, §2, §4).

One request at a time, in arrival order, on the thread that runs the server.
Each thread has at most one server (`RPCServer.local_server()`); clients used
from that thread keep serving it while they wait for replies (§4.6).

Imports are restricted to a whitelist (`DEFAULT_IMPORTS` plus names given to
`allow_import`) and to module-like objects registered with `register_module`:
the peer never imports arbitrary modules for a remote caller.
"""

import importlib
import logging
import threading
import traceback

import zmq

from .rpc_serializer import ProxyRef, get_serializer, is_by_value

__all__ = ["RPCServer", "DEFAULT_IMPORTS", "format_remote_error"]

logger = logging.getLogger("specpeer.rpc_server")

DEFAULT_IMPORTS = ("time", "math")
SERVER_LINGER_MS = 5000
LOOP_POLL_S = 0.05  # run_forever wakes this often to notice close() from another thread

_registry_lock = threading.Lock()
_thread_servers = {}  # thread ident -> RPCServer


def format_remote_error(identity, req_id, exc):
    """`[type_name, lines]` as in §1.4: header, server stack, marker, exception."""
    if isinstance(identity, bytes):
        identity = identity.decode("utf-8", "replace")
    lines = [f"Error while processing request {identity} [{req_id}]: "]
    lines.extend(traceback.format_stack()[:-2])
    lines.append(" < exception caught here >\n")
    lines.extend(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return [type(exc).__name__, lines]


class RPCServer:
    """ROUTER-based RPC server.

    `address`: bind address (default `tcp://127.0.0.1:*`); `self.address` is the
    resulting LAST_ENDPOINT string, used as `rpc_addr` in every proxy.
    `register`: make this the current thread's server (if it has none yet);
    `run_in_thread()` moves it to the new thread.
    """

    def __init__(self, address="tcp://127.0.0.1:*", *, register=True, context=None,
                 imports=DEFAULT_IMPORTS, linger=SERVER_LINGER_MS):
        self._context = context or zmq.Context.instance()
        self.socket = self._context.socket(zmq.ROUTER)
        self.socket.setsockopt(zmq.LINGER, linger)
        self.socket.bind(address if isinstance(address, str) else address.decode())
        self.address = self.socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self._lock = threading.RLock()
        self._namespace = {"self": self}
        self._objects = {}        # obj_id -> [object, set of ref_ids]
        self._ids = {}            # id(object) -> obj_id
        self._next_obj_id = 0
        self._next_ref_id = 0
        self._clients = {}        # identity -> serializer name of its latest request
        self._modules = {}        # registered module-like objects by dotted name
        self._imports = set(imports)
        self._closed = False
        self._stop_requested = False
        self._owner = None
        self._run_thread = None
        self.requests_handled = 0
        if register:
            self._claim_thread(strict=False)

    def __repr__(self):
        return f"<RPCServer {self.address}{' closed' if self._closed else ''}>"

    # ------------------------------------------------------------ thread registry
    @staticmethod
    def local_server():
        """The open server registered for the calling thread, or None."""
        with _registry_lock:
            server = _thread_servers.get(threading.get_ident())
        return None if server is None or server._closed else server

    def _claim_thread(self, strict=True):
        ident = threading.get_ident()
        with _registry_lock:
            current = _thread_servers.get(ident)
            if current is not None and current is not self and not current._closed:
                if strict:
                    raise RuntimeError(f"thread already runs {current!r}")
                return False
            if self._owner is not None and _thread_servers.get(self._owner) is self:
                del _thread_servers[self._owner]
            _thread_servers[ident] = self
            self._owner = ident
        return True

    def _release_thread(self):
        with _registry_lock:
            if self._owner is not None and _thread_servers.get(self._owner) is self:
                del _thread_servers[self._owner]
            self._owner = None

    # ------------------------------------------------------------ namespace etc.
    def __getitem__(self, name):
        return self._namespace[name]

    def __setitem__(self, name, value):
        self._namespace[name] = value

    def __contains__(self, name):
        return name in self._namespace

    @property
    def closed(self):
        return self._closed

    def register_module(self, name, module):
        """Make `import name` return `module` (any object; a types.ModuleType
        proxies with type_str "<class 'module'>")."""
        self._modules[name] = module

    def allow_import(self, *names):
        """Whitelist real modules for `import`."""
        self._imports.update(names)

    def known_clients(self):
        return dict(self._clients)

    # ------------------------------------------------------------ proxies (§4.1)
    def get_proxy(self, obj, type_str=None):
        """A new reference (fresh ref_id) to `obj`, which the server keeps alive."""
        with self._lock:
            obj_id = self._ids.get(id(obj))
            if obj_id is None or self._objects[obj_id][0] is not obj:
                obj_id = self._next_obj_id
                self._next_obj_id += 1
                self._objects[obj_id] = [obj, set()]
                self._ids[id(obj)] = obj_id
            ref_id = self._next_ref_id
            self._next_ref_id += 1
            self._objects[obj_id][1].add(ref_id)
        return ProxyRef(self.address, obj_id, ref_id,
                        str(type(obj)) if type_str is None else type_str, [])

    def lookup(self, obj_id):
        with self._lock:
            try:
                return self._objects[obj_id][0]
            except KeyError:
                raise KeyError(f"Invalid proxy object ID {obj_id!r}. "
                               "The object may have been released.") from None

    def unwrap_proxy(self, ref):
        """§3.6: the local object a proxy to this server designates."""
        obj = self.lookup(ref.obj_id)
        for name in ref.attributes:
            obj = getattr(obj, name)
        return obj

    def release(self, obj_id, ref_id):
        """§2.6: drop one reference; forget the object with its last one."""
        with self._lock:
            try:
                obj, refs = self._objects[obj_id]
            except KeyError:
                raise KeyError(f"Invalid proxy object ID {obj_id!r}") from None
            try:
                refs.remove(ref_id)
            except KeyError:
                raise KeyError(f"Invalid reference ID {ref_id!r} for object {obj_id!r}") from None
            if not refs:
                del self._objects[obj_id]
                if self._ids.get(id(obj)) == obj_id:
                    del self._ids[id(obj)]

    def object_count(self):
        with self._lock:
            return len(self._objects)

    def references(self, obj_id):
        with self._lock:
            entry = self._objects.get(obj_id)
            return set(entry[1]) if entry else set()

    # ------------------------------------------------------------ serving
    def process_one(self, timeout=None):
        """Handle at most one request, waiting up to `timeout` s (None: forever).
        Returns True if a message was handled."""
        if self._closed:
            return False
        if self._stop_requested:
            self._do_close(None)
            return False
        ms = None if timeout is None else max(0, int(timeout * 1000))
        if not self.socket.poll(ms, zmq.POLLIN):
            if self._stop_requested:
                self._do_close(None)
            return False
        try:
            frames = self.socket.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return False
        self._handle(frames)
        return True

    def run_forever(self):
        """Serve on the calling thread until the server is closed."""
        self._claim_thread(strict=True)
        try:
            while not self._closed:
                self.process_one(LOOP_POLL_S)
        finally:
            from .rpc_client import RPCClient
            RPCClient.close_thread_clients()

    def run_in_thread(self, name=None):
        """Serve on a new daemon thread; returns the thread."""
        self._release_thread()
        ready = threading.Event()

        def target():
            self._claim_thread(strict=True)
            ready.set()
            self.run_forever()

        thread = threading.Thread(target=target, name=name or f"rpc-server-{self.address}",
                                  daemon=True)
        self._run_thread = thread
        thread.start()
        ready.wait(10)
        return thread

    def close(self, timeout=10.0):
        """Close locally: disconnect notices to every known client, then the socket.

        From the serving thread (or when nothing serves) this happens now;
        otherwise the serving loop does it within ~50 ms and this call waits.
        """
        if self._closed:
            return
        if self._owner is None or self._owner == threading.get_ident():
            self._do_close(None)
            return
        self._stop_requested = True
        thread = self._run_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _do_close(self, caller):
        if self._closed:
            return
        self._send_notices(caller)
        self._finish_close()

    def _send_notices(self, caller):
        """§1.5: `{"action": "disconnect"}` to every other known client, in its
        latest serializer."""
        for identity, ser_name in list(self._clients.items()):
            if identity == caller:
                continue
            try:
                data = get_serializer(ser_name, self).dumps({"action": "disconnect"})
                self.socket.send_multipart([identity, data])
            except Exception:  # pragma: no cover - best effort
                logger.exception("could not send disconnect notice")

    def _finish_close(self):
        self._closed = True
        self.socket.close()
        self._release_thread()

    # ------------------------------------------------------------ one request
    def _handle(self, frames):
        if len(frames) != 6:
            logger.error("RPC server %s: dropped message with %d frames (expected 6)",
                         self.address, len(frames))
            return
        identity, req_frame, action_frame, rtype_frame, ser_frame, opts_frame = frames
        try:
            req_id = int(req_frame.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            logger.error("RPC server %s: dropped message with bad req_id %r", self.address,
                         req_frame)
            return
        self.requests_handled += 1
        action = action_frame.decode("ascii", "replace")
        return_type = rtype_frame.decode("ascii", "replace")
        ser_name = ser_frame.decode("ascii", "replace")
        try:
            serializer = get_serializer(ser_name, self)
        except ValueError as exc:
            serializer = None
            error = format_remote_error(identity, req_id, exc)
        else:
            self._clients[identity] = ser_name
            error = None
        result = None
        closing = False
        if serializer is not None:
            try:
                opts = serializer.loads(opts_frame) if len(opts_frame) else None
                result = self._dispatch(action, opts)
                closing = action == "close"
            except Exception as exc:
                error = format_remote_error(identity, req_id, exc)
        if error is not None and req_id < 0:
            logger.warning("RPC server %s: error in fire-and-forget request %s [%d]:\n%s",
                           self.address, identity, req_id, "".join(error[1]))
        if closing:
            self._send_notices_and_reply(identity, req_id, serializer)
            return
        if req_id < 0 or self._closed:
            return
        self._reply(identity, req_id, result, error, return_type,
                    serializer or get_serializer("msgpack", self))

    def _send_notices_and_reply(self, identity, req_id, serializer):
        if self._closed:
            return
        self._send_notices(identity)
        if req_id >= 0:
            self._reply(identity, req_id, True, None, "auto", serializer)
        self._finish_close()

    def _reply(self, identity, req_id, result, error, return_type, serializer):
        rval = None
        if error is None:
            try:
                if return_type == "proxy" or (return_type == "auto" and not is_by_value(result)):
                    rval = self.get_proxy(result)
                else:
                    rval = result
                data = serializer.dumps({"action": "return", "req_id": req_id, "rval": rval,
                                         "error": None})
            except Exception as exc:
                error = format_remote_error(identity, req_id, exc)
        if error is not None:
            data = serializer.dumps({"action": "return", "req_id": req_id, "rval": None,
                                     "error": error})
        self.socket.send_multipart([identity, data])

    def _dispatch(self, action, opts):
        if action == "ping":
            return "pong"
        if action == "close":
            return True
        if action not in ("call_obj", "get_obj", "get_item", "set_item", "delete", "import"):
            raise ValueError(f"Invalid RPC action {action!r}")
        if opts is None:
            opts = {}
        if not isinstance(opts, dict):
            raise TypeError(f"RPC options must be a map, not {type(opts).__name__}")
        if action == "call_obj":
            obj = opts.get("obj")
            args = opts.get("args", [])
            kwargs = opts.get("kwargs", {})
            if args is None or kwargs is None:
                raise TypeError("call_obj: 'args' and 'kwargs' must not be nil")
            if len(kwargs) == 0:
                return obj(*args)
            return obj(*args, **kwargs)
        if action == "get_obj":
            return opts["obj"]
        if action == "get_item":
            return self._namespace[opts["name"]]
        if action == "set_item":
            self._namespace[opts["name"]] = opts["obj"]
            return None
        if action == "delete":
            self.release(opts["obj_id"], opts["ref_id"])
            return None
        # import
        module = self._import(opts["module"])
        fromlist = opts.get("fromlist")
        if fromlist:
            return [getattr(module, name) for name in fromlist]
        return module

    def _import(self, name):
        name = name.lstrip(".")
        if name in self._modules:
            return self._modules[name]
        if name in self._imports:
            return importlib.import_module(name)
        raise ModuleNotFoundError(f"No module named {name!r} (not importable on this peer: "
                                  "imports are whitelisted)")
