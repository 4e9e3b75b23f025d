"""pyacq.core.rpc's names over libpyacq. ``RPCServer`` / ``QtRPCServer`` here are pyacq's
servers of Python objects (objectserver.py); ``libpyacq.RPCServer`` is the library's server of
streams and values."""

from ...objectserver import QtRPCServer, RPCServer
from ...rpc import Future, ObjectProxy, RemoteCallException, RPCClient
from ...spawner import ProcessSpawner
