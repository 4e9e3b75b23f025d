/*
 * pyacq_mex.c — the one MEX gateway of the MATLAB/Octave binding of libpyacq.
 *
 *     result = pyacq_mex(command, arguments...)
 *
 * Every command is a string (see the dispatch table at the end of this file and README.md).
 * Handles are opaque uint64 ids handed out by this gateway; it keeps a table of live ids, so a
 * destroyed, foreign or mistyped handle raises `pyacq:handle` instead of crashing the host.
 * Every failure raises an error with an identifier `pyacq:<what>` (see status_id below) and the
 * message of pyacq_last_error().
 *
 * Array orientation (last, optional argument of the data commands):
 *   'samples-by-channels' (default): MATLAB size [nsamp, d1, ..., dk] for pyacq chunk shape
 *       [nsamp, d1, ..., dk]. A 2-D [nsamp x nchan] array is a Fortran-order chunk: sent without
 *       any copy (strides passed to the library).
 *   'channels-by-samples': MATLAB size [d1, ..., dk, nsamp] (time moved to the last axis); a
 *       2-D [nchan x nsamp] array is exactly a C-order chunk.
 *   1-D streams (shape [-1]) use a column [nsamp x 1] resp. a row [1 x nsamp].
 *
 * Distributed graphs (pyacq.Manager / NodeGroup / Node / StreamProxy): managers and proxies to
 * remote objects (node groups, nodes, their streams, hosts) are handles of the same table
 * ('manager', 'proxy'). Values sent to remote calls (node configure keywords, call arguments)
 * are MATLAB values encoded to JSON here (encode_value: numeric/logical arrays become pyacq's
 * ndarray marker maps with base64 data in C order, MATLAB size = numpy shape); results come
 * back as JSON text, decoded by +pyacq/+internal/fromRemote.m with 'ndarray_decode'.
 * Remote exceptions (PYACQ_ERR_REMOTE) raise `pyacq:remote` with the remote message.
 *
 * Only the documented C MEX API is used: builds with Octave's `mkoctfile --mex` and MATLAB's `mex`.
 */
#include "mex.h"
#include "pyacq.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static char g_msg[2048];
static const char *g_msg_id = "pyacq:internal";
static const char *g_cmd = "pyacq_mex"; /* command being run, prefixes messages */

static const char *status_id(int status)
{
    switch (status) {
    case PYACQ_ERR_INVALID_ARGUMENT: return "pyacq:argument";
    case PYACQ_ERR_BAD_PARAMS: return "pyacq:params";
    case PYACQ_ERR_DTYPE: return "pyacq:dtype";
    case PYACQ_ERR_STATE: return "pyacq:state";
    case PYACQ_ERR_TIMEOUT: return "pyacq:timeout";
    case PYACQ_ERR_IO: return "pyacq:io";
    case PYACQ_ERR_MALFORMED: return "pyacq:malformed";
    case PYACQ_ERR_INDEX: return "pyacq:index";
    case PYACQ_ERR_BUFFER_TOO_SMALL: return "pyacq:buffer";
    case PYACQ_ERR_OVERRUN: return "pyacq:overrun";
    case PYACQ_ERR_CLOSED: return "pyacq:closed";
    case PYACQ_ERR_REMOTE: return "pyacq:remote";
    default: return "pyacq:internal";
    }
}

/* Raises a MATLAB error (does not return). Everything owned by the gateway must be released
 * before: memory from mxMalloc/mxArrayToString is released by the MEX runtime itself. */
static void fail(const char *id, const char *fmt, ...)
{
    char text[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(g_msg, sizeof g_msg, "%s: %s", g_cmd, text);
    mexErrMsgIdAndTxt(id, "%s", g_msg);
}

/* Saves the library's last error for `status` (call right after the failing call, before any
 * other libpyacq call: pyacq_last_error is only valid until then). */
static void capture(int status)
{
    const char *last = pyacq_last_error();
    snprintf(g_msg, sizeof g_msg, "%s: %s (%s)", g_cmd, (last && *last) ? last : "failed",
             pyacq_status_name(status));
    g_msg_id = status_id(status);
}

static void raise_captured(void)
{
    mexErrMsgIdAndTxt(g_msg_id, "%s", g_msg);
}

/* Raises the library's error if status != PYACQ_OK. */
static void check(int status)
{
    if (status == PYACQ_OK) return;
    capture(status);
    raise_captured();
}

/* ------------------------------------------------------------------------------------------ */
/* Handle table                                                                               */
/* ------------------------------------------------------------------------------------------ */

enum { K_OUTPUT = 1, K_INPUT = 2, K_RING = 3, K_MANAGER = 4, K_PROXY = 5 };

static const char *kind_name(int kind)
{
    switch (kind) {
    case K_OUTPUT: return "output stream";
    case K_INPUT: return "input stream";
    case K_RING: return "ring buffer";
    case K_MANAGER: return "manager";
    case K_PROXY: return "proxy";
    default: return "unknown";
    }
}

static const char *article(int kind)
{
    return (kind == K_OUTPUT || kind == K_INPUT) ? "an" : "a";
}

typedef struct entry {
    uint64_t id;
    int kind;
    void *ptr;
    char dtype[40]; /* streams: canonical stream dtype once known ("" = unknown / unsupported) */
    int ndim;       /* streams: number of chunk dims (len(params.shape)), 0 = unknown */
    int has_params; /* streams: dtype/ndim above come from the stream's params */
} entry;

static entry *g_table = NULL;
static size_t g_len = 0, g_cap = 0;
static uint64_t g_next_id = 1; /* ids are never reused, so a stale id never matches */

static entry *table_add(int kind, void *ptr)
{
    entry *e;
    if (g_len == g_cap) {
        size_t cap = g_cap ? 2 * g_cap : 16;
        entry *grown = (entry *)realloc(g_table, cap * sizeof(entry));
        if (!grown) return NULL;
        g_table = grown;
        g_cap = cap;
    }
    e = &g_table[g_len++];
    memset(e, 0, sizeof *e);
    e->id = g_next_id++;
    e->kind = kind;
    e->ptr = ptr;
    return e;
}

static entry *table_find(uint64_t id)
{
    size_t i;
    for (i = 0; i < g_len; i++)
        if (g_table[i].id == id) return &g_table[i];
    return NULL;
}

static void table_remove(entry *e)
{
    size_t i = (size_t)(e - g_table);
    if (i + 1 < g_len) memmove(&g_table[i], &g_table[i + 1], (g_len - i - 1) * sizeof(entry));
    g_len--;
}

static void destroy_object(int kind, void *ptr)
{
    switch (kind) {
    case K_OUTPUT: pyacq_output_destroy((pyacq_output *)ptr); break;
    case K_INPUT: pyacq_input_destroy((pyacq_input *)ptr); break;
    case K_RING: pyacq_ringbuffer_destroy((pyacq_ringbuffer *)ptr); break;
    case K_PROXY: pyacq_proxy_destroy((pyacq_proxy *)ptr); break;
    case K_MANAGER: pyacq_manager_destroy((pyacq_manager *)ptr); break; /* closes its node groups */
    }
}

/* Registered with mexAtExit: releases every live handle (consumers first, managers last: their
 * node group processes are closed then). */
static void release_all(void)
{
    int pass;
    static const int order[5] = {K_INPUT, K_OUTPUT, K_RING, K_PROXY, K_MANAGER};
    for (pass = 0; pass < 5; pass++) {
        size_t i;
        for (i = 0; i < g_len; i++)
            if (g_table[i].kind == order[pass]) destroy_object(g_table[i].kind, g_table[i].ptr);
    }
    free(g_table);
    g_table = NULL;
    g_len = g_cap = 0;
}

static mxArray *handle_value(const entry *e)
{
    mxArray *a = mxCreateNumericMatrix(1, 1, mxUINT64_CLASS, mxREAL);
    *(uint64_t *)mxGetData(a) = e->id;
    return a;
}

/* ------------------------------------------------------------------------------------------ */
/* Argument validation                                                                        */
/* ------------------------------------------------------------------------------------------ */

static void need_args(int nrhs, int min, int max, const char *usage)
{
    /* nrhs counts the command itself */
    if (nrhs - 1 < min || nrhs - 1 > max)
        fail("pyacq:argument", "wrong number of arguments (%d); usage: %s", nrhs - 1, usage);
}

static void need_outputs(int nlhs, int max)
{
    if (nlhs > max) fail("pyacq:argument", "too many output arguments (at most %d)", max);
}

static int is_real_dense(const mxArray *a)
{
    return !mxIsComplex(a) && !mxIsSparse(a);
}

/* A char row vector (or '' / empty) → mxMalloc'd C string. */
static char *get_string(const mxArray *a, const char *name)
{
    char *s;
    if (!mxIsChar(a) || (mxGetNumberOfElements(a) > 0 && mxGetM(a) != 1) || mxGetNumberOfDimensions(a) > 2)
        fail("pyacq:argument", "%s must be a character row vector (text), got a %s array", name, mxGetClassName(a));
    s = mxArrayToString(a);
    if (!s) fail("pyacq:argument", "%s could not be converted to text", name);
    return s;
}

/* An optional JSON argument: missing, [] or '' → NULL. */
static char *get_json_opt(int nrhs, const mxArray *prhs[], int i, const char *name)
{
    char *s;
    if (i >= nrhs || (mxIsNumeric(prhs[i]) && mxIsEmpty(prhs[i]))) return NULL;
    s = get_string(prhs[i], name);
    return *s ? s : NULL;
}

static entry *get_handle(const mxArray *a, int kind)
{
    uint64_t id;
    entry *e;
    if (!mxIsUint64(a) || mxGetNumberOfElements(a) != 1 || !is_real_dense(a))
        fail("pyacq:argument", "the %s handle must be a uint64 scalar, got a %s array", kind_name(kind), mxGetClassName(a));
    id = *(const uint64_t *)mxGetData(a);
    e = table_find(id);
    if (!e) fail("pyacq:handle", "%s handle %llu is invalid or was already destroyed", kind_name(kind), (unsigned long long)id);
    if (e->kind != kind)
        fail("pyacq:handle", "handle %llu is %s %s, not %s %s", (unsigned long long)id, article(e->kind), kind_name(e->kind),
             article(kind), kind_name(kind));
    return e;
}

/* A real numeric scalar holding an integer in [lo, hi]. int64/uint64 are read exactly. */
static int64_t get_int(const mxArray *a, const char *name, int64_t lo, int64_t hi)
{
    int64_t v;
    if (!(mxIsNumeric(a) || mxIsLogical(a)) || mxGetNumberOfElements(a) != 1 || !is_real_dense(a))
        fail("pyacq:argument", "%s must be a real numeric scalar, got a %s array of %d element(s)", name,
             mxGetClassName(a), (int)mxGetNumberOfElements(a));
    if (mxIsInt64(a)) {
        v = *(const int64_t *)mxGetData(a);
    } else if (mxIsUint64(a)) {
        uint64_t u = *(const uint64_t *)mxGetData(a);
        if (u > (uint64_t)INT64_MAX) fail("pyacq:argument", "%s is out of range", name);
        v = (int64_t)u;
    } else {
        double d = mxGetScalar(a);
        if (!(d == floor(d)) || !isfinite(d)) fail("pyacq:argument", "%s must be a finite integer value, got %g", name, d);
        if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) fail("pyacq:argument", "%s is out of range", name);
        v = (int64_t)d;
    }
    if (v < lo || v > hi)
        fail("pyacq:argument", "%s must be between %lld and %lld, got %lld", name, (long long)lo, (long long)hi, (long long)v);
    return v;
}

