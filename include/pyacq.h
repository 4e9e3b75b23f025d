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
 *    the negative pyacq_status codes. Details of the last failure on the calling thread are read
 *    with pyacq_last_error() (message), pyacq_last_error_type() (exception type, e.g. "KeyError"
 *    for a remote exception) and pyacq_last_error_traceback() (the remote traceback). Nothing
 *    traps or aborts across this boundary. Besides the errors listed with each function, every
 *    function that takes a handle returns PYACQ_ERR_HANDLE for a NULL, destroyed or foreign
 *    handle or a handle of another kind, and every function returns PYACQ_ERR_INVALID_ARGUMENT
 *    for a NULL required pointer or a string that is not UTF-8.
 *  - Waiting. Every call that waits on a peer (a remote process) takes `timeout_ms`: the most it
 *    waits, in milliseconds; -1 waits forever. It returns PYACQ_ERR_TIMEOUT when the time is up.
 *  - `*_create` functions take the out-parameter receiving the new handle first; the other
 *    functions take their handle first and out-parameters last. On failure out-parameters are
 *    left untouched.
 *  - Handles are opaque, typed (a node where a node group is expected does not compile) and
 *    never reused: after `*_destroy` the same pointer value is never handed out again, so a
 *    stale handle returns PYACQ_ERR_HANDLE instead of reaching another object. Each `*_create`
 *    is paired with a `*_destroy`; destroying NULL or an already destroyed handle is a no-op. `*_close` releases a stream's sockets and files but keeps the handle valid (later
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The one export macro. The library is built with PYACQ_BUILDING_LIBRARY defined. */
#if defined(_WIN32)
#  if defined(PYACQ_BUILDING_LIBRARY)
#    define PYACQ_API __declspec(dllexport)
#  else
#    define PYACQ_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && defined(PYACQ_BUILDING_LIBRARY)
#  define PYACQ_API __attribute__((visibility("default")))
#else
#  define PYACQ_API
#endif

/* Compile-time version. The shared library's soname carries PYACQ_ABI_VERSION. */
#define PYACQ_VERSION_MAJOR 0
#define PYACQ_VERSION_MINOR 2
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
    PYACQ_ERR_REMOTE = -12,          /* a remote peer raised an exception (see pyacq_last_error_type) */
    PYACQ_ERR_HANDLE = -13,          /* NULL, destroyed or foreign handle, or one of another kind */
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
typedef struct pyacq_host pyacq_host;             /* a Host server a manager spawns node groups on */
typedef struct pyacq_nodegroup pyacq_nodegroup;   /* a node group (one process) */
typedef struct pyacq_node pyacq_node;             /* a node in a node group */
typedef struct pyacq_stream pyacq_stream;         /* a node's input or output stream */
typedef struct pyacq_chunk pyacq_chunk;           /* a received chunk kept alive by the caller */

/* ---------------------------------------------------------------------------------------- */
/* Library                                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* Version text "MAJOR.MINOR.PATCH". Static storage: do not free. Thread-safe. */
PYACQ_API const char *pyacq_version(void);

/* PYACQ_VERSION_NUMBER of the loaded library, to compare with the header's. Thread-safe. */
PYACQ_API int32_t pyacq_version_number(void);

/* ABI version of the loaded library (the soname suffix). Bindings refuse another ABI. */
PYACQ_API int32_t pyacq_abi_version(void);

/* Message of the last failed call on this thread ("" if none). Valid until the next libpyacq
 * call on the same thread; do not free. */
PYACQ_API const char *pyacq_last_error(void);

/* Exception type of the last failure on this thread: the remote exception's type name for
 * PYACQ_ERR_REMOTE (e.g. "KeyError"), else the Python exception type the status maps to
 * ("ValueError", "TimeoutError", ...); "" if none. Same lifetime as pyacq_last_error(). */
PYACQ_API const char *pyacq_last_error_type(void);

/* Traceback of the last PYACQ_ERR_REMOTE failure on this thread, as the remote peer formatted
 * it (lines separated by '\n'); "" for local errors. Same lifetime as pyacq_last_error(). */
PYACQ_API const char *pyacq_last_error_traceback(void);

/* Symbolic name of a status code, e.g. "PYACQ_ERR_DTYPE". Static storage. */
PYACQ_API const char *pyacq_status_name(int status);

/* Frees memory the library returned (strings from *_params, *_stats...). NULL is a no-op. */
PYACQ_API void pyacq_free(void *ptr);

/* Item size in bytes of a dtype string. Thread-safe. Errors: PYACQ_ERR_DTYPE (unknown dtype). */
PYACQ_API int pyacq_dtype_itemsize(const char *dtype, int64_t *itemsize_out);

/* Canonical numpy form (str(dtype)) of a dtype string; free the result with pyacq_free.
 * Thread-safe. Errors: PYACQ_ERR_DTYPE. */
PYACQ_API int pyacq_dtype_normalize(const char *dtype, char **canonical_out);

/* ---------------------------------------------------------------------------------------- */
/* Output streams                                                                           */
/* ---------------------------------------------------------------------------------------- */

/* Creates an unconfigured output stream. `spec_json` (may be NULL) fixes params that configure
 * may not change, as a node's output spec does, e.g. {"shape": [-1, 16]}.
 * Errors: PYACQ_ERR_BAD_PARAMS (spec_json). */
PYACQ_API int pyacq_output_create(pyacq_output **out, const char *spec_json);

