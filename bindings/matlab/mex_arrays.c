/*
 * mex_arrays.c — MATLAB arrays <-> pyacq chunks: classes and dtypes, the layout of a chunk
 * inside a MATLAB array (orientation), and the one strided copy the gateway has.
 */
#include "mex_private.h"

#include <string.h>

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

const type_map *type_of_dtype(const char *dtype)
{
    size_t i;
    for (i = 0; i < NTYPES; i++)
        if (!strcmp(TYPES[i].dtype, dtype)) return &TYPES[i];
    return NULL;
}

/* The MATLAB type of a canonical stream dtype, or an error (pyacq:dtype). */
const type_map *require_type(const char *dtype, int itemsize)
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
const type_map *data_type(const mxArray *a)
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

/* Canonical form of a raw dtype string into out ("" if not a known dtype). */
void canonical_dtype(const char *raw, char *out, size_t cap)
{
    char *canon = NULL;
    out[0] = 0;
    if (!*raw) return;
    if (pyacq_dtype_normalize(raw, &canon) == PYACQ_OK && canon) {
        if (strlen(canon) < cap) strcpy(out, canon);
        pyacq_free(canon);
    }
}


/* MATLAB dimension that holds chunk axis j (0 = time) of a chunk with `k` dims, in an array
 * with `m` = max(k, 2) dims. */
static int matlab_axis(int orient, int m, int j)
{
    if (orient == ORIENT_SAMPLES_BY_CHANNELS) return j;
    return j == 0 ? m - 1 : j - 1;
}

/* The chunk view (shape, byte strides) of MATLAB array `a` for a chunk of `k` dims (k <= 0:
 * unknown, taken from the array). Fails if the array does not fit. */
int chunk_layout(const mxArray *a, int orient, int k, int itemsize, int64_t *shape, int64_t *strides)
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
mxArray *create_for_chunk(const type_map *t, int orient, int k, const int64_t *shape, int64_t *dst_strides)
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
void strided_copy(char *dst, const int64_t *dst_strides_in, const char *src, const int64_t *src_strides_in,
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