/* A timeout in milliseconds: a non-negative number, or Inf / -1 / [] for "forever" (-1). */
static int get_timeout(int nrhs, const mxArray *prhs[], int i, int dflt)
{
    double d;
    const mxArray *a;
    if (i >= nrhs) return dflt;
    a = prhs[i];
    if (mxIsNumeric(a) && mxIsEmpty(a)) return -1;
    if (!mxIsNumeric(a) || mxGetNumberOfElements(a) != 1 || !is_real_dense(a))
        fail("pyacq:argument", "the timeout must be a real numeric scalar in milliseconds (Inf or -1 = forever), got a %s array",
             mxGetClassName(a));
    d = mxGetScalar(a);
    if (isnan(d)) fail("pyacq:argument", "the timeout must not be NaN");
    if (d == -1 || d == INFINITY) return -1;
    if (d < 0) fail("pyacq:argument", "the timeout must be >= 0 milliseconds (Inf or -1 = forever), got %g", d);
    d = ceil(d);
    return d > (double)INT_MAX ? -1 : (int)d;
}

enum { ORIENT_SAMPLES_BY_CHANNELS = 0, ORIENT_CHANNELS_BY_SAMPLES = 1 };

static int get_orientation(int nrhs, const mxArray *prhs[], int i)
{
    char *s;
    int result = -1;
    if (i >= nrhs) return ORIENT_SAMPLES_BY_CHANNELS;
    s = get_string(prhs[i], "the orientation");
    {
        char *p;
        for (p = s; *p; p++) *p = (char)tolower((unsigned char)*p);
    }
    if (!strcmp(s, "samples-by-channels")) result = ORIENT_SAMPLES_BY_CHANNELS;
    else if (!strcmp(s, "channels-by-samples")) result = ORIENT_CHANNELS_BY_SAMPLES;
    if (result < 0)
        fail("pyacq:argument", "the orientation must be 'samples-by-channels' or 'channels-by-samples', got '%s'", s);
    mxFree(s);
    return result;
}

/* ------------------------------------------------------------------------------------------ */
/* Types                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct type_map {
    mxClassID cls;
    const char *dtype; /* canonical numpy name (str(dtype)) */
    int itemsize;
} type_map;

static const type_map TYPES[] = {
    {mxDOUBLE_CLASS, "float64", 8}, {mxSINGLE_CLASS, "float32", 4}, {mxINT8_CLASS, "int8", 1},
    {mxUINT8_CLASS, "uint8", 1},    {mxINT16_CLASS, "int16", 2},    {mxUINT16_CLASS, "uint16", 2},
    {mxINT32_CLASS, "int32", 4},    {mxUINT32_CLASS, "uint32", 4},  {mxINT64_CLASS, "int64", 8},
    {mxUINT64_CLASS, "uint64", 8},  {mxLOGICAL_CLASS, "bool", 1},
};
#define NTYPES (sizeof TYPES / sizeof TYPES[0])

static const type_map *type_of_class(mxClassID cls)
{
    size_t i;
    for (i = 0; i < NTYPES; i++)
        if (TYPES[i].cls == cls) return &TYPES[i];
    return NULL;
}

static const type_map *type_of_dtype(const char *dtype)
{
    size_t i;
    for (i = 0; i < NTYPES; i++)
        if (!strcmp(TYPES[i].dtype, dtype)) return &TYPES[i];
    return NULL;
}

/* The MATLAB type of a canonical stream dtype, or an error (pyacq:dtype). */
static const type_map *require_type(const char *dtype, int itemsize)
{
    const type_map *t;
    if (!dtype || !*dtype)
        fail("pyacq:dtype", "the stream dtype is unknown or not a plain numeric dtype (structured dtypes are not supported "
                            "by the MATLAB binding)");
    t = type_of_dtype(dtype);
    if (!t)
        fail("pyacq:dtype", "dtype '%s' has no MATLAB equivalent (supported: float64, float32, int8..int64, uint8..uint64, bool)",
             dtype);
    if (itemsize > 0 && itemsize != t->itemsize)
        fail("pyacq:dtype", "item size %d does not match dtype '%s'", itemsize, dtype);
    return t;
}

/* Numeric or logical, real, dense data → its type entry. */
static const type_map *data_type(const mxArray *a)
{
    const type_map *t;
    if (!(mxIsNumeric(a) || mxIsLogical(a)))
        fail("pyacq:argument", "data must be a numeric or logical array, got a %s array", mxGetClassName(a));
    if (mxIsComplex(a)) fail("pyacq:dtype", "complex data is not supported by the MATLAB binding");
    if (mxIsSparse(a)) fail("pyacq:argument", "data must be a full (not sparse) array");
    t = type_of_class(mxGetClassID(a));
    if (!t) fail("pyacq:dtype", "data of class %s is not supported", mxGetClassName(a));
    return t;
}

/* ------------------------------------------------------------------------------------------ */
/* A tiny JSON scanner: top-level "dtype" (string) and len("shape") of params the library gave */
/* ------------------------------------------------------------------------------------------ */

typedef struct jscan {
    const char *p;
} jscan;

static void j_ws(jscan *s)
{
    while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r') s->p++;
}

/* Reads a string at s->p (which is '"'); copies up to cap-1 bytes into out (may be NULL). */
static int j_string(jscan *s, char *out, size_t cap)
{
    size_t n = 0;
    int truncated = 0;
    if (*s->p != '"') return -1;
    s->p++;
    while (*s->p && *s->p != '"') {
        char c = *s->p++;
        if (c == '\\') {
            if (!*s->p) return -1;
            c = *s->p++;
            if (c == 'u') {
                int k;
                for (k = 0; k < 4; k++)
                    if (!*s->p++) return -1;
                c = '?';
            }
        }
        if (out) {
            if (n + 1 < cap) out[n++] = c;
            else truncated = 1;
        }
    }
    if (*s->p != '"') return -1;
    s->p++;
    if (out && cap) out[n] = 0;
    return truncated ? 1 : 0;
}

static int j_skip(jscan *s, int depth)
{
    if (depth > 64) return -1;
    j_ws(s);
    if (*s->p == '"') return j_string(s, NULL, 0) < 0 ? -1 : 0;
    if (*s->p == '[' || *s->p == '{') {
        char close = *s->p == '[' ? ']' : '}';
        int object = *s->p == '{';
        s->p++;
        j_ws(s);
        if (*s->p == close) {
            s->p++;
            return 0;
        }
        for (;;) {
            if (object) {
                j_ws(s);
                if (j_string(s, NULL, 0) < 0) return -1;
                j_ws(s);
                if (*s->p++ != ':') return -1;
            }
            if (j_skip(s, depth + 1) < 0) return -1;
            j_ws(s);
            if (*s->p == ',') {
                s->p++;
                continue;
            }
            if (*s->p == close) {
                s->p++;
                return 0;
            }
            return -1;
        }
    }
    /* number or literal (true, false, null, NaN, Infinity, -Infinity) */
    {
        const char *start = s->p;
        while (*s->p && strchr(",]} \t\r\n", *s->p) == NULL) s->p++;
        return s->p > start ? 0 : -1;
    }
}

/* Counts the elements of the array at s->p, or -1. */
static int j_array_len(jscan *s)
{
    int n = 0;
    if (*s->p != '[') return -1;
    s->p++;
    j_ws(s);
    if (*s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (j_skip(s, 1) < 0) return -1;
        n++;
        j_ws(s);
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p == ']') {
            s->p++;
            return n;
        }
        return -1;
    }
}

/* Fills dtype (raw string value, "" if absent or not a string) and ndim (0 if unknown). */
static void params_meta(const char *json, char *dtype, size_t cap, int *ndim)
{
    jscan s;
    char key[64];
    dtype[0] = 0;
    *ndim = 0;
    s.p = json;
    j_ws(&s);
    if (*s.p++ != '{') return;
    j_ws(&s);
    if (*s.p == '}') return;
    for (;;) {
        j_ws(&s);
        if (j_string(&s, key, sizeof key) < 0) return;
        j_ws(&s);
        if (*s.p++ != ':') return;
        j_ws(&s);
        if (!strcmp(key, "dtype") && *s.p == '"') {
            if (j_string(&s, dtype, cap) != 0) {
                dtype[0] = 0;
                return;
            }
        } else if (!strcmp(key, "shape") && *s.p == '[') {
            int n = j_array_len(&s);
            if (n < 0) return;
            *ndim = n;
        } else if (j_skip(&s, 1) < 0) {
            return;
        }
        j_ws(&s);
        if (*s.p == ',') {
            s.p++;
            continue;
        }
        return;
    }
}

/* Canonical form of a raw dtype string into out ("" if not a known dtype). */
static void canonical_dtype(const char *raw, char *out, size_t cap)
{
    char *canon = NULL;
    out[0] = 0;
    if (!*raw) return;
    if (pyacq_dtype_normalize(raw, &canon) == PYACQ_OK && canon) {
        if (strlen(canon) < cap) strcpy(out, canon);
        pyacq_free(canon);
    }
}

/* Refreshes dtype/ndim of a stream entry from its params (cleared when not available). */
static void refresh_meta(entry *e)
{
    char *json = NULL;
    int st;
    char raw[64];
    e->dtype[0] = 0;
    e->ndim = 0;
    e->has_params = 0;
    st = e->kind == K_OUTPUT ? pyacq_output_params((pyacq_output *)e->ptr, &json)
                             : pyacq_input_params((pyacq_input *)e->ptr, &json);
    if (st != PYACQ_OK || !json) return;
    e->has_params = 1;
    params_meta(json, raw, sizeof raw, &e->ndim);
    pyacq_free(json);
    canonical_dtype(raw, e->dtype, sizeof e->dtype);
}

/* ------------------------------------------------------------------------------------------ */
/* Layout between MATLAB arrays and pyacq chunks                                              */
/* ------------------------------------------------------------------------------------------ */

#define MAXD PYACQ_MAX_NDIM

/* MATLAB dimension that holds chunk axis j (0 = time) of a chunk with `k` dims, in an array
 * with `m` = max(k, 2) dims. */
static int matlab_axis(int orient, int m, int j)
{
    if (orient == ORIENT_SAMPLES_BY_CHANNELS) return j;
    return j == 0 ? m - 1 : j - 1;
}

/* The chunk view (shape, byte strides) of MATLAB array `a` for a chunk of `k` dims (k <= 0:
 * unknown, taken from the array). Fails if the array does not fit. */
