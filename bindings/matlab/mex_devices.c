/* Device listing and in-place production: pyacq_audio_devices / pyacq_video_devices, and sending
 * a chunk that is written once, straight into the stream's reserved rows (pyacq_output_reserve
 * / pyacq_output_commit) in C order. */
#include "mex_private.h"

#include <string.h>

static void cmd_audio_devices(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *json = NULL;
    (void)prhs;
    need_args(nrhs, 0, 0, "json = pyacq_mex('audio_devices')");
    need_outputs(nlhs, 1);
    plhs[0] = json_result(pyacq_audio_devices(&json), &json);
}

static void cmd_video_devices(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *json = NULL;
    (void)prhs;
    need_args(nrhs, 0, 0, "json = pyacq_mex('video_devices')");
    need_outputs(nlhs, 1);
    plhs[0] = json_result(pyacq_video_devices(&json), &json);
}

/* pyacq_mex('output_send_in_place', h, data [, index [, orientation]]): the chunk is converted
 * to C order directly into the rows the stream reserves (its shared ring or the message). */
static void cmd_output_send_in_place(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    entry *e;
    const type_map *t;
    int64_t index = -1, shape[MAXD], strides[MAXD], dst_strides[MAXD], nbytes = 0;
    void *rows = NULL;
    int k, orient;
    (void)plhs;
    need_args(nrhs, 2, 4, "pyacq_mex('output_send_in_place', h, data [, index [, orientation]])");
    need_outputs(nlhs, 0);
    e = get_handle(prhs[1], K_OUTPUT);
    t = data_type(prhs[2]);
    orient = get_orientation(nrhs, prhs, 4);
    if (nrhs > 3 && !(mxIsNumeric(prhs[3]) && mxIsEmpty(prhs[3])))
        index = get_int(prhs[3], "the index", -1, INT64_MAX);
    if (!e->has_params) refresh_meta(e);
    if (strcmp(e->dtype, t->dtype) != 0)
        fail("pyacq:dtype", "the stream's dtype is %s; a %s array cannot be written in place (cast it first)",
             e->dtype[0] ? e->dtype : "unknown (configure the stream first)", t->dtype);
    k = chunk_layout(prhs[2], orient, e->ndim, t->itemsize, shape, strides);
    check(pyacq_output_reserve((pyacq_output *)e->ptr, shape[0], index, &rows, &nbytes));
    dst_strides[k - 1] = t->itemsize;
    for (int i = k - 2; i >= 0; i--) dst_strides[i] = dst_strides[i + 1] * shape[i + 1];
    if (shape[0] > 0) strided_copy((char *)rows, dst_strides, (const char *)mxGetData(prhs[2]), strides, shape, k, t->itemsize);
    check(pyacq_output_commit((pyacq_output *)e->ptr));
}

const mex_command MEX_DEVICE_COMMANDS[] = {
    {"audio_devices", cmd_audio_devices},
    {"video_devices", cmd_video_devices},
    {"output_send_in_place", cmd_output_send_in_place},
    {NULL, NULL},
};