/* Configures the stream and binds its socket. `params_json` holds pyacq stream params:
 * protocol ("tcp" | "ipc" | "inproc"), interface, port ("*" = any), transfermode ("plaindata"
 * | "sharedmem"), dtype, shape ([-1, nchan] for variable chunk length), compression ("",
 * "blosc-blosclz", "blosc-lz4"), buffer_size / double / axisorder / fill (sharedmem), and any
 * other key, carried along untouched. Configuring again replaces the socket.
 * Errors: PYACQ_ERR_BAD_PARAMS (a param contradicts the spec, unknown protocol/transfermode/
 * compression), PYACQ_ERR_DTYPE, PYACQ_ERR_IO (bind, shared-memory file), PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_output_configure(pyacq_output *stream, const char *params_json);

/* The stream's params as JSON (with the actual port and shm_id). Free with pyacq_free. This
 * is what a consumer passes to pyacq_input_connect. Errors: PYACQ_ERR_STATE (not configured). */
PYACQ_API int pyacq_output_params(pyacq_output *stream, char **params_json_out);

/* Sends one chunk of `ndim` dimensions. `dtype` may be NULL (= the stream dtype) and must
 * otherwise equal it; `strides` may be NULL (C order). `index` is the stream index after this
 * chunk, or -1 for "previous index + shape[0]". The data is copied (or written once into the
 * shared ring) before the call returns: the caller keeps ownership of `data`.
 * Errors: PYACQ_ERR_STATE (not configured), PYACQ_ERR_DTYPE (dtype differs), PYACQ_ERR_INVALID_ARGUMENT
 * (ndim or shape do not match the stream), PYACQ_ERR_IO, PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_output_send(pyacq_output *stream, const void *data, const char *dtype, int32_t ndim,
                                const int64_t *shape, const int64_t *strides, int64_t index);

/* Index after the last chunk sent. Errors: none beyond the general ones. */
PYACQ_API int pyacq_output_last_index(pyacq_output *stream, int64_t *index_out);

/* Number of consumers currently subscribed. Errors: PYACQ_ERR_STATE (not configured). */
PYACQ_API int pyacq_output_subscriber_count(pyacq_output *stream, int32_t *count_out);

/* Waits until at least `count` consumers have subscribed, so the first chunks are not lost to
 * ZeroMQ's slow-joiner effect. Errors: PYACQ_ERR_TIMEOUT after `timeout_ms`, PYACQ_ERR_STATE. */
PYACQ_API int pyacq_output_wait_subscribers(pyacq_output *stream, int32_t count, int32_t timeout_ms);

/* Sets the index back to 0 (and a shared ring's header), as a node does when restarted.
 * Errors: PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_output_reset_index(pyacq_output *stream);

/* Closes the socket and removes the shared-memory file (open readers keep their mapping).
 * Closing twice is a no-op. Errors: none beyond the general ones. */
PYACQ_API int pyacq_output_close(pyacq_output *stream);

/* Closes if needed and frees the handle. */
PYACQ_API void pyacq_output_destroy(pyacq_output *stream);

/* ---------------------------------------------------------------------------------------- */
/* Input streams                                                                            */
/* ---------------------------------------------------------------------------------------- */

/* Creates an unconnected input. `spec_json` (may be NULL): protocol, transfermode, shape and
 * dtype in it must match the producer; any other key overrides the producer's value.
 * Errors: PYACQ_ERR_BAD_PARAMS (spec_json). */
PYACQ_API int pyacq_input_create(pyacq_input **out, const char *spec_json);

/* Connects to a producer given its params JSON (from pyacq_output_params or a Python peer).
 * Errors: PYACQ_ERR_BAD_PARAMS (params contradict the spec, missing shm_id...), PYACQ_ERR_DTYPE,
 * PYACQ_ERR_IO (connect, shared-memory file), PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_input_connect(pyacq_input *stream, const char *params_json);

/* The params this input reads with (the producer's, after applying the input spec).
 * Errors: PYACQ_ERR_STATE (not connected). */
PYACQ_API int pyacq_input_params(pyacq_input *stream, char **params_json_out);

/* Sets *ready to true when a chunk is waiting, false after `timeout_ms` (-1 waits forever).
 * Errors: PYACQ_ERR_STATE (not connected), PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_input_poll(pyacq_input *stream, int32_t timeout_ms, bool *ready);

/* Receives the next chunk, waiting up to `timeout_ms` (-1 = forever; PYACQ_ERR_TIMEOUT after).
 * Sets *index_out to the stream index after the chunk. If `view_out` is not NULL it receives a
 * borrowed view of the data, valid until the next recv/close/destroy on this input; with NULL
 * only the index is read (cheapest for sharedmem). A malformed message returns
 * PYACQ_ERR_MALFORMED for that message; later messages are received normally.
 * Errors: PYACQ_ERR_TIMEOUT, PYACQ_ERR_MALFORMED, PYACQ_ERR_STATE (not connected), PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_input_recv(pyacq_input *stream, int32_t timeout_ms, int64_t *index_out, pyacq_view *view_out);

/* Like pyacq_input_recv, but copies the chunk in C order into `buffer` (`buffer_size` bytes)
 * and describes that copy in `view_out` (which may be NULL). PYACQ_ERR_BUFFER_TOO_SMALL if the
 * chunk does not fit; the chunk is then lost. Errors: as pyacq_input_recv, and
 * PYACQ_ERR_BUFFER_TOO_SMALL. */
PYACQ_API int pyacq_input_recv_into(pyacq_input *stream, int32_t timeout_ms, void *buffer, size_t buffer_size,
                                    int64_t *index_out, pyacq_view *view_out);

/* Discards every queued chunk; *discarded_out (may be NULL) receives how many.
 * Errors: PYACQ_ERR_STATE (not connected). */
PYACQ_API int pyacq_input_empty_queue(pyacq_input *stream, int64_t *discarded_out);