static int chunk_layout(const mxArray *a, int orient, int k, int itemsize, int64_t *shape, int64_t *strides)
{
    mwSize nd = mxGetNumberOfDimensions(a);
    const mwSize *dims = mxGetDimensions(a);
    int64_t mdims[MAXD + 1], mstride[MAXD + 1];
    int used[MAXD + 1];
    int m, j, i;
    if (k <= 0) {
        k = (int)nd;
        /* a trailing singleton channel axis is kept: [n x 1] → [n, 1] */
    }
    if (k > MAXD) fail("pyacq:argument", "chunks of %d dimensions are not supported", k);
    if ((int)nd > MAXD) fail("pyacq:argument", "data has too many dimensions (%d)", (int)nd);
    m = k < 2 ? 2 : k;
    if ((int)nd > m) {
        for (i = m; i < (int)nd; i++)
            if (dims[i] != 1)
                fail("pyacq:argument", "data has %d dimensions but the stream's chunks have %d", (int)nd, k);
    }
    for (i = 0; i < m; i++) {
        mdims[i] = i < (int)nd ? (int64_t)dims[i] : 1;
        used[i] = 0;
    }
    mstride[0] = itemsize;
    for (i = 1; i < m; i++) mstride[i] = mstride[i - 1] * mdims[i - 1];
    for (j = 0; j < k; j++) {
        int ax = matlab_axis(orient, m, j);
        shape[j] = mdims[ax];
        strides[j] = mstride[ax];
        used[ax] = 1;
    }
    for (i = 0; i < m; i++)
        if (!used[i] && mdims[i] != 1)
            fail("pyacq:argument",
                 "a 1-D stream takes a %s vector in orientation '%s' (got a %d x %d array)",
                 orient == ORIENT_SAMPLES_BY_CHANNELS ? "column" : "row",
                 orient == ORIENT_SAMPLES_BY_CHANNELS ? "samples-by-channels" : "channels-by-samples", (int)mdims[0],
                 (int)mdims[1]);
    return k;
}

/* Creates the MATLAB array for a chunk of shape `shape` (k dims) and gives the byte strides
 * of each chunk axis inside it. */
static mxArray *create_for_chunk(const type_map *t, int orient, int k, const int64_t *shape, int64_t *dst_strides)
{
    mwSize mdims[MAXD + 1];
    int64_t mstride[MAXD + 1];
    int m = k < 2 ? 2 : k, i, j;
    mxArray *a;
    for (i = 0; i < m; i++) mdims[i] = 1;
    for (j = 0; j < k; j++) mdims[matlab_axis(orient, m, j)] = (mwSize)shape[j];
    if (t->cls == mxLOGICAL_CLASS) a = mxCreateLogicalArray((mwSize)m, mdims);
    else a = mxCreateUninitNumericArray((mwSize)m, mdims, t->cls, mxREAL);
    if (!a) fail("pyacq:internal", "out of memory");
    mstride[0] = t->itemsize;
    for (i = 1; i < m; i++) mstride[i] = mstride[i - 1] * (int64_t)mdims[i - 1];
    for (j = 0; j < k; j++) dst_strides[j] = mstride[matlab_axis(orient, m, j)];
    return a;
}

/* Copies an n-d strided array (byte strides) element by element. */
static void strided_copy(char *dst, const int64_t *dst_strides_in, const char *src, const int64_t *src_strides_in,
                         const int64_t *shape_in, int ndim, int itemsize)
{
    int64_t shape[MAXD], ds[MAXD], ss[MAXD], counter[MAXD];
    int64_t total = 1, inner_n, inner_ds, inner_ss, outer;
    int i, inner = ndim - 1, nd = 0;
    if (ndim <= 0) {
        memcpy(dst, src, (size_t)itemsize);
        return;
    }
    for (i = 0; i < ndim; i++) total *= shape_in[i];
    if (total == 0) return;
    /* innermost loop: the axis with the smallest destination stride (sequential writes) */
    for (i = 0; i < ndim; i++) {
        int64_t a = dst_strides_in[i] < 0 ? -dst_strides_in[i] : dst_strides_in[i];
        int64_t b = dst_strides_in[inner] < 0 ? -dst_strides_in[inner] : dst_strides_in[inner];
        if (shape_in[i] > 1 && (a < b || shape_in[inner] <= 1)) inner = i;
    }
    for (i = 0; i < ndim; i++) {
        if (i == inner) continue;
        if (shape_in[i] == 1) continue;
        shape[nd] = shape_in[i];
        ds[nd] = dst_strides_in[i];
        ss[nd] = src_strides_in[i];
        counter[nd] = 0;
        nd++;
    }
    inner_n = shape_in[inner];
    inner_ds = dst_strides_in[inner];
    inner_ss = src_strides_in[inner];
    outer = total / inner_n;
    while (outer-- > 0) {
        int64_t n;
        char *d = dst;
        const char *s = src;
        if (inner_ds == itemsize && inner_ss == itemsize) {
            memcpy(d, s, (size_t)(inner_n * itemsize));
        } else {
            switch (itemsize) {
            case 1: for (n = 0; n < inner_n; n++, d += inner_ds, s += inner_ss) *d = *s; break;
            case 2: for (n = 0; n < inner_n; n++, d += inner_ds, s += inner_ss) memcpy(d, s, 2); break;
            case 4: for (n = 0; n < inner_n; n++, d += inner_ds, s += inner_ss) memcpy(d, s, 4); break;
            case 8: for (n = 0; n < inner_n; n++, d += inner_ds, s += inner_ss) memcpy(d, s, 8); break;
            default: for (n = 0; n < inner_n; n++, d += inner_ds, s += inner_ss) memcpy(d, s, (size_t)itemsize); break;
            }
        }
        /* odometer over the outer axes */
        for (i = nd - 1; i >= 0; i--) {
            dst += ds[i];
            src += ss[i];
            if (++counter[i] < shape[i]) break;
            dst -= ds[i] * shape[i];
            src -= ss[i] * shape[i];
            counter[i] = 0;
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Shared pieces of commands                                                                  */
/* ------------------------------------------------------------------------------------------ */

static mxArray *json_result(int status, char *json)
{
    mxArray *r;
    if (status != PYACQ_OK) check(status);
    r = mxCreateString(json ? json : "");
    pyacq_free(json);
    return r;
}

/* Sends MATLAB array prhs[2] to an output or ring buffer (index prhs[3], orientation prhs[4]). */
static void send_data(entry *e, int nrhs, const mxArray *prhs[])
{
    const type_map *t = data_type(prhs[2]);
    int64_t index = -1, shape[MAXD], strides[MAXD];
    int orient = get_orientation(nrhs, prhs, 4);
    int k = 0, st;
    if (nrhs > 3 && !(mxIsNumeric(prhs[3]) && mxIsEmpty(prhs[3])))
        index = get_int(prhs[3], "the index", -1, INT64_MAX);
    if (e->kind == K_OUTPUT) {
        if (!e->has_params) refresh_meta(e);
        k = e->ndim;
    } else {
        int32_t frame_ndim = 0;
        int64_t frame_shape[MAXD];
        check(pyacq_ringbuffer_info((pyacq_ringbuffer *)e->ptr, NULL, &frame_ndim, frame_shape, NULL, NULL));
        k = frame_ndim + 1;
    }
    k = chunk_layout(prhs[2], orient, k, t->itemsize, shape, strides);
    if (e->kind == K_OUTPUT)
        st = pyacq_output_send((pyacq_output *)e->ptr, mxGetData(prhs[2]), t->dtype, k, shape, strides, index);
    else
        st = pyacq_ringbuffer_new_chunk((pyacq_ringbuffer *)e->ptr, mxGetData(prhs[2]), t->dtype, k, shape, strides, index);
    check(st);
}

/* The arguments after the handle of the get_data commands: (n [, orientation]) for the last
 * n samples, or (start, stop [, orientation]) for samples [start, stop). */
typedef struct range_args {
    int last_n;
    int64_t a, b;
    int orient;
} range_args;

static void parse_range(int nrhs, const mxArray *prhs[], range_args *r)
{
    int nargs = nrhs - 2;
    r->orient = ORIENT_SAMPLES_BY_CHANNELS;
    if (nargs >= 1 && mxIsChar(prhs[nrhs - 1])) {
        r->orient = get_orientation(nrhs, prhs, nrhs - 1);
        nargs--;
    }
    if (nargs < 1 || nargs > 2) fail("pyacq:argument", "expected (n) or (start, stop), optionally followed by an orientation");
    r->last_n = nargs == 1;
    r->a = get_int(prhs[2], r->last_n ? "n" : "start", r->last_n ? 0 : INT64_MIN / 4, INT64_MAX / 4);
    r->b = r->last_n ? 0 : get_int(prhs[3], "stop", INT64_MIN / 4, INT64_MAX / 4);
}

/* Copies the requested samples of `ring` into a new MATLAB array (pyacq_ringbuffer_read: never
 * torn data). `release`: `ring` is a temporary reference, destroyed before returning/raising. */
static mxArray *ring_data(pyacq_ringbuffer *ring, int release, const range_args *r)
{
    int64_t index = 0, first = 0, frame_shape[MAXD], shape[MAXD], dst_strides[MAXD], src_strides[MAXD];
    int64_t start, stop, bytes;
    int32_t frame_ndim = 0;
    int st, k, j, direct;
    char *dtype = NULL;
    char canon[40], dummy = 0;
    const type_map *t;
    mxArray *out;
    void *dst;

    st = pyacq_ringbuffer_info(ring, NULL, &frame_ndim, frame_shape, &dtype, NULL);
    if (st == PYACQ_OK) st = pyacq_ringbuffer_index(ring, &index);
    if (st == PYACQ_OK) st = pyacq_ringbuffer_first_index(ring, &first);
    if (st != PYACQ_OK) {
        capture(st);
        pyacq_free(dtype);
        if (release) pyacq_ringbuffer_destroy(ring);
        raise_captured();
    }
    canon[0] = 0;
    if (dtype && strlen(dtype) < sizeof canon) strcpy(canon, dtype);
    pyacq_free(dtype);
    start = r->last_n ? index - r->a : r->a;
    stop = r->last_n ? index : r->b;
    t = type_of_dtype(canon);
    if (!t || stop < start || start < first || stop > index) {
        /* nothing allocated yet */
        if (release) pyacq_ringbuffer_destroy(ring);
        if (!t) require_type(canon, 0); /* raises pyacq:dtype */
        fail("pyacq:index", "samples [%lld, %lld) are not in the buffer (readable: [%lld, %lld))", (long long)start,
             (long long)stop, (long long)first, (long long)index);
    }
    k = frame_ndim + 1;
    shape[0] = stop - start;
    bytes = shape[0] * t->itemsize;
    for (j = 0; j < frame_ndim; j++) {
        shape[j + 1] = frame_shape[j];
        bytes *= frame_shape[j];
    }
    out = create_for_chunk(t, r->orient, k, shape, dst_strides);
    /* C order of the chunk, as pyacq_ringbuffer_read writes it */
    src_strides[k - 1] = t->itemsize;
    for (j = k - 2; j >= 0; j--) src_strides[j] = src_strides[j + 1] * shape[j + 1];
    direct = 1;
    for (j = 0; j < k; j++)
        if (shape[j] > 1 && dst_strides[j] != src_strides[j]) direct = 0;
    dst = bytes == 0 ? (void *)&dummy : direct ? mxGetData(out) : mxMalloc((size_t)bytes);
    st = pyacq_ringbuffer_read(ring, start, stop, dst, (size_t)bytes);
    if (st != PYACQ_OK) capture(st);
    if (release) pyacq_ringbuffer_destroy(ring);
    if (st != PYACQ_OK) {
        mxDestroyArray(out);
        raise_captured();
    }
    if (bytes > 0 && !direct) {
        strided_copy((char *)mxGetData(out), dst_strides, (const char *)dst, src_strides, shape, k, t->itemsize);
        mxFree(dst);
    }
    return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Commands                                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef void (*command_fn)(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);

static void cmd_version(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    (void)prhs;
    need_args(nrhs, 0, 0, "v = pyacq_mex('version')");
    need_outputs(nlhs, 3);
    plhs[0] = mxCreateString(pyacq_version());
    if (nlhs > 1) plhs[1] = mxCreateDoubleScalar(pyacq_version_number());
    if (nlhs > 2) plhs[2] = mxCreateDoubleScalar(pyacq_abi_version());
}

static void cmd_handles(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    size_t i;
    mxArray *ids;
    (void)prhs;
    need_args(nrhs, 0, 0, "[ids, kinds] = pyacq_mex('handles')");
    need_outputs(nlhs, 2);
    ids = mxCreateNumericMatrix((mwSize)g_len, 1, mxUINT64_CLASS, mxREAL);
    for (i = 0; i < g_len; i++) ((uint64_t *)mxGetData(ids))[i] = g_table[i].id;
    plhs[0] = ids;
    if (nlhs > 1) {
        mxArray *kinds = mxCreateCellMatrix((mwSize)g_len, 1);
        for (i = 0; i < g_len; i++) mxSetCell(kinds, (mwIndex)i, mxCreateString(kind_name(g_table[i].kind)));
        plhs[1] = kinds;
    }
}

static void cmd_dtype_normalize(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    char *dtype, *canon = NULL;
    int64_t itemsize = 0;
    int st;
    need_args(nrhs, 1, 1, "[dtype, itemsize] = pyacq_mex('dtype_normalize', dtype)");
    need_outputs(nlhs, 2);
    dtype = get_string(prhs[1], "the dtype");
    st = pyacq_dtype_normalize(dtype, &canon);
    if (st == PYACQ_OK) st = pyacq_dtype_itemsize(dtype, &itemsize);
    if (st != PYACQ_OK) {
        capture(st);
        pyacq_free(canon);
        raise_captured();
    }
    plhs[0] = mxCreateString(canon);
    pyacq_free(canon);
    if (nlhs > 1) plhs[1] = mxCreateDoubleScalar((double)itemsize);
}

/* --- output streams --- */

static void cmd_output_create(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    pyacq_output *out = NULL;
    char *spec;
    entry *e;
    need_args(nrhs, 0, 1, "h = pyacq_mex('output_create' [, spec_json])");
    need_outputs(nlhs, 1);
    spec = get_json_opt(nrhs, prhs, 1, "the output spec (JSON text)");
    check(pyacq_output_create(&out, spec));
    e = table_add(K_OUTPUT, out);
    if (!e) {
        pyacq_output_destroy(out);
        fail("pyacq:internal", "out of memory");
    }
    plhs[0] = handle_value(e);
}

static void cmd_output_configure(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    char *params;
    int st;
    need_args(nrhs, 2, 2, "pyacq_mex('output_configure', h, params_json)");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_OUTPUT);
    params = get_string(prhs[2], "the stream params (JSON text)");
    st = pyacq_output_configure((pyacq_output *)e->ptr, params);
    if (st != PYACQ_OK) {
        capture(st);
        refresh_meta(e);
        raise_captured();
    }
    refresh_meta(e);
}

static void cmd_output_params(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    char *json = NULL;
    int st;
    need_args(nrhs, 1, 1, "json = pyacq_mex('output_params', h)");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_OUTPUT);
    st = pyacq_output_params((pyacq_output *)e->ptr, &json);
    plhs[0] = json_result(st, json);
}

static void cmd_output_send(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    need_args(nrhs, 2, 4, "pyacq_mex('output_send', h, data [, index [, orientation]])");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_OUTPUT);
    send_data(e, nrhs, prhs);
}

static void cmd_output_last_index(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    int64_t index = 0;
    need_args(nrhs, 1, 1, "index = pyacq_mex('output_last_index', h)");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_OUTPUT);
    check(pyacq_output_last_index((pyacq_output *)e->ptr, &index));
    plhs[0] = mxCreateDoubleScalar((double)index);
}

