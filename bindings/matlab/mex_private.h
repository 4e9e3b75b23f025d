/*
 * mex_private.h — what the translation units of the pyacq_mex gateway share.
 *
 *   pyacq_mex.c       dispatcher (mexFunction) and the library-wide commands
 *   mex_errors.c      the status table, MATLAB errors from library failures
 *   mex_handles.c     the table of live handles (kinds, ids never reused)
 *   mex_args.c        checking and converting MATLAB arguments
 *   mex_arrays.c      MATLAB classes <-> dtypes, array layout, the one strided copy
 *   mex_streams.c     output and input streams
 *   mex_ringbuffer.c  ring buffers (and the inputs' buffers)
 *   mex_rpc.c         generic proxies (calls, attributes, values)
 *   mex_graph.c       managers, hosts, node groups, nodes and their streams
 *
 * JSON is never parsed or written here: commands take and return JSON text, which the
 * classdefs (+pyacq) encode and decode with jsonencode/jsondecode.
 */
#ifndef PYACQ_MEX_PRIVATE_H
#define PYACQ_MEX_PRIVATE_H

#include "mex.h"
#include "pyacq.h"

#include <stddef.h>
#include <stdint.h>

/* The gateway's own functions stay private to the MEX file: a name such as `check` must not
 * bind to (or be bound by) a symbol of the host program. mexFunction is declared in mex.h. */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

#define MAXD PYACQ_MAX_NDIM

