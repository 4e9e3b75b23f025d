"""pyacq names libpyacq does not provide (yet): each raises NotImplementedError naming itself
and what to use instead, so code written for pyacq fails clearly instead of half-working."""

__all__ = ["ProcessSpawner", "QtRPCServer", "Host", "register_transfermode"]


def _missing(name, instead):
    def refuse(*args, **kwargs):
        raise NotImplementedError("%s is not implemented in libpyacq: %s" % (name, instead))
    return refuse


class _Refusing(type):
    """Class attributes (e.g. pyacq's ``Host.spawn(...)``) refuse the same way as instances."""

    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotImplementedError("%s.%s is not implemented in libpyacq: %s" % (cls.__name__, name, cls._instead))


class _Unavailable(metaclass=_Refusing):
    _instead = ""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("%s is not implemented in libpyacq: %s" % (type(self).__name__, self._instead))


class ProcessSpawner(_Unavailable):
    """pyacq's ProcessSpawner (a Python child process running an RPC server)."""
    _instead = ("spawn node group processes with libpyacq.create_manager(...).create_nodegroup(), "
                "or run a libpyacq.RPCServer in your own process")


class QtRPCServer(_Unavailable):
    """pyacq's RPC server driven by a Qt event loop."""
    _instead = "libpyacq.RPCServer serves on its own thread; no Qt event loop is needed"


class Host(_Unavailable):
    """pyacq's Host object (served by a host process)."""
    _instead = ("run the pyacq-host executable (or pyacq's host_server) and reach it with "
                "Manager.get_host(address)")


register_transfermode = _missing("register_transfermode",
                                 "the transfer modes (plaindata, sharedmem) live in the library and cannot be extended "
                                 "from Python")