static void cmd_output_subscriber_count(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    int count = 0;
    need_args(nrhs, 1, 1, "n = pyacq_mex('output_subscriber_count', h)");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_OUTPUT);
    check(pyacq_output_subscriber_count((pyacq_output *)e->ptr, &count));
    plhs[0] = mxCreateDoubleScalar(count);
}

static void cmd_output_wait_subscribers(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    int count, timeout;
    need_args(nrhs, 1, 3, "pyacq_mex('output_wait_subscribers', h [, count [, timeout_ms]])");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_OUTPUT);
    count = nrhs > 2 ? (int)get_int(prhs[2], "count", 0, INT_MAX) : 1;
    timeout = get_timeout(nrhs, prhs, 3, 10000);
    check(pyacq_output_wait_subscribers((pyacq_output *)e->ptr, count, timeout));
}

static void cmd_output_reset_index(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    need_args(nrhs, 1, 1, "pyacq_mex('output_reset_index', h)");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_OUTPUT);
    check(pyacq_output_reset_index((pyacq_output *)e->ptr));
}

static void cmd_output_close(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    need_args(nrhs, 1, 1, "pyacq_mex('output_close', h)");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_OUTPUT);
    check(pyacq_output_close((pyacq_output *)e->ptr));
}

/* destroy: 0 or [] is a no-op (like NULL in C); an unknown id raises pyacq:handle. */
static void destroy_handle(int kind, int nlhs, int nrhs, const mxArray *prhs[], const char *usage)
{
    entry *e;
    void *ptr;
    need_args(nrhs, 1, 1, usage);
    need_outputs(nlhs, 0);
    if (mxIsNumeric(prhs[1]) && mxIsEmpty(prhs[1])) return;
    if (mxIsUint64(prhs[1]) && mxGetNumberOfElements(prhs[1]) == 1 && *(const uint64_t *)mxGetData(prhs[1]) == 0) return;
    e = get_handle(prhs[1], kind);
    ptr = e->ptr;
    table_remove(e);
    destroy_object(kind, ptr);
}

static void cmd_output_destroy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    (void)plhs;
    destroy_handle(K_OUTPUT, nlhs, nrhs, prhs, "pyacq_mex('output_destroy', h)");
}

/* --- input streams --- */

static void cmd_input_create(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    pyacq_input *in = NULL;
    char *spec;
    entry *e;
    need_args(nrhs, 0, 1, "h = pyacq_mex('input_create' [, spec_json])");
    need_outputs(nlhs, 1);
    spec = get_json_opt(nrhs, prhs, 1, "the input spec (JSON text)");
    check(pyacq_input_create(&in, spec));
    e = table_add(K_INPUT, in);
    if (!e) {
        pyacq_input_destroy(in);
        fail("pyacq:internal", "out of memory");
    }
    plhs[0] = handle_value(e);
}

static void cmd_input_connect(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    char *params;
    int st;
    need_args(nrhs, 2, 2, "pyacq_mex('input_connect', h, params_json)");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_INPUT);
    params = get_string(prhs[2], "the producer's params (JSON text)");
    st = pyacq_input_connect((pyacq_input *)e->ptr, params);
    if (st != PYACQ_OK) {
        capture(st);
        refresh_meta(e);
        raise_captured();
    }
    refresh_meta(e);
}

static void cmd_input_params(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    char *json = NULL;
    int st;
    need_args(nrhs, 1, 1, "json = pyacq_mex('input_params', h)");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_INPUT);
    st = pyacq_input_params((pyacq_input *)e->ptr, &json);
    plhs[0] = json_result(st, json);
}

static void cmd_input_poll(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    int timeout, ready = 0;
    need_args(nrhs, 1, 2, "ready = pyacq_mex('input_poll', h [, timeout_ms])");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_INPUT);
    timeout = get_timeout(nrhs, prhs, 2, 0);
    check(pyacq_input_poll((pyacq_input *)e->ptr, timeout, &ready));
    plhs[0] = mxCreateLogicalScalar(ready != 0);
}

static void cmd_input_recv(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    int timeout, orient, st, k;
    int64_t index = 0, dst_strides[MAXD], shape[MAXD];
    pyacq_view view;
    const type_map *t = NULL;
    mxArray *data;
    need_args(nrhs, 1, 3, "[index, data] = pyacq_mex('input_recv', h [, timeout_ms [, orientation]])");
    need_outputs(nlhs, 2);
    e = get_handle(prhs[1], K_INPUT);
    timeout = get_timeout(nrhs, prhs, 2, -1);
    orient = get_orientation(nrhs, prhs, 3);
    if (nlhs >= 2) {
        /* refuse a dtype without MATLAB class before a chunk is taken off the queue */
        if (!e->has_params) refresh_meta(e);
        if (e->has_params) t = require_type(e->dtype, 0);
    }
    memset(&view, 0, sizeof view);
    st = pyacq_input_recv((pyacq_input *)e->ptr, timeout, &index, nlhs >= 2 ? &view : NULL);
    check(st);
    plhs[0] = mxCreateDoubleScalar((double)index);
    if (nlhs < 2) return;
    if (!t) {
        refresh_meta(e);
        t = require_type(e->dtype, view.itemsize);
    }
    if (view.itemsize != t->itemsize) fail("pyacq:dtype", "received item size %d does not match dtype '%s'", view.itemsize, e->dtype);
    k = view.ndim;
    if (k < 1 || k > MAXD) fail("pyacq:internal", "received a chunk of %d dimensions", k);
    memcpy(shape, view.shape, sizeof(int64_t) * (size_t)k);
    {
        int64_t total = 1;
        int j;
        for (j = 0; j < k; j++) total *= shape[j];
        if (total > 0 && !view.data) fail("pyacq:internal", "the library returned a chunk without data");
    }
    data = create_for_chunk(t, orient, k, shape, dst_strides);
    if (view.data)
        strided_copy((char *)mxGetData(data), dst_strides, (const char *)view.data, view.strides, shape, k, t->itemsize);
    plhs[1] = data;
}