/* Gives the input a private ring buffer that receives every chunk. `options_json` (may be NULL):
 * {"size": N (required), "double": true, "axisorder": null, "fill": null}.
 * Errors: PYACQ_ERR_BAD_PARAMS, PYACQ_ERR_STATE (not connected), PYACQ_ERR_IO (no memory). */
PYACQ_API int pyacq_input_set_buffer(pyacq_input *stream, const char *options_json);

/* A new reference to the buffer get_data reads (the private one, or a sharedmem producer's
 * ring, read-only). Release it with pyacq_ringbuffer_destroy; it stays valid after the input
 * is destroyed. Errors: PYACQ_ERR_STATE (the input has no buffer). */
PYACQ_API int pyacq_input_buffer(pyacq_input *stream, pyacq_ringbuffer **buffer_out);

/* Sets the private buffer's indexes back to 0. Errors: PYACQ_ERR_STATE (no private buffer). */
PYACQ_API int pyacq_input_reset_buffer_index(pyacq_input *stream);

/* Counters as JSON: {"chunks_received", "samples_received", "samples_lost",
 * "malformed_messages", "last_error"}. Free with pyacq_free. Errors: none beyond the general ones. */
PYACQ_API int pyacq_input_stats(pyacq_input *stream, char **stats_json_out);

/* Closes the socket (the handle stays valid). Closing twice is a no-op. Errors: none beyond the
 * general ones. */
PYACQ_API int pyacq_input_close(pyacq_input *stream);

/* Closes if needed and frees the handle. */
PYACQ_API void pyacq_input_destroy(pyacq_input *stream);

/* ---------------------------------------------------------------------------------------- */
/* Ring buffers                                                                             */
/* ---------------------------------------------------------------------------------------- */

/* Creates a ring buffer. `options_json`: {"shape": [N, ...frame dims] (required),
 * "dtype": "float32", "double": true, "axisorder": null, "fill": null, "shmem": false,
 * "shm_id": null}. N is the ring length in samples; fill defaults to NaN for float dtypes and 0
 * otherwise. "shmem": true places it in a new shared segment (pyacq's layout, PROTOCOL §11.3;
 * pyacq_ringbuffer_shm_id gives its shm_id, the file's path) that other processes open read-only
 * by passing that shm_id with the same shape, dtype and double.
 * Errors: PYACQ_ERR_BAD_PARAMS (also: a segment "shm_id" too small for the shape),
 * PYACQ_ERR_DTYPE, PYACQ_ERR_IO (no memory, no segment "shm_id"). */
PYACQ_API int pyacq_ringbuffer_create(pyacq_ringbuffer **out, const char *options_json);

/* Writes a chunk (axis 0 = samples, the other dims = the frame shape) so that the buffer index
 * becomes `index` (-1 = current + shape[0]); skipped samples are filled. dtype may be NULL.
 * Errors: PYACQ_ERR_DTYPE, PYACQ_ERR_INVALID_ARGUMENT (frame shape differs), PYACQ_ERR_INDEX
 * (index before the current one), PYACQ_ERR_STATE (read-only shared ring). */
PYACQ_API int pyacq_ringbuffer_new_chunk(pyacq_ringbuffer *buffer, const void *data, const char *dtype, int32_t ndim,
                                         const int64_t *shape, const int64_t *strides, int64_t index);

/* Borrowed view(s) of samples [start, stop). A double ring always yields one view; a single
 * ring yields two when the range crosses the ring's end: `second` then has shape[0] > 0
 * (`second` may be NULL, in which case such a range returns PYACQ_ERR_INDEX: use read).
 * Errors: PYACQ_ERR_INDEX (outside [first_index, index)). */
PYACQ_API int pyacq_ringbuffer_get_data(pyacq_ringbuffer *buffer, int64_t start, int64_t stop,
                                        pyacq_view *first, pyacq_view *second);

/* Copies samples [start, stop) in C order into `destination` and verifies afterwards that the
 * producer did not overwrite them meanwhile (PYACQ_ERR_OVERRUN if it did): never torn data.
 * Errors: PYACQ_ERR_INDEX, PYACQ_ERR_OVERRUN, PYACQ_ERR_BUFFER_TOO_SMALL. */
PYACQ_API int pyacq_ringbuffer_read(pyacq_ringbuffer *buffer, int64_t start, int64_t stop, void *destination,
                                    size_t destination_size);

/* Index of the last sample written + 1. Errors: none beyond the general ones. */
PYACQ_API int pyacq_ringbuffer_index(pyacq_ringbuffer *buffer, int64_t *index_out);

/* Oldest sample still readable (index - length). Errors: none beyond the general ones. */
PYACQ_API int pyacq_ringbuffer_first_index(pyacq_ringbuffer *buffer, int64_t *index_out);

/* Layout: ring length in samples, frame shape (up to PYACQ_MAX_NDIM - 1 dims), canonical dtype
 * (free with pyacq_free; pass NULL to skip) and whether it is a double ring. Any out-pointer
 * may be NULL. Errors: none beyond the general ones. */
PYACQ_API int pyacq_ringbuffer_info(pyacq_ringbuffer *buffer, int64_t *length_out, int32_t *frame_ndim_out,
                                    int64_t *frame_shape_out, char **dtype_out, bool *is_double_out);

/* The shared segment's shm_id, its file's absolute path as in pyacq (free with pyacq_free), or
 * NULL in *shm_id_out for a private ring.
 * Errors: none beyond the general ones. */
PYACQ_API int pyacq_ringbuffer_shm_id(pyacq_ringbuffer *buffer, char **shm_id_out);

/* Sets both indexes back to 0. Errors: PYACQ_ERR_STATE (a read-only shared ring). */
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
 * The namespace holds "self"; publish objects with the functions below.
 * Errors: PYACQ_ERR_IO (the address cannot be bound). */
PYACQ_API int pyacq_rpc_server_start(pyacq_rpc_server **out, const char *address);

