/* Time: the stream clock, the last received chunk's timestamp and the producer's clock offset
 * (the "Time" section of pyacq.h). */
#include "mex_private.h"

/* t = pyacq_mex('clock_now'): seconds on this process's stream clock. */
static void cmd_clock_now(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    double now = 0;
    (void)prhs;
    need_args(nrhs, 0, 0, "t = pyacq_mex('clock_now')");
    need_outputs(nlhs, 1);
    check(pyacq_clock_now(&now));
    plhs[0] = mxCreateDoubleScalar(now);
}

/* [local, raw] = pyacq_mex('input_last_timestamp', h). */
static void cmd_input_last_timestamp(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    double local = 0, raw = 0;
    entry *e;
    need_args(nrhs, 1, 1, "[local, raw] = pyacq_mex('input_last_timestamp', h)");
    need_outputs(nlhs, 2);
    e = get_handle(prhs[1], K_INPUT);
    check(pyacq_input_last_timestamp((pyacq_input *)e->ptr, &local, &raw));
    plhs[0] = mxCreateDoubleScalar(local);
    if (nlhs > 1) plhs[1] = mxCreateDoubleScalar(raw);
}

/* s = pyacq_mex('input_clock_offset', h, timeout_ms): struct offset, uncertainty, round_trip,
 * measured_at, probes. */
static void cmd_input_clock_offset(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    static const char *fields[] = {"offset", "uncertainty", "round_trip", "measured_at", "probes"};
    pyacq_clock_offset o;
    entry *e;
    int32_t timeout;
    need_args(nrhs, 2, 2, "s = pyacq_mex('input_clock_offset', h, timeout_ms)");
    need_outputs(nlhs, 1);
    e = get_handle(prhs[1], K_INPUT);
    timeout = (int32_t)get_int(prhs[2], "timeout_ms", -1, INT32_MAX);
    check(pyacq_input_clock_offset((pyacq_input *)e->ptr, timeout, &o));
    plhs[0] = mxCreateStructMatrix(1, 1, 5, fields);
    mxSetField(plhs[0], 0, "offset", mxCreateDoubleScalar(o.offset));
    mxSetField(plhs[0], 0, "uncertainty", mxCreateDoubleScalar(o.uncertainty));
    mxSetField(plhs[0], 0, "round_trip", mxCreateDoubleScalar(o.round_trip));
    mxSetField(plhs[0], 0, "measured_at", mxCreateDoubleScalar(o.measured_at));
    mxSetField(plhs[0], 0, "probes", mxCreateDoubleScalar((double)o.probes));
}

const mex_command MEX_TIME_COMMANDS[] = {
    {"clock_now", cmd_clock_now},
    {"input_last_timestamp", cmd_input_last_timestamp},
    {"input_clock_offset", cmd_input_clock_offset},
    {NULL, NULL},
};
