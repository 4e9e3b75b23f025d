"""pyacq.core.rpc.serializer over libpyacq."""

from ...serializer import HAVE_MSGPACK, JsonSerializer, MsgpackSerializer, Serializer, all_serializers  # noqa: F401
