/* Device listing (pyacq_audio_devices / pyacq_video_devices) and in-place sending (the chunk is
 * written once into the rows the stream reserves). */
#include "mex_private.h"

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
    (void)plhs;
    need_args(nrhs, 2, 4, "pyacq_mex('output_send_in_place', h, data [, index [, orientation]])");
    need_outputs(nlhs, 0);
    send_data(get_handle(prhs[1], K_OUTPUT), nrhs, prhs, 1);
}

const mex_command MEX_DEVICE_COMMANDS[] = {
    {"audio_devices", cmd_audio_devices},
    {"video_devices", cmd_video_devices},
    {"output_send_in_place", cmd_output_send_in_place},
    {NULL, NULL},
};
