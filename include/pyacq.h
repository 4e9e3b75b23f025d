/*
 * pyacq.h — the C ABI of libpyacq.
 *
 * libpyacq moves multichannel signals between nodes, threads, processes and machines, and is
 * wire-compatible with the Python pyacq system (streams: plaindata over tcp/ipc/inproc with
 * optional blosc compression, or a shared-memory ring buffer).
 *
 * Conventions (they hold for every function below):
 *
 *  - Errors. Every fallible function returns an `int` status: PYACQ_OK (0) on success or one of
 *    the negative pyacq_status codes. The message of the last failure on the calling thread is
 *    read with pyacq_last_error(). Nothing traps or aborts across this boundary: null handles,
 *    null out-parameters, wrong sizes, invalid JSON and mistyped params all return an error.
 *  - `*_create` functions take the out-parameter receiving the new handle first; the other
 *    functions take their handle first and out-parameters last. On failure out-parameters are
 *    left untouched.
 *  - Handles are opaque. Each `*_create` is paired with a `*_destroy`; destroying NULL is a
 *    no-op. `*_close` releases a stream's sockets and files but keeps the handle valid (later
 *    calls return PYACQ_ERR_CLOSED or PYACQ_ERR_STATE).
 *  - Strings passed in are UTF-8, NUL-terminated and only read during the call. Strings the
 *    library returns through `char **` are owned by the caller and freed with pyacq_free();
 *    never with another allocator.
 *  - Dict-shaped arguments (stream params, buffer options) travel as UTF-8 JSON objects. JSON
 *    accepts the tokens NaN, Infinity and -Infinity as Python's json module does.
 *  - Array data is described by a pointer to element [0,...,0], a dtype string (numpy forms:
 *    "float32", "<i2", "|S4", or a structured list such as "[[\"index\",\"<i8\"]]"), a number of
 *    dimensions, a shape and byte strides (strides may be NULL for C order, and may be
 *    negative). Axis 0 is always time (samples).
 *  - Thread safety: every handle may be used from any thread; calls on one handle are
 *    serialised internally. A blocking call (recv with a timeout) holds its handle until it
 *    returns, so prefer finite timeouts when another thread may want the same handle.
 *  - Borrowed views (pyacq_view filled by recv and get_data) point into library-owned memory.
 *    They are valid until the next recv/close/destroy on the same handle. Views of a shared
 *    ring buffer may be overwritten by the producer once they fall out of the ring: use the
 *    copying functions (pyacq_ringbuffer_read) when that matters.
 */
#ifndef PYACQ_H
#define PYACQ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define PYACQ_API __declspec(dllimport)
#else
#define PYACQ_API
#endif

/* Compile-time version. The shared library's soname carries PYACQ_ABI_VERSION. */
#define PYACQ_VERSION_MAJOR 0
#define PYACQ_VERSION_MINOR 1
#define PYACQ_VERSION_PATCH 0
#define PYACQ_ABI_VERSION 0
#define PYACQ_VERSION_NUMBER (PYACQ_VERSION_MAJOR * 10000 + PYACQ_VERSION_MINOR * 100 + PYACQ_VERSION_PATCH)

/* Largest number of dimensions a pyacq_view describes. */
#define PYACQ_MAX_NDIM 32

/* Status codes. Values are stable across versions of one ABI. */
typedef enum pyacq_status {
    PYACQ_OK = 0,
    PYACQ_ERR_INVALID_ARGUMENT = -1, /* null handle or pointer, wrong size or shape */
    PYACQ_ERR_BAD_PARAMS = -2,       /* invalid JSON, unknown or mistyped params value */
    PYACQ_ERR_DTYPE = -3,            /* unknown dtype string, or dtypes that do not match */
    PYACQ_ERR_STATE = -4,            /* call not valid now (e.g. send before configure) */
    PYACQ_ERR_TIMEOUT = -5,          /* nothing arrived within the timeout */
    PYACQ_ERR_IO = -6,               /* socket, file or memory-mapping failure */
    PYACQ_ERR_MALFORMED = -7,        /* a received message was malformed (it is dropped) */
    PYACQ_ERR_INDEX = -8,            /* samples outside the ring buffer's range */
    PYACQ_ERR_BUFFER_TOO_SMALL = -9, /* the caller's buffer cannot hold the result */
    PYACQ_ERR_OVERRUN = -10,         /* the producer overwrote samples while they were read */
    PYACQ_ERR_CLOSED = -11,          /* the handle was closed */
    PYACQ_ERR_REMOTE = -12,          /* a remote peer reported an error */
    PYACQ_ERR_INTERNAL = -99,        /* a bug in libpyacq: please report it */
    PYACQ_STATUS_FORCE_INT32 = 0x7fffffff
} pyacq_status;

