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

enum { K_OUTPUT = 1, K_INPUT = 2, K_RING = 3 };

static const char *kind_name(int kind)
{
    switch (kind) {
    case K_OUTPUT: return "output stream";
    case K_INPUT: return "input stream";
    case K_RING: return "ring buffer";
    default: return "unknown";
    }
}

static const char *article(int kind)
{
    return kind == K_RING ? "a" : "an";
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
    }
}

/* Registered with mexAtExit: releases every live handle (consumers first). */
static void release_all(void)
{
    int pass;
    static const int order[3] = {K_INPUT, K_OUTPUT, K_RING};
    for (pass = 0; pass < 3; pass++) {
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