/* The bound address (e.g. "tcp://127.0.0.1:41231"), what clients connect to. Free with
 * pyacq_free. Errors: none beyond the general ones. */
PYACQ_API int pyacq_rpc_server_address(pyacq_rpc_server *server, char **address_out);

/* Publishes a stream under `name` so remote peers can get_item it and call its methods
 * (configure, params, send / connect, recv, poll, set_buffer, get_data, close). The server
 * keeps its own reference: the handle may be destroyed afterwards. Errors: none beyond the
 * general ones. */
PYACQ_API int pyacq_rpc_server_publish_output(pyacq_rpc_server *server, const char *name, pyacq_output *stream);
PYACQ_API int pyacq_rpc_server_publish_input(pyacq_rpc_server *server, const char *name, pyacq_input *stream);

/* Publishes a plain value (JSON) under `name`. Errors: PYACQ_ERR_BAD_PARAMS (value_json). */
PYACQ_API int pyacq_rpc_server_publish_value(pyacq_rpc_server *server, const char *name, const char *value_json);

/* Closes the server as a `close` request does: other clients get a disconnect notice. Waits
 * for the server thread to end (its own thread, no peer). Stopping twice is a no-op.
 * Errors: none beyond the general ones. */
PYACQ_API int pyacq_rpc_server_stop(pyacq_rpc_server *server);

/* Stops the server if needed and frees the handle. */
PYACQ_API void pyacq_rpc_server_destroy(pyacq_rpc_server *server);

/* Connects to the RPC server at `address` and checks that it answers (ping loop, up to
 * `timeout_ms`). Errors: PYACQ_ERR_TIMEOUT, PYACQ_ERR_IO (bad address). */
PYACQ_API int pyacq_rpc_client_create(pyacq_rpc_client **out, const char *address, int32_t timeout_ms);

/* A proxy to the namespace entry `name` ("self", "manager", "host", "nodegroup"...).
 * Errors: PYACQ_ERR_TIMEOUT, PYACQ_ERR_REMOTE (KeyError for an unknown name), PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_rpc_client_get_item(pyacq_rpc_client *client, const char *name, int32_t timeout_ms,
                                        pyacq_proxy **proxy_out);

/* A proxy to a module the server exposes (e.g. "time", "pyacq.core.stream").
 * Errors: PYACQ_ERR_TIMEOUT, PYACQ_ERR_REMOTE (ImportError), PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_rpc_client_import(pyacq_rpc_client *client, const char *module, int32_t timeout_ms,
                                      pyacq_proxy **proxy_out);

/* Asks the server to close (its other clients get a disconnect notice).
 * Errors: PYACQ_ERR_TIMEOUT, PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_rpc_client_close_server(pyacq_rpc_client *client, int32_t timeout_ms);

/* Frees the handle (the server is not affected). */
PYACQ_API void pyacq_rpc_client_destroy(pyacq_rpc_client *client);

/* A new proxy for `proxy.name` (nothing is sent). Errors: none beyond the general ones. */
PYACQ_API int pyacq_proxy_attr(pyacq_proxy *proxy, const char *name, pyacq_proxy **proxy_out);

/* Calls the designated method with positional `args_json` (a JSON array, NULL = []) and
 * keyword `kwargs_json` (a JSON object, NULL = {}), waiting up to `timeout_ms` (-1 = forever).
 * The result (values by value, objects as proxy maps) is returned as JSON in *result_json_out
 * (may be NULL to ignore it). Remote exceptions return PYACQ_ERR_REMOTE with the remote
 * exception's type in pyacq_last_error_type() and its traceback in pyacq_last_error_traceback().
 * Errors: PYACQ_ERR_BAD_PARAMS (args/kwargs JSON), PYACQ_ERR_TIMEOUT, PYACQ_ERR_REMOTE,
 * PYACQ_ERR_CLOSED (the server has gone). */
PYACQ_API int pyacq_proxy_call(pyacq_proxy *proxy, const char *args_json, const char *kwargs_json, int32_t timeout_ms,
                               char **result_json_out);

/* Like pyacq_proxy_call but always returns a proxy to the result. Errors: as pyacq_proxy_call. */
PYACQ_API int pyacq_proxy_call_proxy(pyacq_proxy *proxy, const char *args_json, const char *kwargs_json, int32_t timeout_ms,
                                     pyacq_proxy **result_out);

/* Sends the call and returns at once with a future (wait on it from this thread).
 * Errors: PYACQ_ERR_BAD_PARAMS, PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_proxy_call_async(pyacq_proxy *proxy, const char *args_json, const char *kwargs_json,
                                     pyacq_future **future_out);

/* Sends the call without asking for a reply (req_id -1). Errors: PYACQ_ERR_BAD_PARAMS, PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_proxy_call_nowait(pyacq_proxy *proxy, const char *args_json, const char *kwargs_json);

/* Waits up to `timeout_ms` (-1 = forever) for the result; PYACQ_ERR_TIMEOUT leaves the future
 * pending (wait again later). *result_json_out may be NULL. Errors: PYACQ_ERR_TIMEOUT,
 * PYACQ_ERR_REMOTE, PYACQ_ERR_CLOSED, PYACQ_ERR_STATE (waited from another thread). */
PYACQ_API int pyacq_future_wait(pyacq_future *future, int32_t timeout_ms, char **result_json_out);

/* true if the result (or error) has arrived. Reads pending replies without waiting.
 * Errors: none beyond the general ones. */
PYACQ_API int pyacq_future_done(pyacq_future *future, bool *done_out);

PYACQ_API void pyacq_future_destroy(pyacq_future *future);