/* A borrowed, typed, strided view of an array (see "Borrowed views" above). */
typedef struct pyacq_view {
    const void *data;                 /* element [0,...,0]; NULL when no data was requested */
    int32_t ndim;
    int32_t itemsize;                 /* bytes of one element of the stream dtype */
    int64_t shape[PYACQ_MAX_NDIM];
    int64_t strides[PYACQ_MAX_NDIM];  /* bytes, possibly negative */
} pyacq_view;

typedef struct pyacq_output pyacq_output;         /* producing end of a stream */
typedef struct pyacq_input pyacq_input;           /* consuming end of a stream */
typedef struct pyacq_ringbuffer pyacq_ringbuffer; /* ring buffer (private or shared) */
typedef struct pyacq_rpc_server pyacq_rpc_server; /* RPC server running in its own thread */
typedef struct pyacq_rpc_client pyacq_rpc_client; /* connection to one RPC server */
typedef struct pyacq_proxy pyacq_proxy;           /* reference to an object on an RPC server */
typedef struct pyacq_future pyacq_future;         /* pending result of an asynchronous call */
typedef struct pyacq_manager pyacq_manager;       /* a Manager of node groups across hosts */

/* ---------------------------------------------------------------------------------------- */
/* Library                                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* Version text "MAJOR.MINOR.PATCH". Static storage: do not free. Thread-safe. */
PYACQ_API const char *pyacq_version(void);

/* PYACQ_VERSION_NUMBER of the loaded library, to compare with the header's. Thread-safe. */
PYACQ_API int pyacq_version_number(void);

/* ABI version of the loaded library (the soname suffix). Bindings refuse another ABI. */
PYACQ_API int pyacq_abi_version(void);

/* Message of the last failed call on this thread ("" if none). Valid until the next libpyacq
 * call on the same thread; do not free. */
PYACQ_API const char *pyacq_last_error(void);

/* Symbolic name of a status code, e.g. "PYACQ_ERR_DTYPE". Static storage. */
PYACQ_API const char *pyacq_status_name(int status);

/* Frees memory the library returned (strings from *_params, *_stats...). NULL is a no-op. */
PYACQ_API void pyacq_free(void *ptr);

/* Item size in bytes of a dtype string. Errors: PYACQ_ERR_DTYPE for unknown dtypes. */
PYACQ_API int pyacq_dtype_itemsize(const char *dtype, int64_t *itemsize_out);

/* Canonical numpy form (str(dtype)) of a dtype string; free the result with pyacq_free. */
PYACQ_API int pyacq_dtype_normalize(const char *dtype, char **canonical_out);

/* ---------------------------------------------------------------------------------------- */
/* Output streams                                                                           */
/* ---------------------------------------------------------------------------------------- */

/* Creates an unconfigured output stream. `spec_json` (may be NULL) fixes params that configure
 * may not change, as a node's output spec does, e.g. {"shape": [-1, 16]}. */
PYACQ_API int pyacq_output_create(pyacq_output **out, const char *spec_json);

/* Configures the stream and binds its socket. `params_json` holds pyacq stream params:
 * protocol ("tcp" | "ipc" | "inproc"), interface, port ("*" = any), transfermode ("plaindata"
 * | "sharedmem"), dtype, shape ([-1, nchan] for variable chunk length), compression ("",
 * "blosc-blosclz", "blosc-lz4"), buffer_size / double / axisorder / fill (sharedmem), and any
 * other key, carried along untouched. Configuring again replaces the socket. */
