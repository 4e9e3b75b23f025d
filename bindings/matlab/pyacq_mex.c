/*
 * pyacq_mex.c — the MEX gateway of the MATLAB/Octave binding of libpyacq: the dispatcher.
 *
 *     result = pyacq_mex(command, arguments...)
 *
 * Every command is a string naming a function of one area (see mex_private.h for the files
 * and README.md for the commands). Handles are opaque uint64 ids handed out by the gateway
 * (mex_handles.c): a destroyed, foreign or mistyped handle raises pyacq:handle. Every failure
 * raises an error with an identifier pyacq:<what> (mex_errors.c), pyacq:remote:<Type> for a
 * remote exception.
 *
 * Array orientation (last, optional argument of the data commands):
 *   'samples-by-channels' (default): MATLAB size [nsamp, d1, ..., dk] for pyacq chunk shape
 *       [nsamp, d1, ..., dk]. A 2-D [nsamp x nchan] array is a Fortran-order chunk: sent without
 *       any copy (strides passed to the library).
 *   'channels-by-samples': MATLAB size [d1, ..., dk, nsamp] (time moved to the last axis); a
 *       2-D [nchan x nsamp] array is exactly a C-order chunk.
 *   1-D streams (shape [-1]) use a column [nsamp x 1] resp. a row [1 x nsamp].
 *
 * Only the documented C MEX API is used: builds with Octave's `mkoctfile --mex` and MATLAB's
 * `mex` (build_mex.m gives them the list of files).
 */
#include "mex_private.h"

#include <string.h>

static void cmd_version(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)prhs;
    need_args(nrhs, 0, 0, "[v, number, abi] = pyacq_mex('version')");
    need_outputs(nlhs, 3);
    plhs[0] = mxCreateString(pyacq_version());
    if (nlhs > 1) plhs[1] = mxCreateDoubleScalar(pyacq_version_number());
    if (nlhs > 2) plhs[2] = mxCreateDoubleScalar(pyacq_abi_version());
}

static void cmd_dtype_normalize(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
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

static const mex_command LIBRARY_COMMANDS[] = {
    {"version", cmd_version},
    {"dtype_normalize", cmd_dtype_normalize},
    {NULL, NULL},
};

static const mex_command *const AREAS[] = {
    LIBRARY_COMMANDS, MEX_HANDLE_COMMANDS, MEX_ERROR_COMMANDS, MEX_STREAM_COMMANDS,
    MEX_RINGBUFFER_COMMANDS, MEX_RPC_COMMANDS, MEX_GRAPH_COMMANDS, MEX_DEVICE_COMMANDS, MEX_TIME_COMMANDS,
};

void mexFunction(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    static int initialised = 0;
    static char name[64];
    size_t a;

    g_cmd = "pyacq_mex";
    if (!initialised) {
        if (pyacq_abi_version() != PYACQ_ABI_VERSION)
            fail("pyacq:version", "libpyacq ABI %d is loaded, this gateway was built for ABI %d", (int)pyacq_abi_version(),
                 PYACQ_ABI_VERSION);
        if (pyacq_version_number() / 100 != PYACQ_VERSION_NUMBER / 100)
            fail("pyacq:version", "libpyacq %s is loaded, this gateway was built for %d.%d", pyacq_version(),
                 PYACQ_VERSION_MAJOR, PYACQ_VERSION_MINOR);
        if (sizeof(mxLogical) != 1) fail("pyacq:internal", "mxLogical is %d bytes, expected 1", (int)sizeof(mxLogical));
        mexLock(); /* never unloaded: the library's threads and handles outlive single calls */
        mexAtExit(release_all);
        initialised = 1;
    }
    if (nrhs < 1 || !mxIsChar(prhs[0]) || mxGetM(prhs[0]) != 1 || mxGetN(prhs[0]) >= sizeof name)
        fail("pyacq:argument", "the first argument must be a command name, e.g. pyacq_mex('version')");
    if (mxGetString(prhs[0], name, sizeof name) != 0) fail("pyacq:argument", "bad command name");
    for (a = 0; a < sizeof AREAS / sizeof AREAS[0]; a++) {
        const mex_command *c;
        for (c = AREAS[a]; c->name; c++) {
            if (!strcmp(c->name, name)) {
                g_cmd = c->name;
                c->fn(nlhs, plhs, nrhs, prhs);
                return;
            }
        }
    }
    fail("pyacq:command", "unknown command '%s'", name);
}