/* The designated object by value (e.g. an output's "params"), as JSON.
 * Errors: PYACQ_ERR_TIMEOUT, PYACQ_ERR_REMOTE, PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_proxy_get_value(pyacq_proxy *proxy, int32_t timeout_ms, char **value_json_out);

/* Releases this proxy's reference on the server (pyacq's _delete); the handle stays to be
 * destroyed. Errors: PYACQ_ERR_TIMEOUT, PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_proxy_delete(pyacq_proxy *proxy, int32_t timeout_ms);

/* The proxy as its JSON marker map (rpc_addr, obj_id, ref_id, type_str, attributes).
 * Errors: none beyond the general ones. */
PYACQ_API int pyacq_proxy_to_json(pyacq_proxy *proxy, char **json_out);

/* A proxy handle from a proxy marker map found in a result. Errors: PYACQ_ERR_BAD_PARAMS. */
PYACQ_API int pyacq_proxy_from_json(const char *proxy_json, pyacq_proxy **proxy_out);

/* Frees the handle only (the remote object is not affected; see pyacq_proxy_delete). */
PYACQ_API void pyacq_proxy_destroy(pyacq_proxy *proxy);

/* Connects an input stream to a remote output stream given by proxy (its params are fetched
 * by value within `timeout_ms`, as pyacq's InputStream.connect does). Errors: as
 * pyacq_input_connect, and PYACQ_ERR_TIMEOUT, PYACQ_ERR_REMOTE. */
PYACQ_API int pyacq_input_connect_proxy(pyacq_input *stream, pyacq_proxy *output, int32_t timeout_ms);

/* ---------------------------------------------------------------------------------------- */
/* Distributed graphs: Manager, Host, NodeGroup, Node (PROTOCOL §5, §7, §14)                  */
/*                                                                                          */
/* Hosts, node groups, nodes and their streams have handle types of their own; each can be  */
/* turned into a generic pyacq_proxy handle, for any method of PROTOCOL §7, and back. Node */
/* group processes are `pyacq-nodegroup` executables found next to the running program, or */
/* at $PYACQ_NODEGROUP_EXECUTABLE (Python node groups: pyacq_manager_create_nodegroup).    */
/* Every call here may also return PYACQ_ERR_REMOTE (the peer raised: see                    */
/* pyacq_last_error_type), PYACQ_ERR_TIMEOUT and PYACQ_ERR_CLOSED (the peer                 */
/* process has gone).                                                                       */
/* ---------------------------------------------------------------------------------------- */

/* Creates a Manager. mode "local" (or NULL): in this process (served by an RPC thread, with a
 * log server printing the node groups' log records to stderr); "rpc": in a spawned child
 * process named manager_proc, waiting up to `timeout_ms` for it to start.
 * Errors: PYACQ_ERR_INVALID_ARGUMENT (unknown mode), PYACQ_ERR_IO (sockets, spawning). */
PYACQ_API int pyacq_manager_create(pyacq_manager **out, const char *mode, int32_t timeout_ms);

/* A proxy to the Manager itself (for any method of PROTOCOL §7.2). Destroy it separately.
 * Errors: PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_manager_proxy(pyacq_manager *manager, pyacq_proxy **proxy_out);

/* Connects to the Host served at `address` (a `pyacq-host` or a Python host_server) as
 * pyacq's get_host does. Errors: PYACQ_ERR_CLOSED, PYACQ_ERR_TIMEOUT, PYACQ_ERR_REMOTE. */
PYACQ_API int pyacq_manager_add_host(pyacq_manager *manager, const char *address, int32_t timeout_ms,
                                     pyacq_host **host_out);

/* Spawns a node group process named `name` (NULL = automatic) on the host at `host_address`
 * (NULL = the manager's own machine). `options_json` (may be NULL) is passed to the Host, e.g.
 * {"executable": "/path/to/pyacq-nodegroup"}, or {"python": true, "qt": true} for a Python node
 * group (Python node types and Qt viewers beside every Swift node type; the interpreter is
 * $PYACQ_PYTHON or python3 on PATH, and must import the libpyacq Python binding).
 * Errors: PYACQ_ERR_BAD_PARAMS (options_json), PYACQ_ERR_CLOSED, PYACQ_ERR_TIMEOUT,
 * PYACQ_ERR_REMOTE (e.g. the process failed to start). */
PYACQ_API int pyacq_manager_create_nodegroup(pyacq_manager *manager, const char *name, const char *host_address,
                                             const char *options_json, int32_t timeout_ms,
                                             pyacq_nodegroup **nodegroup_out);

/* JSON array of proxy maps of the live node groups (turn one into a handle with
 * pyacq_proxy_from_json then pyacq_nodegroup_from_proxy). Free with pyacq_free.
 * Errors: PYACQ_ERR_CLOSED, PYACQ_ERR_TIMEOUT, PYACQ_ERR_REMOTE. */
PYACQ_API int pyacq_manager_list_nodegroups(pyacq_manager *manager, int32_t timeout_ms, char **json_out);

/* Starts / stops every node of every node group. Errors: as list_nodegroups. */
PYACQ_API int pyacq_manager_start_all_nodes(pyacq_manager *manager, int32_t timeout_ms);
PYACQ_API int pyacq_manager_stop_all_nodes(pyacq_manager *manager, int32_t timeout_ms);

/* Closes every node group (their processes exit) and, in "rpc" mode, the manager process;
 * each peer gets at most `timeout_ms`. Later calls return PYACQ_ERR_CLOSED. Closing twice is
 * a no-op. Errors: none beyond the general ones (a peer that does not answer is killed). */
PYACQ_API int pyacq_manager_close(pyacq_manager *manager, int32_t timeout_ms);

/* Closes if needed (with a 5 s timeout per peer) and frees the handle. */
PYACQ_API void pyacq_manager_destroy(pyacq_manager *manager);

