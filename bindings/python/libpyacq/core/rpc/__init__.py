"""pyacq.core.rpc's names over libpyacq."""

from ...rpc import Future, ObjectProxy, RemoteCallException, RPCClient, RPCServer
from ...unavailable import ProcessSpawner, QtRPCServer
