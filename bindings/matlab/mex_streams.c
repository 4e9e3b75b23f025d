/*
 * mex_streams.c — output and input streams (pyacq_output_*, pyacq_input_*).
 *
 * Each stream entry caches its dtype and number of chunk dims, read from the stream's params
 * (decoded with jsondecode) after configure / connect: they say how a MATLAB array maps onto
 * a chunk (send) and which MATLAB class a received chunk gets (recv).
 */
#include "mex_private.h"

#include <limits.h>
#include <string.h>

/* dtype (raw text, "" if absent or not text) and number of dims of "shape" (0 if unknown) of
 * a stream's params JSON, decoded by pyacq.internal.fromJson (jsondecode that also takes the
 * NaN / Infinity tokens Python writes), or by jsondecode itself when +pyacq is not on the path. */
static void params_meta(const char *json, char *dtype, size_t cap, int *ndim)
{
    mxArray *text = mxCreateString(json), *decoded = NULL, *failure;
    dtype[0] = 0;
    *ndim = 0;
    failure = mexCallMATLABWithTrap(1, &decoded, 1, &text, "pyacq.internal.fromJson");
    if (failure) {
        mxDestroyArray(failure);
        failure = mexCallMATLABWithTrap(1, &decoded, 1, &text, "jsondecode");
    }
    mxDestroyArray(text);
    if (failure) {
        mxDestroyArray(failure);
        return;
    }
    if (mxIsStruct(decoded) && mxGetNumberOfElements(decoded) == 1) {
        const mxArray *d = mxGetField(decoded, 0, "dtype");
        const mxArray *shape = mxGetField(decoded, 0, "shape");
        if (d && mxIsChar(d) && mxGetString(d, dtype, cap) != 0) dtype[0] = 0;
        if (shape && (mxIsNumeric(shape) || mxIsCell(shape))) *ndim = (int)mxGetNumberOfElements(shape);
    }
    mxDestroyArray(decoded);
}

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
    if (st != PYACQ_OK || !json) {
        pyacq_free(json);
        return;
    }
    e->has_params = 1;
    {
        /* into MEX memory first: jsondecode may raise (out of memory) */
        char *copy = (char *)mxMalloc(strlen(json) + 1);
        strcpy(copy, json);
        pyacq_free(json);
        params_meta(copy, raw, sizeof raw, &e->ndim);
        mxFree(copy);
    }
    canonical_dtype(raw, e->dtype, sizeof e->dtype);
}

/* After a (failed or successful) connect or configure: the params may have changed. */
static void refresh_after(entry *e, int status)
{
    if (status != PYACQ_OK) capture(status);
    refresh_meta(e);
    if (status != PYACQ_OK) raise_captured();
}

/* Sends MATLAB array prhs[2] to an output or ring buffer (index prhs[3], orientation prhs[4]). */
/* Writes a chunk of layout (shape, strides) once, in C order, into the rows the stream reserves
 * for it (pyacq_output_reserve / pyacq_output_commit). */
static void send_in_place(entry *e, const type_map *t, const mxArray *data, int k, const int64_t *shape,
                          const int64_t *strides, int64_t index)
{
    int64_t dst_strides[MAXD], nbytes = 0;
    void *rows = NULL;
    if (strcmp(e->dtype, t->dtype) != 0)
        fail("pyacq:dtype", "the stream's dtype is %s; a %s array cannot be written in place (cast it first)",
             e->dtype[0] ? e->dtype : "unknown (configure the stream first)", t->dtype);
    check(pyacq_output_reserve((pyacq_output *)e->ptr, shape[0], index, &rows, &nbytes));
    dst_strides[k - 1] = t->itemsize;
    for (int i = k - 2; i >= 0; i--) dst_strides[i] = dst_strides[i + 1] * shape[i + 1];
    if (shape[0] > 0) strided_copy((char *)rows, dst_strides, (const char *)mxGetData(data), strides, shape, k, t->itemsize);
    check(pyacq_output_commit((pyacq_output *)e->ptr));
}

void send_data(entry *e, int nrhs, const mxArray *prhs[], int in_place)
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
    if (in_place) {
        send_in_place(e, t, prhs[2], k, shape, strides, index);
        return;
    }
    if (e->kind == K_OUTPUT)
        st = pyacq_output_send((pyacq_output *)e->ptr, mxGetData(prhs[2]), t->dtype, k, shape, strides, index);
    else
        st = pyacq_ringbuffer_new_chunk((pyacq_ringbuffer *)e->ptr, mxGetData(prhs[2]), t->dtype, k, shape, strides, index);
    check(st);
}