PYACQ_API int pyacq_output_configure(pyacq_output *stream, const char *params_json);

/* The stream's params as JSON (with the actual port and shm_id). Free with pyacq_free. This
 * is what a consumer passes to pyacq_input_connect. */
PYACQ_API int pyacq_output_params(pyacq_output *stream, char **params_json_out);

/* Sends one chunk of `ndim` dimensions. `dtype` may be NULL (= the stream dtype) and must
 * otherwise equal it; `strides` may be NULL (C order). `index` is the stream index after this
 * chunk, or -1 for "previous index + shape[0]". The data is copied (or written once into the
 * shared ring) before the call returns: the caller keeps ownership of `data`. */
PYACQ_API int pyacq_output_send(pyacq_output *stream, const void *data, const char *dtype, int ndim,
                                const int64_t *shape, const int64_t *strides, int64_t index);

/* Index after the last chunk sent. */
PYACQ_API int pyacq_output_last_index(pyacq_output *stream, int64_t *index_out);

/* Number of consumers currently subscribed. */
PYACQ_API int pyacq_output_subscriber_count(pyacq_output *stream, int *count_out);

/* Waits until at least `count` consumers have subscribed, so the first chunks are not lost to
 * ZeroMQ's slow-joiner effect. PYACQ_ERR_TIMEOUT after `timeout_ms`. */
PYACQ_API int pyacq_output_wait_subscribers(pyacq_output *stream, int count, int timeout_ms);

/* Sets the index back to 0 (and a shared ring's header), as a node does when restarted. */
PYACQ_API int pyacq_output_reset_index(pyacq_output *stream);

/* Closes the socket and removes the shared-memory file (open readers keep their mapping). */
PYACQ_API int pyacq_output_close(pyacq_output *stream);

/* Closes if needed and frees the handle. */
PYACQ_API void pyacq_output_destroy(pyacq_output *stream);

/* ---------------------------------------------------------------------------------------- */
/* Input streams                                                                            */
/* ---------------------------------------------------------------------------------------- */

/* Creates an unconnected input. `spec_json` (may be NULL): protocol, transfermode, shape and
 * dtype in it must match the producer; any other key overrides the producer's value. */
PYACQ_API int pyacq_input_create(pyacq_input **out, const char *spec_json);

/* Connects to a producer given its params JSON (from pyacq_output_params or a Python peer). */
PYACQ_API int pyacq_input_connect(pyacq_input *stream, const char *params_json);

/* The params this input reads with (the producer's, after applying the input spec). */
PYACQ_API int pyacq_input_params(pyacq_input *stream, char **params_json_out);

/* Sets *ready to 1 when a chunk is waiting, 0 after `timeout_ms` (-1 waits forever). */
PYACQ_API int pyacq_input_poll(pyacq_input *stream, int timeout_ms, int *ready);

/* Receives the next chunk, waiting up to `timeout_ms` (-1 = forever; PYACQ_ERR_TIMEOUT after).
 * Sets *index_out to the stream index after the chunk. If `view_out` is not NULL it receives a
 * borrowed view of the data, valid until the next recv/close/destroy on this input; with NULL
 * only the index is read (cheapest for sharedmem). A malformed message returns
 * PYACQ_ERR_MALFORMED for that message; later messages are received normally. */
PYACQ_API int pyacq_input_recv(pyacq_input *stream, int timeout_ms, int64_t *index_out, pyacq_view *view_out);

/* Like pyacq_input_recv, but copies the chunk in C order into `buffer` (`buffer_size` bytes)
 * and describes that copy in `view_out` (which may be NULL). PYACQ_ERR_BUFFER_TOO_SMALL if the
 * chunk does not fit; the chunk is then lost. */
PYACQ_API int pyacq_input_recv_into(pyacq_input *stream, int timeout_ms, void *buffer, size_t buffer_size,
                                    int64_t *index_out, pyacq_view *view_out);

/* Discards every queued chunk; *discarded_out (may be NULL) receives how many. */
PYACQ_API int pyacq_input_empty_queue(pyacq_input *stream, int64_t *discarded_out);