static void cmd_input_empty_queue(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    int64_t n = 0;
    need_args(nrhs, 1, 1, "n = pyacq_mex('input_empty_queue', h)");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_INPUT);
    check(pyacq_input_empty_queue((pyacq_input *)e->ptr, &n));
    plhs[0] = mxCreateDoubleScalar((double)n);
}

static void cmd_input_set_buffer(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    char *options;
    need_args(nrhs, 2, 2, "pyacq_mex('input_set_buffer', h, options_json)");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_INPUT);
    options = get_string(prhs[2], "the buffer options (JSON text)");
    check(pyacq_input_set_buffer((pyacq_input *)e->ptr, options));
}

static void cmd_input_buffer(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e, *r;
    pyacq_ringbuffer *ring = NULL;
    need_args(nrhs, 1, 1, "ring = pyacq_mex('input_buffer', h)");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_INPUT);
    check(pyacq_input_buffer((pyacq_input *)e->ptr, &ring));
    r = table_add(K_RING, ring);
    if (!r) {
        pyacq_ringbuffer_destroy(ring);
        fail("pyacq:internal", "out of memory");
    }
    plhs[0] = handle_value(r);
}

static void cmd_input_get_data(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    pyacq_ringbuffer *ring = NULL;
    range_args r;
    need_args(nrhs, 2, 4, "data = pyacq_mex('input_get_data', h, n | start, stop [, orientation])");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_INPUT);
    parse_range(nrhs, prhs, &r);
    check(pyacq_input_buffer((pyacq_input *)e->ptr, &ring));
    plhs[0] = ring_data(ring, 1, &r);
}

static void cmd_input_reset_buffer_index(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    need_args(nrhs, 1, 1, "pyacq_mex('input_reset_buffer_index', h)");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_INPUT);
    check(pyacq_input_reset_buffer_index((pyacq_input *)e->ptr));
}

static void cmd_input_stats(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    char *json = NULL;
    int st;
    need_args(nrhs, 1, 1, "json = pyacq_mex('input_stats', h)");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_INPUT);
    st = pyacq_input_stats((pyacq_input *)e->ptr, &json);
    plhs[0] = json_result(st, json);
}

static void cmd_input_close(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    need_args(nrhs, 1, 1, "pyacq_mex('input_close', h)");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_INPUT);
    check(pyacq_input_close((pyacq_input *)e->ptr));
}

static void cmd_input_destroy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    (void)plhs;
    destroy_handle(K_INPUT, nlhs, nrhs, prhs, "pyacq_mex('input_destroy', h)");
}

/* --- ring buffers --- */

static void cmd_ringbuffer_create(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    pyacq_ringbuffer *ring = NULL;
    char *options;
    entry *e;
    need_args(nrhs, 1, 1, "h = pyacq_mex('ringbuffer_create', options_json)");
    need_outputs(nlhs, 1);
    options = get_string(prhs[1], "the ring buffer options (JSON text)");
    check(pyacq_ringbuffer_create(&ring, options));
    e = table_add(K_RING, ring);
    if (!e) {
        pyacq_ringbuffer_destroy(ring);
        fail("pyacq:internal", "out of memory");
    }
    plhs[0] = handle_value(e);
}

static void cmd_ringbuffer_new_chunk(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    need_args(nrhs, 2, 4, "pyacq_mex('ringbuffer_new_chunk', h, data [, index [, orientation]])");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_RING);
    send_data(e, nrhs, prhs);
}

static void cmd_ringbuffer_get_data(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    range_args r;
    need_args(nrhs, 2, 4, "data = pyacq_mex('ringbuffer_get_data', h, n | start, stop [, orientation])");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_RING);
    parse_range(nrhs, prhs, &r);
    plhs[0] = ring_data((pyacq_ringbuffer *)e->ptr, 0, &r);
}

static void cmd_ringbuffer_index(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    int64_t index = 0, first = 0;
    need_args(nrhs, 1, 1, "[index, first_index] = pyacq_mex('ringbuffer_index', h)");
    need_outputs(nlhs, 2);
    e = get_handle(prhs[1], K_RING);
    check(pyacq_ringbuffer_index((pyacq_ringbuffer *)e->ptr, &index));
    if (nlhs > 1) check(pyacq_ringbuffer_first_index((pyacq_ringbuffer *)e->ptr, &first));
    plhs[0] = mxCreateDoubleScalar((double)index);
    if (nlhs > 1) plhs[1] = mxCreateDoubleScalar((double)first);
}

static void cmd_ringbuffer_info(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    static const char *fields[] = {"length", "frame_shape", "dtype", "double", "index", "first_index"};
    entry *e;
    int64_t length = 0, frame_shape[MAXD], index = 0, first = 0;
    int32_t frame_ndim = 0, j;
    int is_double = 0, st;
    char *dtype = NULL;
    mxArray *s, *fs;
    need_args(nrhs, 1, 1, "info = pyacq_mex('ringbuffer_info', h)");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_RING);
    st = pyacq_ringbuffer_info((pyacq_ringbuffer *)e->ptr, &length, &frame_ndim, frame_shape, &dtype, &is_double);
    if (st == PYACQ_OK) st = pyacq_ringbuffer_index((pyacq_ringbuffer *)e->ptr, &index);
    if (st == PYACQ_OK) st = pyacq_ringbuffer_first_index((pyacq_ringbuffer *)e->ptr, &first);
    if (st != PYACQ_OK) {
        capture(st);
        pyacq_free(dtype);
        raise_captured();
    }
    s = mxCreateStructMatrix(1, 1, 6, fields);
    mxSetField(s, 0, "length", mxCreateDoubleScalar((double)length));
    fs = mxCreateDoubleMatrix(1, (mwSize)frame_ndim, mxREAL);
    for (j = 0; j < frame_ndim; j++) ((double *)mxGetData(fs))[j] = (double)frame_shape[j];
    mxSetField(s, 0, "frame_shape", fs);
    mxSetField(s, 0, "dtype", mxCreateString(dtype ? dtype : ""));
    pyacq_free(dtype);
    mxSetField(s, 0, "double", mxCreateLogicalScalar(is_double != 0));
    mxSetField(s, 0, "index", mxCreateDoubleScalar((double)index));
    mxSetField(s, 0, "first_index", mxCreateDoubleScalar((double)first));
    plhs[0] = s;
}

static void cmd_ringbuffer_reset_index(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    need_args(nrhs, 1, 1, "pyacq_mex('ringbuffer_reset_index', h)");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_RING);
    check(pyacq_ringbuffer_reset_index((pyacq_ringbuffer *)e->ptr));
}

static void cmd_ringbuffer_destroy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    (void)plhs;
    destroy_handle(K_RING, nlhs, nrhs, prhs, "pyacq_mex('ringbuffer_destroy', h)");
}

/* ------------------------------------------------------------------------------------------ */
/* MATLAB values as JSON for the RPC part (node keywords, call arguments): see README.md       */
/*   struct (1x1) → object; struct array / cell → list (linear order); char row → string;     */
/*   numeric or logical scalar → number / true / false; [] (0x0) → null; any other numeric or  */
/*   logical array → ndarray marker map, MATLAB size [d1 .. dk] = numpy shape (d1, .., dk),    */
/*   same element at the same subscripts (data written in C order, base64); a 1x1 struct whose */
/*   only field is `pyacq_raw_json__` (text) → that JSON verbatim (proxies, stream params).    */
/* ------------------------------------------------------------------------------------------ */

#define RAW_JSON_FIELD "pyacq_raw_json__"
#define JSON_MAX_DEPTH 64

/* A growing text buffer, mxMalloc'd: the MEX runtime frees it if an error is raised. */
typedef struct jbuf {
    char *p;
    size_t len, cap;
} jbuf;

static void jb_init(jbuf *b)
{
    b->cap = 256;
    b->len = 0;
    b->p = (char *)mxMalloc(b->cap);
    b->p[0] = 0;
}

static void jb_reserve(jbuf *b, size_t extra)
{
    size_t need, cap;
    if (extra > ((size_t)-1) / 4 - b->len) fail("pyacq:argument", "the value is too large to encode");
    need = b->len + extra + 1;
    if (need <= b->cap) return;
    cap = b->cap * 2;
    while (cap < need) cap *= 2;
    b->p = (char *)mxRealloc(b->p, cap);
    b->cap = cap;
}

static void jb_put(jbuf *b, const char *s, size_t n)
{
    jb_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void jb_puts(jbuf *b, const char *s)
{
    jb_put(b, s, strlen(s));
}

static void jb_quoted(jbuf *b, const char *s, size_t n)
{
    size_t i;
    jb_reserve(b, n + 2);
    jb_put(b, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        switch (c) {
        case '"': jb_put(b, "\\\"", 2); break;
        case '\\': jb_put(b, "\\\\", 2); break;
        case '\n': jb_put(b, "\\n", 2); break;
        case '\r': jb_put(b, "\\r", 2); break;
        case '\t': jb_put(b, "\\t", 2); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(esc, sizeof esc, "\\u%04x", (unsigned)c);
                jb_put(b, esc, 6);
            } else {
                jb_put(b, (const char *)&s[i], 1);
            }
        }
    }
    jb_put(b, "\"", 1);
}

/* The shortest %g text that reads back as the same value (JSON tokens NaN / Infinity as
 * Python's json module writes them). `is_single`: shortest for a float32. */
static void jb_float(jbuf *b, double d, int is_single)
{
    char num[48], *c;
    int prec;
    if (isnan(d)) {
        jb_puts(b, "NaN");
        return;
    }
    if (isinf(d)) {
        jb_puts(b, d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    for (prec = is_single ? 6 : 15; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, d);
        if (is_single ? (float)strtod(num, NULL) == (float)d : strtod(num, NULL) == d) break;
    }
    for (c = num; *c; c++)
        if (*c == ',') *c = '.'; /* a locale with a decimal comma */
    jb_puts(b, num);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 (RFC 4648, with padding), what Python's base64.b64encode writes. */
static void jb_base64(jbuf *b, const unsigned char *d, size_t n)
{
    size_t i, out = 4 * ((n + 2) / 3);
    char *w;
    jb_reserve(b, out);
    w = b->p + b->len;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = ((uint32_t)d[i] << 16) | ((uint32_t)d[i + 1] << 8) | (uint32_t)d[i + 2];
        *w++ = B64[v >> 18];
        *w++ = B64[(v >> 12) & 63];
        *w++ = B64[(v >> 6) & 63];
        *w++ = B64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < n) v |= (uint32_t)d[i + 1] << 8;
        *w++ = B64[v >> 18];
        *w++ = B64[(v >> 12) & 63];
        *w++ = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        *w++ = '=';
    }
    b->len += out;
    b->p[b->len] = 0;
}

static int b64_digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62; /* also the URL-safe alphabet */
    if (c == '/' || c == '_') return 63;
    return -1;
}

/* Decodes base64 text (whitespace ignored, padding optional) into `out` (`cap` bytes).
 * Returns the number of bytes, or -1 for invalid text or more than `cap` bytes. */