/* Generic proxy of a host (for any method of PROTOCOL §7.3). Errors: none beyond the general ones. */
PYACQ_API int pyacq_host_proxy(pyacq_host *host, pyacq_proxy **proxy_out);
PYACQ_API void pyacq_host_destroy(pyacq_host *host);

/* Creates a node of a registered type (e.g. "NumpyDeviceBuffer") in a node group; `node_name`
 * may be NULL. Errors: PYACQ_ERR_TIMEOUT, PYACQ_ERR_REMOTE (e.g. KeyError for an unknown type,
 * ValueError for a name in use), PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_nodegroup_create_node(pyacq_nodegroup *nodegroup, const char *type_name, const char *node_name,
                                          int32_t timeout_ms, pyacq_node **node_out);

/* Closes the node group's nodes and ends its process. Errors: PYACQ_ERR_TIMEOUT, PYACQ_ERR_REMOTE. */
PYACQ_API int pyacq_nodegroup_close(pyacq_nodegroup *nodegroup, int32_t timeout_ms);

/* Conversions between a node group handle and a generic proxy (no message is sent; the proxy
 * is not checked to designate a node group). Errors: none beyond the general ones. */
PYACQ_API int pyacq_nodegroup_proxy(pyacq_nodegroup *nodegroup, pyacq_proxy **proxy_out);
PYACQ_API int pyacq_nodegroup_from_proxy(pyacq_proxy *proxy, pyacq_nodegroup **nodegroup_out);

/* Frees the handle only (the process keeps running: see pyacq_nodegroup_close). */
PYACQ_API void pyacq_nodegroup_destroy(pyacq_nodegroup *nodegroup);

/* Creates a node of a registered type (`type_name`, e.g. "SosFilter") in this process: a local
 * node. It has the surface of a node in a node group (configure, pyacq_node_output / _input,
 * initialize, start, stop, close, pyacq_node_call, pyacq_node_get); its work runs on its own
 * threads and its streams are ordinary streams, so it connects to nodes in any process and to
 * original pyacq peers. `node_name` may be NULL (= the type name). The node is closed when its
 * handle is destroyed. Errors: PYACQ_ERR_BAD_PARAMS (unknown type: the message lists the types). */
PYACQ_API int pyacq_node_create_local(const char *type_name, const char *node_name, pyacq_node **node_out);

/* Whether the node lives in this process. Errors: none beyond the general ones. */
PYACQ_API int pyacq_node_is_local(pyacq_node *node, bool *is_local_out);

/* Calls a method of the node designated by a dotted path (e.g. "set_coefficients",
 * "params.__setitem__", "running") with positional `args_json` (a JSON array, NULL = []) and
 * keyword `kwargs_json` (NULL = {}); the result as JSON in *result_json_out (may be NULL).
 * Errors: PYACQ_ERR_BAD_PARAMS (JSON). A node that refuses the call reports its exception type
 * in pyacq_last_error_type() (e.g. "AttributeError" for an unknown method, "RuntimeError" for
 * a call in the wrong state): with PYACQ_ERR_REMOTE for a node in a node group, with the
 * matching local status (PYACQ_ERR_INVALID_ARGUMENT, PYACQ_ERR_STATE...) for a local node.
 * Also PYACQ_ERR_TIMEOUT and PYACQ_ERR_CLOSED for a node in a node group. */
PYACQ_API int pyacq_node_call(pyacq_node *node, const char *method, const char *args_json, const char *kwargs_json,
                              int32_t timeout_ms, char **result_json_out);

/* The node attribute designated by a dotted path (e.g. "stack", "total_trig", "params"), by
 * value as JSON. Free with pyacq_free. Errors: as pyacq_node_call. */
PYACQ_API int pyacq_node_get(pyacq_node *node, const char *attribute, int32_t timeout_ms, char **value_json_out);

/* Node types registered in this process, as a JSON array of names. Free with pyacq_free.
 * Errors: none beyond the general ones. */
PYACQ_API int pyacq_list_node_types(char **json_out);

/* Node lifecycle (PROTOCOL §7.5), for local nodes and nodes in node groups. `kwargs_json`
 * holds the node's configure keywords (may be NULL). Errors: PYACQ_ERR_BAD_PARAMS (kwargs_json
 * is not a JSON object, or a local node's bad parameter), PYACQ_ERR_STATE (a local node called in
 * the wrong state), PYACQ_ERR_REMOTE (a node in a node group refused: see pyacq_last_error_type,
 * e.g. RuntimeError when started before initialize), PYACQ_ERR_TIMEOUT, PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_node_configure(pyacq_node *node, const char *kwargs_json, int32_t timeout_ms);
PYACQ_API int pyacq_node_initialize(pyacq_node *node, int32_t timeout_ms);
PYACQ_API int pyacq_node_start(pyacq_node *node, int32_t timeout_ms);
PYACQ_API int pyacq_node_stop(pyacq_node *node, int32_t timeout_ms);
PYACQ_API int pyacq_node_close(pyacq_node *node, int32_t timeout_ms);

/* The node's output / input stream `name` (NULL: the node's only one). Errors: as above, and
 * PYACQ_ERR_REMOTE (KeyError) for an unknown name. */
PYACQ_API int pyacq_node_output(pyacq_node *node, const char *name, int32_t timeout_ms, pyacq_stream **stream_out);
PYACQ_API int pyacq_node_input(pyacq_node *node, const char *name, int32_t timeout_ms, pyacq_stream **stream_out);

/* Conversions between a node handle and a generic proxy (no message is sent; a local node has
 * no proxy: PYACQ_ERR_STATE). Errors: none beyond the general ones. */
