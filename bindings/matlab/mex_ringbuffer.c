/*
 * mex_ringbuffer.c — ring buffers (pyacq_ringbuffer_*) and reading samples out of them
 * (also for the inputs' buffers: input_get_data).
 */
#include "mex_private.h"

#include <string.h>

void parse_range(int nrhs, const mxArray *prhs[], range_args *r)
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
mxArray *ring_data(pyacq_ringbuffer *ring, int release, const range_args *r)
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

/* --- ring buffers --- */

static void cmd_ringbuffer_create(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    pyacq_ringbuffer *ring = NULL;
    char *options;
    need_args(nrhs, 1, 1, "h = pyacq_mex('ringbuffer_create', options_json)");
    need_outputs(nlhs, 1);
    options = get_string(prhs[1], "the ring buffer options (JSON text)");
    check(pyacq_ringbuffer_create(&ring, options));
    plhs[0] = register_new(K_RING, ring);
}

static void cmd_ringbuffer_new_chunk(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    need_args(nrhs, 2, 4, "pyacq_mex('ringbuffer_new_chunk', h, data [, index [, orientation]])");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_RING);
    send_data(e, nrhs, prhs, 0);
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
    bool is_double = false;
    int st;
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
    mxSetField(s, 0, "double", mxCreateLogicalScalar(is_double));
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
    destroy_handle(K_RING, nlhs, nrhs, prhs, "pyacq_mex('ringbuffer_destroy', h)");
}

const mex_command MEX_RINGBUFFER_COMMANDS[] = {
    {"ringbuffer_create", cmd_ringbuffer_create},
    {"ringbuffer_new_chunk", cmd_ringbuffer_new_chunk},
    {"ringbuffer_get_data", cmd_ringbuffer_get_data},
    {"ringbuffer_index", cmd_ringbuffer_index},
    {"ringbuffer_info", cmd_ringbuffer_info},
    {"ringbuffer_reset_index", cmd_ringbuffer_reset_index},
    {"ringbuffer_destroy", cmd_ringbuffer_destroy},
    {NULL, NULL},
};