/* Gives the input a private ring buffer that receives every chunk. `options_json` (may be NULL):
 * {"size": N (required), "double": true, "axisorder": null, "fill": null}. */
PYACQ_API int pyacq_input_set_buffer(pyacq_input *stream, const char *options_json);

/* A new reference to the buffer get_data reads (the private one, or a sharedmem producer's
 * ring, read-only). Release it with pyacq_ringbuffer_destroy; it stays valid after the input
 * is destroyed. PYACQ_ERR_STATE if the input has no buffer. */
PYACQ_API int pyacq_input_buffer(pyacq_input *stream, pyacq_ringbuffer **buffer_out);

/* Sets the private buffer's indexes back to 0. */
PYACQ_API int pyacq_input_reset_buffer_index(pyacq_input *stream);

/* Counters as JSON: {"chunks_received", "samples_received", "samples_lost",
 * "malformed_messages", "last_error"}. Free with pyacq_free. */
PYACQ_API int pyacq_input_stats(pyacq_input *stream, char **stats_json_out);

/* Closes the socket (the handle stays valid). */
PYACQ_API int pyacq_input_close(pyacq_input *stream);

/* Closes if needed and frees the handle. */
PYACQ_API void pyacq_input_destroy(pyacq_input *stream);

/* ---------------------------------------------------------------------------------------- */
/* Ring buffers                                                                             */
/* ---------------------------------------------------------------------------------------- */

/* Creates a private ring buffer. `options_json`: {"shape": [N, ...frame dims] (required),
 * "dtype": "float32", "double": true, "axisorder": null, "fill": null}. N is the ring length in
 * samples; fill defaults to NaN for float dtypes and 0 otherwise. */
PYACQ_API int pyacq_ringbuffer_create(pyacq_ringbuffer **out, const char *options_json);

/* Writes a chunk (axis 0 = samples, the other dims = the frame shape) so that the buffer index
 * becomes `index` (-1 = current + shape[0]); skipped samples are filled. dtype may be NULL. */
PYACQ_API int pyacq_ringbuffer_new_chunk(pyacq_ringbuffer *buffer, const void *data, const char *dtype, int ndim,
                                         const int64_t *shape, const int64_t *strides, int64_t index);

/* Borrowed view(s) of samples [start, stop). A double ring always yields one view; a single
 * ring yields two when the range crosses the ring's end: `second` then has shape[0] > 0
 * (`second` may be NULL, in which case such a range returns PYACQ_ERR_INDEX: use read). */
PYACQ_API int pyacq_ringbuffer_get_data(pyacq_ringbuffer *buffer, int64_t start, int64_t stop,
                                        pyacq_view *first, pyacq_view *second);

/* Copies samples [start, stop) in C order into `destination` and verifies afterwards that the
 * producer did not overwrite them meanwhile (PYACQ_ERR_OVERRUN if it did): never torn data. */
PYACQ_API int pyacq_ringbuffer_read(pyacq_ringbuffer *buffer, int64_t start, int64_t stop, void *destination,
                                    size_t destination_size);

/* Index of the last sample written + 1. */
PYACQ_API int pyacq_ringbuffer_index(pyacq_ringbuffer *buffer, int64_t *index_out);

/* Oldest sample still readable (index - length). */
PYACQ_API int pyacq_ringbuffer_first_index(pyacq_ringbuffer *buffer, int64_t *index_out);

/* Layout: ring length in samples, frame shape (up to PYACQ_MAX_NDIM - 1 dims), canonical dtype
 * (free with pyacq_free; pass NULL to skip) and whether it is a double ring. Any out-pointer
 * may be NULL. */
PYACQ_API int pyacq_ringbuffer_info(pyacq_ringbuffer *buffer, int64_t *length_out, int32_t *frame_ndim_out,
                                    int64_t *frame_shape_out, char **dtype_out, int *is_double_out);

/* Sets both indexes back to 0. PYACQ_ERR_STATE for a read-only shared ring. */
PYACQ_API int pyacq_ringbuffer_reset_index(pyacq_ringbuffer *buffer);