static int64_t base64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0, padded = 0;
    size_t i, len = 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int v;
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (c == '=') {
            padded = 1;
            continue;
        }
        if (padded) return -1;
        v = b64_digit(c);
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (len >= cap) return -1;
            out[len++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1u;
        }
    }
    if (bits >= 6) return -1; /* a lone trailing digit */
    return (int64_t)len;
}

/* Fortran-order (MATLAB) byte strides of dims, and C-order (numpy) ones. */
static void fortran_strides(int nd, const int64_t *shape, int itemsize, int64_t *strides)
{
    int i;
    if (nd <= 0) return;
    strides[0] = itemsize;
    for (i = 1; i < nd; i++) strides[i] = strides[i - 1] * shape[i - 1];
}

static void c_strides(int nd, const int64_t *shape, int itemsize, int64_t *strides)
{
    int i;
    if (nd <= 0) return;
    strides[nd - 1] = itemsize;
    for (i = nd - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
}

static void encode_ndarray(jbuf *b, const mxArray *a, const char *path)
{
    const type_map *t;
    mwSize nd = mxGetNumberOfDimensions(a);
    const mwSize *dims = mxGetDimensions(a);
    int64_t shape[MAXD], src[MAXD], dst[MAXD], total = 1;
    char num[32];
    int i;
    if (mxIsSparse(a)) fail("pyacq:argument", "%s: sparse arrays cannot be sent (use full())", path);
    if (mxIsComplex(a)) fail("pyacq:dtype", "%s: complex arrays are not supported by the MATLAB binding", path);
    t = type_of_class(mxGetClassID(a));
    if (!t) fail("pyacq:dtype", "%s: arrays of class %s cannot be sent", path, mxGetClassName(a));
    if ((int)nd > MAXD) fail("pyacq:argument", "%s has too many dimensions (%d)", path, (int)nd);
    for (i = 0; i < (int)nd; i++) {
        shape[i] = (int64_t)dims[i];
        total *= shape[i];
    }
    jb_puts(b, "{\"___type_name___\": \"ndarray\", \"dtype\": \"");
    jb_puts(b, t->dtype);
    jb_puts(b, "\", \"shape\": [");
    for (i = 0; i < (int)nd; i++) {
        snprintf(num, sizeof num, "%s%lld", i ? ", " : "", (long long)shape[i]);
        jb_puts(b, num);
    }
    jb_puts(b, "], \"data\": \"");
    if (total > 0) {
        const unsigned char *bytes = (const unsigned char *)mxGetData(a);
        unsigned char *copy = NULL;
        int longer = 0;
        /* C order of the same subscripts: a copy unless at most one dimension is > 1 */
        for (i = 0; i < (int)nd; i++)
            if (shape[i] > 1) longer++;
        if (longer > 1) {
            fortran_strides((int)nd, shape, t->itemsize, src);
            c_strides((int)nd, shape, t->itemsize, dst);
            copy = (unsigned char *)mxMalloc((size_t)(total * t->itemsize));
            strided_copy((char *)copy, dst, (const char *)bytes, src, shape, (int)nd, t->itemsize);
            bytes = copy;
        }
        jb_base64(b, bytes, (size_t)(total * t->itemsize));
        if (copy) mxFree(copy);
    }
    jb_puts(b, "\"}");
}

static void encode_value(jbuf *b, const mxArray *a, int depth, const char *path);

/* `text` is exactly one JSON value (checked with the scanner above). */
static int is_one_json_value(const char *text)
{
    jscan s;
    s.p = text;
    if (j_skip(&s, 1) < 0) return 0;
    j_ws(&s);
    return *s.p == 0;
}

static void encode_struct_element(jbuf *b, const mxArray *a, mwIndex idx, int depth, const char *path)
{
    int nf = mxGetNumberOfFields(a), f;
    char child[256];
    jb_put(b, "{", 1);
    for (f = 0; f < nf; f++) {
        const char *key = mxGetFieldNameByNumber(a, f);
        if (f) jb_put(b, ", ", 2);
        jb_quoted(b, key, strlen(key));
        jb_put(b, ": ", 2);
        snprintf(child, sizeof child, "%s.%s", path, key);
        encode_value(b, mxGetFieldByNumber(a, idx, f), depth + 1, child);
    }
    jb_put(b, "}", 1);
}

static void encode_value(jbuf *b, const mxArray *a, int depth, const char *path)
{
    char child[256];
    size_t n, i;
    if (depth > JSON_MAX_DEPTH) fail("pyacq:argument", "%s: values nested more than %d levels deep", path, JSON_MAX_DEPTH);
    if (!a) { /* an unset cell element */
        jb_puts(b, "null");
        return;
    }
    n = mxGetNumberOfElements(a);
    if (mxIsStruct(a)) {
        if (n == 1 && mxGetNumberOfFields(a) == 1 && !strcmp(mxGetFieldNameByNumber(a, 0), RAW_JSON_FIELD)) {
            const mxArray *raw = mxGetFieldByNumber(a, 0, 0);
            char *text;
            if (!raw || !mxIsChar(raw)) fail("pyacq:argument", "%s.%s must be JSON text", path, RAW_JSON_FIELD);
            text = get_string(raw, "raw JSON");
            if (!is_one_json_value(text)) fail("pyacq:params", "%s.%s is not one JSON value", path, RAW_JSON_FIELD);
            jb_puts(b, text);
            mxFree(text);
            return;
        }
        if (n == 1 && mxGetNumberOfDimensions(a) == 2) {
            encode_struct_element(b, a, 0, depth, path);
            return;
        }
        jb_put(b, "[", 1);
        for (i = 0; i < n; i++) {
            if (i) jb_put(b, ", ", 2);
            snprintf(child, sizeof child, "%s(%lu)", path, (unsigned long)(i + 1));
            encode_struct_element(b, a, (mwIndex)i, depth + 1, child);
        }
        jb_put(b, "]", 1);
        return;
    }
    if (mxIsCell(a)) {
        jb_put(b, "[", 1);
        for (i = 0; i < n; i++) {
            if (i) jb_put(b, ", ", 2);
            snprintf(child, sizeof child, "%s{%lu}", path, (unsigned long)(i + 1));
            encode_value(b, mxGetCell(a, (mwIndex)i), depth + 1, child);
        }
        jb_put(b, "]", 1);
        return;
    }
    if (mxIsChar(a)) {
        char *s;
        if (n == 0) {
            jb_puts(b, "\"\"");
            return;
        }
        if (mxGetNumberOfDimensions(a) > 2 || mxGetM(a) != 1)
            fail("pyacq:argument", "%s: text must be a character row vector (use a cell array for several strings)", path);
        s = get_string(a, path);
        jb_quoted(b, s, strlen(s));
        mxFree(s);
        return;
    }
    if (mxIsNumeric(a) || mxIsLogical(a)) {
        if (n == 0 && mxGetNumberOfDimensions(a) == 2 && mxGetM(a) == 0 && mxGetN(a) == 0) {
            jb_puts(b, "null"); /* [] = None */
            return;
        }
        if (n != 1 || mxIsSparse(a) || mxIsComplex(a)) {
            encode_ndarray(b, a, path);
            return;
        }
        {
            char num[48];
            const void *p = mxGetData(a);
            switch (mxGetClassID(a)) {
            case mxLOGICAL_CLASS: jb_puts(b, *(const mxLogical *)p ? "true" : "false"); return;
            case mxDOUBLE_CLASS: jb_float(b, *(const double *)p, 0); return;
            case mxSINGLE_CLASS: jb_float(b, *(const float *)p, 1); return;
            case mxINT8_CLASS: snprintf(num, sizeof num, "%d", (int)*(const int8_t *)p); break;
            case mxUINT8_CLASS: snprintf(num, sizeof num, "%u", (unsigned)*(const uint8_t *)p); break;
            case mxINT16_CLASS: snprintf(num, sizeof num, "%d", (int)*(const int16_t *)p); break;
            case mxUINT16_CLASS: snprintf(num, sizeof num, "%u", (unsigned)*(const uint16_t *)p); break;
            case mxINT32_CLASS: snprintf(num, sizeof num, "%ld", (long)*(const int32_t *)p); break;
            case mxUINT32_CLASS: snprintf(num, sizeof num, "%lu", (unsigned long)*(const uint32_t *)p); break;
            case mxINT64_CLASS: snprintf(num, sizeof num, "%lld", (long long)*(const int64_t *)p); break;
            case mxUINT64_CLASS: snprintf(num, sizeof num, "%llu", (unsigned long long)*(const uint64_t *)p); break;
            default: fail("pyacq:dtype", "%s: values of class %s cannot be sent", path, mxGetClassName(a));
            }
            jb_puts(b, num);
            return;
        }
    }
    fail("pyacq:argument", "%s: a %s value cannot be sent (numbers, logicals, text, structs and cells can)", path,
         mxGetClassName(a));
}

/* JSON text for an argument that is JSON text already, [] (→ NULL) or a MATLAB value to encode
 * (`what`: "list" = a cell, "object" = a struct). mxMalloc'd. */
static char *get_json_value(const mxArray *a, const char *what, const char *name)
{
    jbuf b;
    if (mxIsNumeric(a) && mxIsEmpty(a)) return NULL;
    if (mxIsChar(a)) {
        char *s = get_string(a, name);
        return *s ? s : NULL;
    }
    if (!strcmp(what, "list") ? !mxIsCell(a) : !(mxIsStruct(a) && mxGetNumberOfElements(a) == 1))
        fail("pyacq:argument", "%s must be %s or JSON text, got a %s array", name,
             !strcmp(what, "list") ? "a cell array" : "a scalar struct", mxGetClassName(a));
    jb_init(&b);
    encode_value(&b, a, 0, name);
    return b.p;
}

/* ------------------------------------------------------------------------------------------ */
/* Commands of the distributed part: managers, node groups, nodes, stream proxies              */
/* ------------------------------------------------------------------------------------------ */

/* Registers a new library object; destroys it if the table cannot grow. */
static mxArray *register_new(int kind, void *ptr)
{
    entry *e = table_add(kind, ptr);
    if (!e) {
        destroy_object(kind, ptr);
        fail("pyacq:internal", "out of memory");
    }
    return handle_value(e);
}

/* An optional text argument: missing, [] or '' → NULL. */
static char *get_text_opt(int nrhs, const mxArray *prhs[], int i, const char *name)
{
    char *s;
    if (i >= nrhs || (mxIsNumeric(prhs[i]) && mxIsEmpty(prhs[i]))) return NULL;
    s = get_string(prhs[i], name);
    return *s ? s : NULL;
}

static pyacq_proxy *get_proxy(const mxArray *a)
{
    return (pyacq_proxy *)get_handle(a, K_PROXY)->ptr;
}

static pyacq_manager *get_manager(const mxArray *a)
{
    return (pyacq_manager *)get_handle(a, K_MANAGER)->ptr;
}

static void cmd_to_json(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    jbuf b;
    need_args(nrhs, 1, 1, "json = pyacq_mex('to_json', value)");
    need_outputs(nlhs, 1);
    jb_init(&b);
    encode_value(&b, prhs[1], 0, "value");
    plhs[0] = mxCreateString(b.p);
    mxFree(b.p);
}

static void cmd_ndarray_decode(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *text, *dtype, *canon = NULL;
    const type_map *t;
    int64_t shape[MAXD], src[MAXD], dst[MAXD], total = 1, got;
    mwSize mdims[MAXD];
    int k, i, md;
    size_t nbytes;
    unsigned char *bytes;
    mxArray *out;
    char cname[40];
    need_args(nrhs, 3, 3, "x = pyacq_mex('ndarray_decode', base64_data, dtype, shape)");
    need_outputs(nlhs, 1);
    text = get_string(prhs[1], "the base64 data");
    dtype = get_string(prhs[2], "the dtype");
    if (!(mxIsDouble(prhs[3]) && is_real_dense(prhs[3])))
        fail("pyacq:argument", "the shape must be a double vector, got a %s array", mxGetClassName(prhs[3]));
    k = (int)mxGetNumberOfElements(prhs[3]);
    if (k > MAXD) fail("pyacq:argument", "ndarrays of %d dimensions are not supported", k);
    for (i = 0; i < k; i++) {
        double d = ((const double *)mxGetData(prhs[3]))[i];
        if (!(d >= 0 && d == floor(d) && d < 1e15)) fail("pyacq:argument", "invalid shape element %g", d);
        shape[i] = (int64_t)d;
        total *= shape[i];
        if (total > ((int64_t)1 << 48)) fail("pyacq:argument", "the ndarray is too large");
    }
    check(pyacq_dtype_normalize(dtype, &canon));
    cname[0] = 0;
    if (canon && strlen(canon) < sizeof cname) strcpy(cname, canon);
    pyacq_free(canon);
    t = type_of_dtype(cname);
    if (!t) fail("pyacq:dtype", "dtype '%s' has no MATLAB equivalent", dtype);
    /* MATLAB dims: () → 1x1, (n,) → n x 1, otherwise the shape */
    md = k < 2 ? 2 : k;
    for (i = 0; i < md; i++) mdims[i] = 1;
    for (i = 0; i < k; i++) mdims[i] = (mwSize)shape[i];
    if (t->cls == mxLOGICAL_CLASS) out = mxCreateLogicalArray((mwSize)md, mdims);
    else out = mxCreateNumericArray((mwSize)md, mdims, t->cls, mxREAL);
    nbytes = (size_t)(total * t->itemsize);
    bytes = (unsigned char *)mxMalloc(nbytes + 3);
    got = base64_decode(text, strlen(text), bytes, nbytes + 3);
    if (got != (int64_t)nbytes) {
        mxDestroyArray(out);
        fail("pyacq:malformed", "the ndarray data has %lld bytes, expected %lld for dtype %s and %lld elements", (long long)got,
             (long long)nbytes, t->dtype, (long long)total);
    }
    if (nbytes > 0) {
        if (k <= 1) {
            memcpy(mxGetData(out), bytes, nbytes);
        } else {
            c_strides(k, shape, t->itemsize, src);
            fortran_strides(k, shape, t->itemsize, dst);
            strided_copy((char *)mxGetData(out), dst, (const char *)bytes, src, shape, k, t->itemsize);
        }
    }
    mxFree(bytes);
    plhs[0] = out;
}

static void cmd_manager_create(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_manager *m = NULL;
    char *mode;
    need_args(nrhs, 0, 1, "h = pyacq_mex('manager_create' [, mode])   % mode 'local' (default) or 'rpc'");
    need_outputs(nlhs, 1);
    mode = get_text_opt(nrhs, prhs, 1, "the mode");
    check(pyacq_manager_create(&m, mode ? mode : "local"));
    plhs[0] = register_new(K_MANAGER, m);
}

static void cmd_manager_proxy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p = NULL;
    need_args(nrhs, 1, 1, "p = pyacq_mex('manager_proxy', h)");
    need_outputs(nlhs, 1);
    check(pyacq_manager_proxy(get_manager(prhs[1]), &p));
    plhs[0] = register_new(K_PROXY, p);
}

