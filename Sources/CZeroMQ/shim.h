// ZeroMQ's public C API, imported as is (libzmq3-dev, 4.3.x).
#include <zmq.h>