/* Releases this reference. The memory goes away with the last reference. */
PYACQ_API void pyacq_ringbuffer_destroy(pyacq_ringbuffer *buffer);

/* ---------------------------------------------------------------------------------------- */
/* RPC (wire-compatible with pyacq's RPC: PROTOCOL §1-§6)                                   */
/*                                                                                          */
/* Values cross this part of the ABI as JSON. Types JSON lacks use pyacq's marker maps:      */
/*   ndarray: {"___type_name___": "ndarray", "data": "<base64 of C-order bytes>",            */
/*             "dtype": "float32", "shape": [2, 3]}                                          */
/*   bytes:   {"___type_name___": "bytes", "data": "<base64>"}                               */
/*   proxy:   {"___type_name___": "proxy", "rpc_addr": ..., "obj_id": ..., "ref_id": ...,    */
/*             "type_str": ..., "attributes": [...]}  (turn it into a handle with            */
/*             pyacq_proxy_from_json)                                                       */
/* Arguments accept the same forms (plain JSON arrays are lists, not ndarrays).              */
/* Clients and proxies may be used from any thread (each thread gets its own connection);    */
/* a future must be waited on by the thread that created it.                                 */
/* ---------------------------------------------------------------------------------------- */

/* Starts an RPC server on its own thread, bound to `address` (NULL = "tcp://127.0.0.1:*").
 * The namespace holds "self"; publish objects with the functions below. */
PYACQ_API int pyacq_rpc_server_start(pyacq_rpc_server **out, const char *address);

/* The bound address (e.g. "tcp://127.0.0.1:41231"), what clients connect to. Free with
 * pyacq_free. */
PYACQ_API int pyacq_rpc_server_address(pyacq_rpc_server *server, char **address_out);

/* Publishes a stream under `name` so remote peers can get_item it and call its methods
 * (configure, params, send / connect, recv, poll, set_buffer, get_data, close). The server
 * keeps its own reference: the handle may be destroyed afterwards. */
PYACQ_API int pyacq_rpc_server_publish_output(pyacq_rpc_server *server, const char *name, pyacq_output *stream);
PYACQ_API int pyacq_rpc_server_publish_input(pyacq_rpc_server *server, const char *name, pyacq_input *stream);

/* Publishes a plain value (JSON) under `name`. */
PYACQ_API int pyacq_rpc_server_publish_value(pyacq_rpc_server *server, const char *name, const char *value_json);

/* Closes the server as a `close` request does: other clients get a disconnect notice. Waits
 * for the server thread to end. */
PYACQ_API int pyacq_rpc_server_stop(pyacq_rpc_server *server);

/* Stops the server if needed and frees the handle. */
PYACQ_API void pyacq_rpc_server_destroy(pyacq_rpc_server *server);

/* Connects to the RPC server at `address` and checks that it answers (ping loop, up to
 * `timeout_ms`; PYACQ_ERR_TIMEOUT otherwise). */
PYACQ_API int pyacq_rpc_client_create(pyacq_rpc_client **out, const char *address, int timeout_ms);

/* A proxy to the namespace entry `name` ("self", "manager", "host", "nodegroup"...). */
PYACQ_API int pyacq_rpc_client_get_item(pyacq_rpc_client *client, const char *name, pyacq_proxy **proxy_out);

/* A proxy to a module the server exposes (e.g. "time", "pyacq.core.stream"). */
PYACQ_API int pyacq_rpc_client_import(pyacq_rpc_client *client, const char *module, pyacq_proxy **proxy_out);

/* Asks the server to close (its other clients get a disconnect notice). */
PYACQ_API int pyacq_rpc_client_close_server(pyacq_rpc_client *client);

/* Frees the handle (the server is not affected). */
PYACQ_API void pyacq_rpc_client_destroy(pyacq_rpc_client *client);

/* A new proxy for `proxy.name` (nothing is sent). */
PYACQ_API int pyacq_proxy_attr(pyacq_proxy *proxy, const char *name, pyacq_proxy **proxy_out);