static void cmd_manager_add_host(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p = NULL;
    pyacq_manager *m;
    char *address;
    need_args(nrhs, 2, 2, "host = pyacq_mex('manager_add_host', h, address)");
    need_outputs(nlhs, 1);
    m = get_manager(prhs[1]);
    address = get_string(prhs[2], "the host address");
    check(pyacq_manager_add_host(m, address, &p));
    plhs[0] = register_new(K_PROXY, p);
}

static void cmd_manager_create_nodegroup(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p = NULL;
    pyacq_manager *m;
    char *name, *host, *options = NULL;
    need_args(nrhs, 1, 4, "ng = pyacq_mex('manager_create_nodegroup', h [, name [, host_address [, options]]])");
    need_outputs(nlhs, 1);
    m = get_manager(prhs[1]);
    name = get_text_opt(nrhs, prhs, 2, "the node group name");
    host = get_text_opt(nrhs, prhs, 3, "the host address");
    if (nrhs > 4) options = get_json_value(prhs[4], "object", "options");
    check(pyacq_manager_create_nodegroup(m, name, host, options, &p));
    plhs[0] = register_new(K_PROXY, p);
}

/* Proxy handles for the elements of a JSON array of proxy maps (uint64 column). */
static mxArray *proxies_from_json_array(const char *json)
{
    jscan s;
    size_t count = 0, i;
    pyacq_proxy **made;
    mxArray *ids;
    s.p = json;
    j_ws(&s);
    if (*s.p != '[') fail("pyacq:malformed", "expected a JSON array of proxies, got: %.200s", json);
    {
        jscan c = s;
        int n = j_array_len(&c);
        if (n < 0) fail("pyacq:malformed", "invalid JSON array: %.200s", json);
        count = (size_t)n;
    }
    made = (pyacq_proxy **)mxCalloc(count ? count : 1, sizeof *made);
    s.p++;
    for (i = 0; i < count; i++) {
        const char *start;
        char *item;
        int st;
        j_ws(&s);
        start = s.p;
        j_skip(&s, 1);
        item = (char *)mxMalloc((size_t)(s.p - start) + 1);
        memcpy(item, start, (size_t)(s.p - start));
        item[s.p - start] = 0;
        st = pyacq_proxy_from_json(item, &made[i]);
        mxFree(item);
        if (st != PYACQ_OK) {
            size_t j;
            capture(st);
            for (j = 0; j < i; j++) pyacq_proxy_destroy(made[j]);
            raise_captured();
        }
        j_ws(&s);
        if (*s.p == ',') s.p++;
    }
    ids = mxCreateNumericMatrix((mwSize)count, 1, mxUINT64_CLASS, mxREAL);
    for (i = 0; i < count; i++) {
        entry *e = table_add(K_PROXY, made[i]);
        if (!e) {
            size_t j;
            for (j = i; j < count; j++) pyacq_proxy_destroy(made[j]);
            fail("pyacq:internal", "out of memory");
        }
        ((uint64_t *)mxGetData(ids))[i] = e->id;
    }
    mxFree(made);
    return ids;
}

static void cmd_manager_list_nodegroups(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *json = NULL;
    mxArray *ids;
    need_args(nrhs, 1, 1, "ids = pyacq_mex('manager_list_nodegroups', h)");
    need_outputs(nlhs, 1);
    check(pyacq_manager_list_nodegroups(get_manager(prhs[1]), &json));
    {
        /* copy into MEX memory so that an error below does not leak the library string */
        char *copy = (char *)mxMalloc(strlen(json ? json : "[]") + 1);
        strcpy(copy, json ? json : "[]");
        pyacq_free(json);
        ids = proxies_from_json_array(copy);
        mxFree(copy);
    }
    plhs[0] = ids;
}

static void manager_simple(int nlhs, int nrhs, const mxArray *prhs[], int (*fn)(pyacq_manager *), const char *usage)
{
    need_args(nrhs, 1, 1, usage);
    need_outputs(nlhs, 0);
    check(fn(get_manager(prhs[1])));
}

static void cmd_manager_start_all_nodes(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    manager_simple(nlhs, nrhs, prhs, pyacq_manager_start_all_nodes, "pyacq_mex('manager_start_all_nodes', h)");
}

static void cmd_manager_stop_all_nodes(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    manager_simple(nlhs, nrhs, prhs, pyacq_manager_stop_all_nodes, "pyacq_mex('manager_stop_all_nodes', h)");
}

static void cmd_manager_close(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    manager_simple(nlhs, nrhs, prhs, pyacq_manager_close, "pyacq_mex('manager_close', h)");
}

static void cmd_manager_destroy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    destroy_handle(K_MANAGER, nlhs, nrhs, prhs, "pyacq_mex('manager_destroy', h)");
}

static void cmd_list_node_types(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *json = NULL, name[256];
    jscan s;
    int n, i;
    mxArray *names;
    (void)prhs;
    need_args(nrhs, 0, 0, "names = pyacq_mex('list_node_types')");
    need_outputs(nlhs, 1);
    check(pyacq_list_node_types(&json));
    s.p = json ? json : "[]";
    {
        jscan c = s;
        j_ws(&c);
        n = j_array_len(&c);
    }
    if (n < 0) {
        pyacq_free(json);
        fail("pyacq:malformed", "the node type list is not a JSON array");
    }
    names = mxCreateCellMatrix((mwSize)n, 1);
    j_ws(&s);
    s.p++;
    for (i = 0; i < n; i++) {
        j_ws(&s);
        if (j_string(&s, name, sizeof name) != 0) name[0] = 0;
        mxSetCell(names, (mwIndex)i, mxCreateString(name));
        j_ws(&s);
        if (*s.p == ',') s.p++;
    }
    pyacq_free(json);
    plhs[0] = names;
}

static void cmd_nodegroup_create_node(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *group, *node = NULL;
    char *type, *name;
    need_args(nrhs, 2, 3, "node = pyacq_mex('nodegroup_create_node', ng, type_name [, node_name])");
    need_outputs(nlhs, 1);
    group = get_proxy(prhs[1]);
    type = get_string(prhs[2], "the node type");
    name = get_text_opt(nrhs, prhs, 3, "the node name");
    check(pyacq_nodegroup_create_node(group, type, name, &node));
    plhs[0] = register_new(K_PROXY, node);
}

static void cmd_node_configure(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *node;
    char *kwargs = NULL;
    (void)plhs;
    need_args(nrhs, 1, 2, "pyacq_mex('node_configure', node [, kwargs_struct_or_json])");
    need_outputs(nlhs, 0);
    node = get_proxy(prhs[1]);
    if (nrhs > 2) kwargs = get_json_value(prhs[2], "object", "kwargs");
    check(pyacq_node_configure(node, kwargs));
}

static void node_simple(int nlhs, int nrhs, const mxArray *prhs[], int (*fn)(pyacq_proxy *), const char *usage)
{
    need_args(nrhs, 1, 1, usage);
    need_outputs(nlhs, 0);
    check(fn(get_proxy(prhs[1])));
}

