// msgpack-c 4.x (libmsgpack-dev): the RPC layer's msgpack codec.
#include <msgpack.h>