/* Calls the designated method with positional `args_json` (a JSON array, NULL = []) and
 * keyword `kwargs_json` (a JSON object, NULL = {}), waiting up to `timeout_ms` (-1 = forever).
 * The result (values by value, objects as proxy maps) is returned as JSON in *result_json_out
 * (may be NULL to ignore it). Remote exceptions return PYACQ_ERR_REMOTE with the remote
 * exception type and message in pyacq_last_error(). */
PYACQ_API int pyacq_proxy_call(pyacq_proxy *proxy, const char *args_json, const char *kwargs_json, int timeout_ms,
                               char **result_json_out);

/* Like pyacq_proxy_call but always returns a proxy to the result. */
PYACQ_API int pyacq_proxy_call_proxy(pyacq_proxy *proxy, const char *args_json, const char *kwargs_json, int timeout_ms,
                                     pyacq_proxy **result_out);

/* Sends the call and returns at once with a future (wait on it from this thread). */
PYACQ_API int pyacq_proxy_call_async(pyacq_proxy *proxy, const char *args_json, const char *kwargs_json,
                                     pyacq_future **future_out);

/* Sends the call without asking for a reply (req_id -1). */
PYACQ_API int pyacq_proxy_call_nowait(pyacq_proxy *proxy, const char *args_json, const char *kwargs_json);

/* Waits up to `timeout_ms` (-1 = forever) for the result; PYACQ_ERR_TIMEOUT leaves the future
 * pending (wait again later). *result_json_out may be NULL. */
PYACQ_API int pyacq_future_wait(pyacq_future *future, int timeout_ms, char **result_json_out);

/* 1 if the result (or error) has arrived, else 0. Reads pending replies without waiting. */
PYACQ_API int pyacq_future_done(pyacq_future *future, int *done_out);

PYACQ_API void pyacq_future_destroy(pyacq_future *future);

/* The designated object by value (e.g. an output's "params"), as JSON. */
PYACQ_API int pyacq_proxy_get_value(pyacq_proxy *proxy, int timeout_ms, char **value_json_out);

/* Releases this proxy's reference on the server (pyacq's _delete); the handle stays to be
 * destroyed. */
PYACQ_API int pyacq_proxy_delete(pyacq_proxy *proxy);

/* The proxy as its JSON marker map (rpc_addr, obj_id, ref_id, type_str, attributes). */
PYACQ_API int pyacq_proxy_to_json(pyacq_proxy *proxy, char **json_out);

/* A proxy handle from a proxy marker map found in a result. */
PYACQ_API int pyacq_proxy_from_json(const char *proxy_json, pyacq_proxy **proxy_out);

/* Frees the handle only (the remote object is not affected; see pyacq_proxy_delete). */
PYACQ_API void pyacq_proxy_destroy(pyacq_proxy *proxy);

/* Connects an input stream to a remote output stream given by proxy (its params are fetched
 * by value, as pyacq's InputStream.connect does). */
PYACQ_API int pyacq_input_connect_proxy(pyacq_input *stream, pyacq_proxy *output);

/* ---------------------------------------------------------------------------------------- */
/* Distributed graphs: Manager, Host, NodeGroup, Node (PROTOCOL §5, §7, §14)                  */
/*                                                                                          */
/* Node groups, nodes and their streams are reached through pyacq_proxy handles, so every   */
/* proxy function above works on them too. Node group processes are `pyacq-nodegroup`      */
/* executables found next to the running program, or at $PYACQ_NODEGROUP_EXECUTABLE.        */
/* ---------------------------------------------------------------------------------------- */

/* Creates a Manager. mode "local": in this process (served by an RPC thread, with a log
 * server printing the node groups' log records to stderr); "rpc": in a spawned child process
 * named manager_proc. */
PYACQ_API int pyacq_manager_create(pyacq_manager **out, const char *mode);

/* A proxy to the Manager itself (for any method of PROTOCOL §7.2). */
PYACQ_API int pyacq_manager_proxy(pyacq_manager *manager, pyacq_proxy **proxy_out);

/* Connects to the Host served at `address` (a `pyacq-host` or a Python host_server) and
 * returns a proxy to it (pyacq's get_host). */