PYACQ_API int pyacq_node_proxy(pyacq_node *node, pyacq_proxy **proxy_out);
PYACQ_API int pyacq_node_from_proxy(pyacq_proxy *proxy, pyacq_node **node_out);

/* Frees the handle. A node in a node group lives on there; a local node is closed. */
PYACQ_API void pyacq_node_destroy(pyacq_node *node);

/* Configures a node's output stream (local or remote) with stream params (see
 * pyacq_output_configure).
 * Errors: PYACQ_ERR_BAD_PARAMS (params_json), PYACQ_ERR_TIMEOUT, PYACQ_ERR_REMOTE. */
PYACQ_API int pyacq_stream_configure(pyacq_stream *output, const char *params_json, int32_t timeout_ms);

/* Connects a node's input stream to an output stream of any node, in any process (a remote
 * output's params are fetched by value). Errors: as configure, and PYACQ_ERR_STATE (the output
 * is not configured). */
PYACQ_API int pyacq_stream_connect(pyacq_stream *input, pyacq_stream *output, int32_t timeout_ms);

/* The stream's params as JSON (what pyacq_input_connect takes). Free with pyacq_free.
 * Errors: PYACQ_ERR_TIMEOUT, PYACQ_ERR_REMOTE. */
PYACQ_API int pyacq_stream_params(pyacq_stream *stream, int32_t timeout_ms, char **params_json_out);

/* Connects a local input to a node's output stream. Errors: PYACQ_ERR_STATE (the output is not
 * configured), PYACQ_ERR_BAD_PARAMS, PYACQ_ERR_IO, PYACQ_ERR_TIMEOUT, PYACQ_ERR_REMOTE. */
PYACQ_API int pyacq_input_connect_stream(pyacq_input *stream, pyacq_stream *output, int32_t timeout_ms);

/* A local node's stream as an ordinary stream handle (send, recv, params...). The handle is
 * borrowed: pyacq_output_destroy / pyacq_input_destroy on it release the handle only, the node
 * keeps its stream open (pyacq_*_close would close it).
 * *output_out is set for an output, *input_out for an input (either may be NULL when the
 * caller knows which it is). Errors: PYACQ_ERR_STATE (the stream lives in another process),
 * PYACQ_ERR_INVALID_ARGUMENT (the out-pointer for that kind is NULL). */
PYACQ_API int pyacq_stream_local(pyacq_stream *stream, pyacq_output **output_out, pyacq_input **input_out);

/* Conversions between a stream handle and a generic proxy (no message is sent; a local node's
 * stream has no proxy: PYACQ_ERR_STATE). Errors: none beyond the general ones. */
PYACQ_API int pyacq_stream_proxy(pyacq_stream *stream, pyacq_proxy **proxy_out);
PYACQ_API int pyacq_stream_from_proxy(pyacq_proxy *proxy, pyacq_stream **stream_out);

/* Frees the handle only. */
PYACQ_API void pyacq_stream_destroy(pyacq_stream *stream);

/* ---------------------------------------------------------------------------------------- */
/* Chunks that outlive their stream                                                         */
/* ---------------------------------------------------------------------------------------- */

/* Like pyacq_input_recv, but the view stays valid until pyacq_chunk_release(*chunk_out),
 * whatever happens to the stream meanwhile (receives on other threads, close, destroy).
 * *chunk_out is set to NULL first, and stays NULL when there is no data to keep (view_out NULL
 * or an empty chunk). Release every non-NULL chunk exactly once. Errors: as pyacq_input_recv. */
PYACQ_API int pyacq_input_recv_retained(pyacq_input *stream, int32_t timeout_ms, int64_t *index_out,
                                        pyacq_view *view_out, pyacq_chunk **chunk_out);

/* Releases what pyacq_input_recv_retained kept alive (NULL or a released chunk is ignored). */
PYACQ_API void pyacq_chunk_release(pyacq_chunk *chunk);

/* ---- Devices and zero-copy production --------------------------------------------------- */

/* Audio devices PortAudio sees now, as a JSON array of objects with pyaudio's keys: index, name,
 * hostApi, hostApiName, maxInputChannels, maxOutputChannels, defaultSampleRate,
 * defaultLow/HighInput/OutputLatency, isDefaultInput, isDefaultOutput. A PyAudio node takes the
 * index or the name as input_device_index / output_device_index. Free with pyacq_free.
 * Errors: PYACQ_ERR_IO (PortAudio could not be initialised). */
PYACQ_API int pyacq_audio_devices(char **json_out);

/* Video4Linux cameras on this machine, as a JSON array of {"path", "name"}. Free with pyacq_free.
 * Errors: none beyond the general ones. */
PYACQ_API int pyacq_video_devices(char **json_out);

/* Reserves `rows` rows of the next chunk (shape [rows, ...the stream's other axes], the stream
 * dtype, C order) for the caller to write in place: inside the shared ring for sharedmem streams,
 * inside the message that will be sent for plaindata. `index` is the stream index after the
 * chunk, or -1 for "previous index + rows". `*data_out` receives the memory (`*nbytes_out`
 * its size, may be NULL); it stays valid until pyacq_output_commit. One reservation at a time;
 * pyacq_output_send fails while one is open. Errors: PYACQ_ERR_STATE (not configured, or a
 * reservation is already open), PYACQ_ERR_INVALID_ARGUMENT (rows < 1 or more than the ring holds),
 * PYACQ_ERR_INDEX (index before the current one), PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_output_reserve(pyacq_output *stream, int64_t rows, int64_t index, void **data_out, int64_t *nbytes_out);

/* Publishes the reserved rows to every consumer. Errors: PYACQ_ERR_STATE (nothing reserved),
 * PYACQ_ERR_IO, PYACQ_ERR_CLOSED. */
PYACQ_API int pyacq_output_commit(pyacq_output *stream);