/* One command of the gateway: pyacq_mex(name, arguments...). */
typedef void (*command_fn)(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
typedef struct mex_command {
    const char *name;
    command_fn fn;
} mex_command;

/* The command tables of the areas (each ends with {NULL, NULL}). */
extern const mex_command MEX_STREAM_COMMANDS[];
extern const mex_command MEX_RINGBUFFER_COMMANDS[];
extern const mex_command MEX_RPC_COMMANDS[];
extern const mex_command MEX_GRAPH_COMMANDS[];
extern const mex_command MEX_DEVICE_COMMANDS[];
extern const mex_command MEX_ERROR_COMMANDS[];
extern const mex_command MEX_HANDLE_COMMANDS[];
extern const mex_command MEX_TIME_COMMANDS[]; /* mex_time.c */

/* --- errors (mex_errors.c) --- */

extern const char *g_cmd; /* command being run: prefixes messages */

/* Raises a MATLAB error (does not return). Memory from mxMalloc/mxArrayToString is released
 * by the MEX runtime; anything else the command owns must be released before. */
void fail(const char *id, const char *fmt, ...);
/* Saves the library's last error for `status`: call right after the failing call, before any
 * other libpyacq call (pyacq_last_error* are only valid until then). */
void capture(int status);
/* Raises the error saved by capture(). */
void raise_captured(void);
/* capture + raise if status != PYACQ_OK. */
void check(int status);

/* --- handles (mex_handles.c) --- */

typedef enum handle_kind {
    K_OUTPUT = 1,
    K_INPUT,
    K_RING,
    K_MANAGER,
    K_PROXY,
    K_HOST,
    K_NODEGROUP,
    K_NODE,
    K_STREAM /* a node's input or output stream (pyacq_stream) */
} handle_kind;

typedef struct entry {
    uint64_t id;
    handle_kind kind;
    void *ptr;
    pyacq_proxy *proxy; /* typed remote objects: their generic proxy, made on first use */
    char dtype[40];     /* streams: canonical stream dtype once known ("" = unknown) */
    int ndim;           /* streams: number of chunk dims (len(params.shape)), 0 = unknown */
    int has_params;     /* streams: dtype/ndim above come from the stream's params */
} entry;

const char *kind_name(handle_kind kind);
/* The live entry of MATLAB value `a` (a uint64 id) of kind `kind`; pyacq:handle otherwise. */
entry *get_handle(const mxArray *a, handle_kind kind);
/* Registers a new library object and returns its id; destroys the object if that fails. */
mxArray *register_new(handle_kind kind, void *ptr);
/* The generic proxy of a proxy, host, node group, node or node stream handle. */
pyacq_proxy *get_any_proxy(const mxArray *a);
/* destroy commands: 0 or [] is a no-op (like NULL in C); an unknown id raises pyacq:handle. */
void destroy_handle(handle_kind kind, int nlhs, int nrhs, const mxArray *prhs[], const char *usage);
/* mexAtExit: releases every live handle (consumers first, managers last). */
void release_all(void);

/* --- arguments (mex_args.c) --- */

void need_args(int nrhs, int min, int max, const char *usage); /* nrhs counts the command */
void need_outputs(int nlhs, int max);
int is_real_dense(const mxArray *a);
/* A char row vector (or '') -> mxMalloc'd C string. */
char *get_string(const mxArray *a, const char *name);
/* Optional text argument prhs[i]: missing, [] or '' -> NULL. */
char *get_text_opt(int nrhs, const mxArray *prhs[], int i, const char *name);
/* A real numeric scalar holding an integer in [lo, hi] (int64/uint64 read exactly). */
int64_t get_int(const mxArray *a, const char *name, int64_t lo, int64_t hi);
/* Timeout prhs[i] in milliseconds: >= 0, or Inf / -1 / [] for "forever" (-1); `dflt` if missing. */
int32_t get_timeout(int nrhs, const mxArray *prhs[], int i, int32_t dflt);

enum { ORIENT_SAMPLES_BY_CHANNELS = 0, ORIENT_CHANNELS_BY_SAMPLES = 1 };
int get_orientation(int nrhs, const mxArray *prhs[], int i);

/* Default timeout of the commands that wait on a peer when none is given (ms). */
#define DEFAULT_TIMEOUT_MS 10000

/* --- arrays (mex_arrays.c) --- */

typedef struct type_map {
    mxClassID cls;
    const char *dtype; /* canonical numpy name (str(dtype)) */
    int itemsize;
} type_map;

const type_map *type_of_dtype(const char *dtype);
/* The MATLAB type of a canonical stream dtype, or pyacq:dtype. itemsize <= 0: not checked. */
const type_map *require_type(const char *dtype, int itemsize);
/* Numeric or logical, real, dense data -> its type entry (pyacq:argument / pyacq:dtype). */
const type_map *data_type(const mxArray *a);
/* The chunk view (shape, byte strides) of MATLAB array `a` for a chunk of `k` dims (k <= 0:
 * taken from the array); returns k. Fails if the array does not fit. */
int chunk_layout(const mxArray *a, int orient, int k, int itemsize, int64_t *shape, int64_t *strides);
/* A new MATLAB array for a chunk of `shape` (k dims) and the byte strides of each chunk axis. */
mxArray *create_for_chunk(const type_map *t, int orient, int k, const int64_t *shape, int64_t *dst_strides);
/* Copies an n-d strided array (byte strides, possibly negative) element by element. */
void strided_copy(char *dst, const int64_t *dst_strides, const char *src, const int64_t *src_strides,
                  const int64_t *shape, int ndim, int itemsize);
/* Canonical form of a dtype string into out ("" if unknown). */
void canonical_dtype(const char *raw, char *out, size_t cap);

/* --- shared by the stream and ring buffer commands --- */

/* The JSON string *json a library call returned with `status`, as a MATLAB char array (freed
 * here; raises on error). A pointer, so that json_result(pyacq_x(&json), &json) reads it after
 * the call whatever the order in which arguments are evaluated. */
mxArray *json_result(int status, char **json);
/* Sends MATLAB array prhs[2] to an output or ring buffer (index prhs[3], orientation prhs[4]);
 * `in_place` (outputs only): written once into the rows the stream reserves. */
void send_data(entry *e, int nrhs, const mxArray *prhs[], int in_place);

/* The arguments after the handle of the get_data commands: (n [, orientation]) for the last
 * n samples, or (start, stop [, orientation]) for samples [start, stop). */
typedef struct range_args {
    int last_n;
    int64_t a, b;
    int orient;
} range_args;
void parse_range(int nrhs, const mxArray *prhs[], range_args *r);
/* Copies the requested samples of `ring` into a new MATLAB array. `release`: `ring` is a
 * temporary reference, destroyed before returning or raising. */
mxArray *ring_data(pyacq_ringbuffer *ring, int release, const range_args *r);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