PYACQ_API int pyacq_manager_add_host(pyacq_manager *manager, const char *address, pyacq_proxy **host_out);

/* Spawns a node group process named `name` (NULL = automatic) on the host at `host_address`
 * (NULL = the manager's own machine). `options_json` (may be NULL) is passed to the Host, e.g.
 * {"executable": "/path/to/pyacq-nodegroup"}. */
PYACQ_API int pyacq_manager_create_nodegroup(pyacq_manager *manager, const char *name, const char *host_address,
                                             const char *options_json, pyacq_proxy **nodegroup_out);

/* JSON array of proxies to the live node groups. Free with pyacq_free. */
PYACQ_API int pyacq_manager_list_nodegroups(pyacq_manager *manager, char **json_out);

PYACQ_API int pyacq_manager_start_all_nodes(pyacq_manager *manager);
PYACQ_API int pyacq_manager_stop_all_nodes(pyacq_manager *manager);

/* Closes every node group (their processes exit) and, in "rpc" mode, the manager process. */
PYACQ_API int pyacq_manager_close(pyacq_manager *manager);

/* Closes if needed and frees the handle. */
PYACQ_API void pyacq_manager_destroy(pyacq_manager *manager);

/* Creates a node of a registered type (e.g. "NumpyDeviceBuffer") in a node group. */
PYACQ_API int pyacq_nodegroup_create_node(pyacq_proxy *nodegroup, const char *type_name, const char *node_name,
                                          pyacq_proxy **node_out);

/* Node types registered in this process, as a JSON array of names. Free with pyacq_free. */
PYACQ_API int pyacq_list_node_types(char **json_out);

/* Node lifecycle. `kwargs_json` holds the node's configure keywords (may be NULL). */
PYACQ_API int pyacq_node_configure(pyacq_proxy *node, const char *kwargs_json);
PYACQ_API int pyacq_node_initialize(pyacq_proxy *node);
PYACQ_API int pyacq_node_start(pyacq_proxy *node);
PYACQ_API int pyacq_node_stop(pyacq_proxy *node);
PYACQ_API int pyacq_node_close(pyacq_proxy *node);

/* A proxy to a node's output / input stream `name` (NULL: the node's only one). */
PYACQ_API int pyacq_node_output(pyacq_proxy *node, const char *name, pyacq_proxy **stream_out);
PYACQ_API int pyacq_node_input(pyacq_proxy *node, const char *name, pyacq_proxy **stream_out);

/* Configures a remote output stream with stream params. */
PYACQ_API int pyacq_stream_configure(pyacq_proxy *output, const char *params_json);

/* Connects a remote input stream to a (remote) output stream. */
PYACQ_API int pyacq_stream_connect(pyacq_proxy *input, pyacq_proxy *output);

/* ---------------------------------------------------------------------------------------- */
/* Chunks that outlive their stream                                                         */
/* ---------------------------------------------------------------------------------------- */

/* Like pyacq_input_recv, but the view stays valid until pyacq_chunk_release(*chunk_out),
 * whatever happens to the stream meanwhile (receives on other threads, close, destroy).
 * *chunk_out is set to NULL first, and stays NULL when there is no data to keep (view_out NULL
 * or an empty chunk). Release every non-NULL chunk exactly once. */
PYACQ_API int pyacq_input_recv_retained(pyacq_input *stream, int timeout_ms, int64_t *index_out,
                                        pyacq_view *view_out, void **chunk_out);

/* Releases what pyacq_input_recv_retained kept alive (NULL is ignored). */
PYACQ_API void pyacq_chunk_release(void *chunk);

/* A producer's counters as JSON {"chunks_sent", "chunks_dropped", "samples_dropped",
 * "last_index"}: chunks dropped because slow consumers left more than the stream param
 * `max_queued_bytes` (default 256 MiB) of plaindata queued. Free with pyacq_free. */
PYACQ_API int pyacq_output_stats(pyacq_output *stream, char **json_out);

#ifdef __cplusplus
}
#endif

#endif /* PYACQ_H */