/* A producer's counters as JSON {"chunks_sent", "chunks_dropped", "samples_dropped",
 * "last_index", "queued_bytes", "queued_bytes_peak", "max_queued_bytes",
 * "consumer_queue_chunks"}. Plaindata chunk data libzmq still holds for consumers is counted
 * in queued_bytes (peak since configure); it may reach the stream param `max_queued_bytes`
 * (default 256 MiB) per subscribed consumer, and chunks beyond that are dropped and counted.
 * Each consumer's queue at the producer holds at most consumer_queue_chunks messages
 * (for fixed-length chunks: max_queued_bytes / (chunk bytes + 256), 16 to 100000, and
 * max_queued_bytes reported here is raised to 16 such chunks if it was less; 1000 for
 * variable-length ones), so a stalled consumer loses chunks itself instead of making the
 * others lose them. Free with pyacq_free. Thread-safe. Errors: none beyond the general ones. */
PYACQ_API int pyacq_output_stats(pyacq_output *stream, char **json_out);

/* ---------------------------------------------------------------------------------------- */
/* Time: per-chunk timestamps and clock offsets                                             */
/* ---------------------------------------------------------------------------------------- */

/* Timestamps are seconds on a process's stream clock: CLOCK_MONOTONIC (the clock of Python's
 * time.perf_counter on Linux) plus the test knob PYACQ_CLOCK_OFFSET_NS (integer nanoseconds added
 * to every reading; for tests only). A chunk's timestamp is the time of its last sample. Between
 * libpyacq peers every chunk carries its producer's timestamp (README "Protocol notes"); an input
 * maps it onto its own clock with the producer's clock offset. */

/* An estimate of a peer's clock: offset = peer clock - local clock (a peer time t is t - offset
 * locally); the true offset lies within offset +- uncertainty, uncertainty = round_trip / 2 of
 * the shortest of `probes` probes; measured_at is the local clock time of that probe. */
typedef struct pyacq_clock_offset {
    double offset;
    double uncertainty;
    double round_trip;
    double measured_at;
    int32_t probes;
} pyacq_clock_offset;

/* The stream clock now, seconds. Thread-safe. Errors: PYACQ_ERR_INVALID_ARGUMENT (NULL out). */
PYACQ_API int pyacq_clock_now(double *seconds_out);

/* pyacq_output_send with an explicit timestamp (stream-clock seconds of the chunk's last sample;
 * NaN = stamp at send). Thread-safe like pyacq_output_send. Errors: as pyacq_output_send. */
PYACQ_API int pyacq_output_send_stamped(pyacq_output *stream, const void *data, const char *dtype, int32_t ndim,
                                        const int64_t *shape, const int64_t *strides, int64_t index, double timestamp);

/* pyacq_output_commit with an explicit timestamp (NaN = stamp at commit). Errors: as
 * pyacq_output_commit. */
PYACQ_API int pyacq_output_commit_stamped(pyacq_output *stream, double timestamp);

/* The last received chunk's timestamp: *local_out on this process's clock (NaN until the first
 * clock offset estimate), *raw_out as the producer sent it (either pointer may be NULL).
 * Thread-safe. Errors: PYACQ_ERR_STATE (no stamped chunk received yet, or the producer does not
 * stamp: an original pyacq output, or timestamps switched off with the param timestamps=false). */
PYACQ_API int pyacq_input_last_timestamp(pyacq_input *stream, double *local_out, double *raw_out);

/* The producer's clock offset as seen by this input (re-estimated every clock_offset_period
 * seconds, input spec key, default 5), waiting up to timeout_ms (< 0: 2000) for the first
 * estimate. Thread-safe. Errors: PYACQ_ERR_STATE (the producer does not stamp),
 * PYACQ_ERR_TIMEOUT (no estimate yet: the producer's clock server did not answer). */
PYACQ_API int pyacq_input_clock_offset(pyacq_input *stream, int32_t timeout_ms, pyacq_clock_offset *out);

/* Estimates the clock offset of the process serving `client` (any RPC peer, Python pyacq too)
 * from `probes` (< 1: 8) synchronous calls of its time.perf_counter, keeping the one with the
 * shortest round trip (the §6.3 measure_clock_diff averages instead). Blocks the calling thread
 * for the probes. Errors: PYACQ_ERR_TIMEOUT, PYACQ_ERR_REMOTE (perf_counter did not return a
 * float), PYACQ_ERR_IO. */
PYACQ_API int pyacq_rpc_client_clock_offset(pyacq_rpc_client *client, int32_t probes, int32_t timeout_ms,
                                            pyacq_clock_offset *out);

/* ---- Latency (closed-loop use) --------------------------------------------------------- */

/* Makes receives and polls on this input (pyacq_input_recv, _recv_into, _recv_retained,
 * _poll) busy-wait up to `spin_us` microseconds for a chunk before they sleep: a shorter
 * wake-up for one core's time. 0 (the default) sleeps at once. Thread-safe; applies from the
 * next receive. Errors: PYACQ_ERR_INVALID_ARGUMENT (spin_us outside 0...1000000). */
PYACQ_API int pyacq_input_set_spin(pyacq_input *stream, int32_t spin_us);

/* How chunks reach this input: *mode_out = 1 when a sharedmem producer's shared-memory wake-up
 * page is used (both ends libpyacq; stream param "shm_wakeup"), 0 for ZeroMQ messages
 * (plaindata, original pyacq producers, or "shm_wakeup": false in the input's spec).
 * Thread-safe. Errors: PYACQ_ERR_STATE (not connected). */
PYACQ_API int pyacq_input_wakeup_mode(pyacq_input *stream, int32_t *mode_out);

#ifdef __cplusplus
}
#endif

#endif /* PYACQ_H */