/* --- output streams --- */

static void cmd_output_create(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    pyacq_output *out = NULL;
    char *spec;
    need_args(nrhs, 0, 1, "h = pyacq_mex('output_create' [, spec_json])");
    need_outputs(nlhs, 1);
    spec = get_text_opt(nrhs, prhs, 1, "the output spec (JSON text)");
    check(pyacq_output_create(&out, spec));
    plhs[0] = register_new(K_OUTPUT, out);
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
    refresh_after(e, st);
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
    plhs[0] = json_result(st, &json);
}

static void cmd_output_send(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    need_args(nrhs, 2, 4, "pyacq_mex('output_send', h, data [, index [, orientation]])");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_OUTPUT);
    send_data(e, nrhs, prhs, 0);
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
    int32_t count = 0;
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
    int32_t count, timeout;
    need_args(nrhs, 1, 3, "pyacq_mex('output_wait_subscribers', h [, count [, timeout_ms]])");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_OUTPUT);
    count = nrhs > 2 ? (int32_t)get_int(prhs[2], "count", 0, INT32_MAX) : 1;
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

static void cmd_output_destroy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    destroy_handle(K_OUTPUT, nlhs, nrhs, prhs, "pyacq_mex('output_destroy', h)");
}

/* --- input streams --- */

static void cmd_input_create(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    pyacq_input *in = NULL;
    char *spec;
    need_args(nrhs, 0, 1, "h = pyacq_mex('input_create' [, spec_json])");
    need_outputs(nlhs, 1);
    spec = get_text_opt(nrhs, prhs, 1, "the input spec (JSON text)");
    check(pyacq_input_create(&in, spec));
    plhs[0] = register_new(K_INPUT, in);
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
    refresh_after(e, st);
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
    plhs[0] = json_result(st, &json);
}

static void cmd_input_poll(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    int32_t timeout;
    bool ready = false;
    need_args(nrhs, 1, 2, "ready = pyacq_mex('input_poll', h [, timeout_ms])");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_INPUT);
    timeout = get_timeout(nrhs, prhs, 2, 0);
    check(pyacq_input_poll((pyacq_input *)e->ptr, timeout, &ready));
    plhs[0] = mxCreateLogicalScalar(ready);
}

static void cmd_input_recv(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    entry *e;
    int32_t timeout;
    int orient, st, k;
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
    entry *e;
    pyacq_ringbuffer *ring = NULL;
    need_args(nrhs, 1, 1, "ring = pyacq_mex('input_buffer', h)");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_INPUT);
    check(pyacq_input_buffer((pyacq_input *)e->ptr, &ring));
    plhs[0] = register_new(K_RING, ring);
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
    plhs[0] = json_result(st, &json);
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
    destroy_handle(K_INPUT, nlhs, nrhs, prhs, "pyacq_mex('input_destroy', h)");
}

/* pyacq_mex('input_connect_stream', h, stream [, timeout_ms]): a local input fed by a node's
 * output stream. */
static void cmd_input_connect_stream(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    entry *e, *output;
    int32_t timeout;
    (void)plhs;
    need_args(nrhs, 2, 3, "pyacq_mex('input_connect_stream', h, remote_stream [, timeout_ms])");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_INPUT);
    output = get_handle(prhs[2], K_STREAM);
    timeout = get_timeout(nrhs, prhs, 3, DEFAULT_TIMEOUT_MS);
    refresh_after(e, pyacq_input_connect_stream((pyacq_input *)e->ptr, (pyacq_stream *)output->ptr, timeout));
}

/* pyacq_mex('input_connect_proxy', h, proxy [, timeout_ms]): the same with a generic proxy to
 * an output stream. */
static void cmd_input_connect_proxy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    entry *e;
    pyacq_proxy *output;
    int32_t timeout;
    (void)plhs;
    need_args(nrhs, 2, 3, "pyacq_mex('input_connect_proxy', h, output_proxy [, timeout_ms])");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_INPUT);
    output = get_any_proxy(prhs[2]);
    timeout = get_timeout(nrhs, prhs, 3, DEFAULT_TIMEOUT_MS);
    refresh_after(e, pyacq_input_connect_proxy((pyacq_input *)e->ptr, output, timeout));
}

const mex_command MEX_STREAM_COMMANDS[] = {
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
    {"input_connect_stream", cmd_input_connect_stream},
    {"input_connect_proxy", cmd_input_connect_proxy},
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
    {NULL, NULL},
};
