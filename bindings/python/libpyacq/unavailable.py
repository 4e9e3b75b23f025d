"""pyacq names libpyacq does not provide (yet): each raises NotImplementedError naming itself
and what to use instead, so code written for pyacq fails clearly instead of half-working."""

__all__ = ["register_transfermode"]


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


register_transfermode = _missing("register_transfermode",
                                 "the transfer modes (plaindata, sharedmem) live in the library and cannot be extended "
                                 "from Python")