static void cmd_node_initialize(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    node_simple(nlhs, nrhs, prhs, pyacq_node_initialize, "pyacq_mex('node_initialize', node)");
}

static void cmd_node_start(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    node_simple(nlhs, nrhs, prhs, pyacq_node_start, "pyacq_mex('node_start', node)");
}

static void cmd_node_stop(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    node_simple(nlhs, nrhs, prhs, pyacq_node_stop, "pyacq_mex('node_stop', node)");
}

static void cmd_node_close(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    node_simple(nlhs, nrhs, prhs, pyacq_node_close, "pyacq_mex('node_close', node)");
}

static void node_stream(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[], int output)
{
    pyacq_proxy *node, *stream = NULL;
    char *name;
    need_args(nrhs, 1, 2, output ? "s = pyacq_mex('node_output', node [, name])" : "s = pyacq_mex('node_input', node [, name])");
    need_outputs(nlhs, 1);
    node = get_proxy(prhs[1]);
    name = get_text_opt(nrhs, prhs, 2, "the stream name");
    check(output ? pyacq_node_output(node, name, &stream) : pyacq_node_input(node, name, &stream));
    plhs[0] = register_new(K_PROXY, stream);
}

static void cmd_node_output(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    node_stream(nlhs, plhs, nrhs, prhs, 1);
}

static void cmd_node_input(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    node_stream(nlhs, plhs, nrhs, prhs, 0);
}

static void cmd_stream_configure(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *stream;
    char *params;
    (void)plhs;
    need_args(nrhs, 2, 2, "pyacq_mex('stream_configure', output_proxy, params_json)");
    need_outputs(nlhs, 0);
    stream = get_proxy(prhs[1]);
    params = get_string(prhs[2], "the stream params (JSON text)");
    check(pyacq_stream_configure(stream, params));
}

static void cmd_stream_connect(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *input, *output;
    (void)plhs;
    need_args(nrhs, 2, 2, "pyacq_mex('stream_connect', input_proxy, output_proxy)");
    need_outputs(nlhs, 0);
    input = get_proxy(prhs[1]);
    output = get_proxy(prhs[2]);
    check(pyacq_stream_connect(input, output));
}

static void cmd_input_connect_proxy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    entry *e;
    pyacq_proxy *output;
    int st;
    (void)plhs;
    need_args(nrhs, 2, 2, "pyacq_mex('input_connect_proxy', h, output_proxy)");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_INPUT);
    output = get_proxy(prhs[2]);
    st = pyacq_input_connect_proxy((pyacq_input *)e->ptr, output);
    if (st != PYACQ_OK) {
        capture(st);
        refresh_meta(e);
        raise_captured();
    }
    refresh_meta(e);
}

static void cmd_proxy_attr(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p, *q = NULL;
    char *name;
    need_args(nrhs, 2, 2, "q = pyacq_mex('proxy_attr', p, name)");
    need_outputs(nlhs, 1);
    p = get_proxy(prhs[1]);
    name = get_string(prhs[2], "the attribute name");
    check(pyacq_proxy_attr(p, name, &q));
    plhs[0] = register_new(K_PROXY, q);
}

/* proxy_call(p, method, args, kwargs, timeout): method '' or [] calls p itself. */
static void cmd_proxy_call(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p, *target, *temp = NULL;
    char *method, *args = NULL, *kwargs = NULL, *result = NULL;
    int timeout, st;
    need_args(nrhs, 1, 5, "json = pyacq_mex('proxy_call', p [, method [, args_cell_or_json [, kwargs_struct_or_json [, timeout_ms]]]])");
    need_outputs(nlhs, 1);
    p = get_proxy(prhs[1]);
    method = get_text_opt(nrhs, prhs, 2, "the method name");
    if (nrhs > 3) args = get_json_value(prhs[3], "list", "args");
    if (nrhs > 4) kwargs = get_json_value(prhs[4], "object", "kwargs");
    timeout = get_timeout(nrhs, prhs, 5, 10000);
    target = p;
    if (method) {
        check(pyacq_proxy_attr(p, method, &temp));
        target = temp;
    }
    st = pyacq_proxy_call(target, args, kwargs, timeout, nlhs > 0 ? &result : NULL);
    if (st != PYACQ_OK) capture(st);
    if (temp) pyacq_proxy_destroy(temp);
    if (st != PYACQ_OK) raise_captured();
    plhs[0] = mxCreateString(result ? result : "null");
    pyacq_free(result);
}

static void cmd_proxy_get_value(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p;
    char *json = NULL;
    int timeout, st;
    need_args(nrhs, 1, 2, "json = pyacq_mex('proxy_get_value', p [, timeout_ms])");
    need_outputs(nlhs, 1);
    p = get_proxy(prhs[1]);
    timeout = get_timeout(nrhs, prhs, 2, 10000);
    st = pyacq_proxy_get_value(p, timeout, &json);
    plhs[0] = json_result(st, json);
}

static void cmd_proxy_delete(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    need_args(nrhs, 1, 1, "pyacq_mex('proxy_delete', p)");
    need_outputs(nlhs, 0);
    check(pyacq_proxy_delete(get_proxy(prhs[1])));
}

static void cmd_proxy_to_json(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *json = NULL;
    int st;
    need_args(nrhs, 1, 1, "json = pyacq_mex('proxy_to_json', p)");
    need_outputs(nlhs, 1);
    st = pyacq_proxy_to_json(get_proxy(prhs[1]), &json);
    plhs[0] = json_result(st, json);
}

static void cmd_proxy_from_json(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p = NULL;
    char *json;
    need_args(nrhs, 1, 1, "p = pyacq_mex('proxy_from_json', proxy_map_json)");
    need_outputs(nlhs, 1);
    json = get_string(prhs[1], "the proxy map (JSON text)");
    check(pyacq_proxy_from_json(json, &p));
    plhs[0] = register_new(K_PROXY, p);
}

static void cmd_proxy_destroy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    destroy_handle(K_PROXY, nlhs, nrhs, prhs, "pyacq_mex('proxy_destroy', p)");
}

/* ------------------------------------------------------------------------------------------ */
/* Dispatch                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static const struct {
    const char *name;
    command_fn fn;
} COMMANDS[] = {
    {"version", cmd_version},
    {"handles", cmd_handles},
    {"dtype_normalize", cmd_dtype_normalize},
    {"output_create", cmd_output_create},
    {"output_configure", cmd_output_configure},
    {"output_params", cmd_output_params},
    {"output_send", cmd_output_send},
    {"output_last_index", cmd_output_last_index},
    {"output_subscriber_count", cmd_output_subscriber_count},
    {"output_wait_subscribers", cmd_output_wait_subscribers},
    {"output_reset_index", cmd_output_reset_index},
    {"output_close", cmd_output_close},
    {"output_destroy", cmd_output_destroy},
    {"input_create", cmd_input_create},
    {"input_connect", cmd_input_connect},
    {"input_params", cmd_input_params},
    {"input_poll", cmd_input_poll},
    {"input_recv", cmd_input_recv},
    {"input_empty_queue", cmd_input_empty_queue},
    {"input_set_buffer", cmd_input_set_buffer},
    {"input_buffer", cmd_input_buffer},
    {"input_get_data", cmd_input_get_data},
    {"input_reset_buffer_index", cmd_input_reset_buffer_index},
    {"input_stats", cmd_input_stats},
    {"input_close", cmd_input_close},
    {"input_destroy", cmd_input_destroy},
    {"ringbuffer_create", cmd_ringbuffer_create},
    {"ringbuffer_new_chunk", cmd_ringbuffer_new_chunk},
    {"ringbuffer_get_data", cmd_ringbuffer_get_data},
    {"ringbuffer_index", cmd_ringbuffer_index},
    {"ringbuffer_info", cmd_ringbuffer_info},
    {"ringbuffer_reset_index", cmd_ringbuffer_reset_index},
    {"ringbuffer_destroy", cmd_ringbuffer_destroy},
    {"to_json", cmd_to_json},
    {"ndarray_decode", cmd_ndarray_decode},
    {"manager_create", cmd_manager_create},
    {"manager_proxy", cmd_manager_proxy},
    {"manager_add_host", cmd_manager_add_host},
    {"manager_create_nodegroup", cmd_manager_create_nodegroup},
    {"manager_list_nodegroups", cmd_manager_list_nodegroups},
    {"manager_start_all_nodes", cmd_manager_start_all_nodes},
    {"manager_stop_all_nodes", cmd_manager_stop_all_nodes},
    {"manager_close", cmd_manager_close},
    {"manager_destroy", cmd_manager_destroy},
    {"list_node_types", cmd_list_node_types},
    {"nodegroup_create_node", cmd_nodegroup_create_node},
    {"node_configure", cmd_node_configure},
    {"node_initialize", cmd_node_initialize},
    {"node_start", cmd_node_start},
    {"node_stop", cmd_node_stop},
    {"node_close", cmd_node_close},
    {"node_output", cmd_node_output},
    {"node_input", cmd_node_input},
    {"stream_configure", cmd_stream_configure},
    {"stream_connect", cmd_stream_connect},
    {"input_connect_proxy", cmd_input_connect_proxy},
    {"proxy_attr", cmd_proxy_attr},
    {"proxy_call", cmd_proxy_call},
    {"proxy_get_value", cmd_proxy_get_value},
    {"proxy_delete", cmd_proxy_delete},
    {"proxy_to_json", cmd_proxy_to_json},
    {"proxy_from_json", cmd_proxy_from_json},
    {"proxy_destroy", cmd_proxy_destroy},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

void mexFunction(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    static int initialised = 0;
    static char name[64];
    size_t i;

    g_cmd = "pyacq_mex";
    if (!initialised) {
        if (pyacq_abi_version() != PYACQ_ABI_VERSION)
            fail("pyacq:version", "libpyacq ABI %d is loaded, this gateway was built for ABI %d", pyacq_abi_version(),
                 PYACQ_ABI_VERSION);
        if (sizeof(mxLogical) != 1) fail("pyacq:internal", "mxLogical is %d bytes, expected 1", (int)sizeof(mxLogical));
        mexLock(); /* never unloaded: the library's threads and handles outlive single calls */
        mexAtExit(release_all);
        initialised = 1;
    }
    if (nrhs < 1 || !mxIsChar(prhs[0]) || mxGetM(prhs[0]) != 1 || mxGetN(prhs[0]) >= sizeof name)
        fail("pyacq:argument", "the first argument must be a command name, e.g. pyacq_mex('version')");
    if (mxGetString(prhs[0], name, sizeof name) != 0) fail("pyacq:argument", "bad command name");
    for (i = 0; i < NCOMMANDS; i++) {
        if (!strcmp(COMMANDS[i].name, name)) {
            g_cmd = COMMANDS[i].name;
            COMMANDS[i].fn(nlhs, plhs, nrhs, prhs);
            return;
        }
    }
    fail("pyacq:command", "unknown command '%s'", name);
}
