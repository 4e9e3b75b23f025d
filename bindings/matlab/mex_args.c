/*
 * mex_args.c — checking and converting the MATLAB arguments of the commands.
 */
#include "mex_private.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <string.h>

void need_args(int nrhs, int min, int max, const char *usage)
{
    if (nrhs - 1 < min || nrhs - 1 > max)
        fail("pyacq:argument", "wrong number of arguments (%d); usage: %s", nrhs - 1, usage);
}

void need_outputs(int nlhs, int max)
{
    if (nlhs > max) fail("pyacq:argument", "too many output arguments (at most %d)", max);
}

int is_real_dense(const mxArray *a)
{
    return !mxIsComplex(a) && !mxIsSparse(a);
}

char *get_string(const mxArray *a, const char *name)
{
    char *s;
    if (!mxIsChar(a) || (mxGetNumberOfElements(a) > 0 && mxGetM(a) != 1) || mxGetNumberOfDimensions(a) > 2)
        fail("pyacq:argument", "%s must be a character row vector (text), got a %s array", name, mxGetClassName(a));
    s = mxArrayToString(a);
    if (!s) fail("pyacq:argument", "%s could not be converted to text", name);
    return s;
}

char *get_text_opt(int nrhs, const mxArray *prhs[], int i, const char *name)
{
    char *s;
    if (i >= nrhs || (mxIsNumeric(prhs[i]) && mxIsEmpty(prhs[i]))) return NULL;
    s = get_string(prhs[i], name);
    return *s ? s : NULL;
}

int64_t get_int(const mxArray *a, const char *name, int64_t lo, int64_t hi)
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

int32_t get_timeout(int nrhs, const mxArray *prhs[], int i, int32_t dflt)
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
    return d > (double)INT32_MAX ? -1 : (int32_t)d;
}

int get_orientation(int nrhs, const mxArray *prhs[], int i)
{
    char *s, *p;
    int result = -1;
    if (i >= nrhs) return ORIENT_SAMPLES_BY_CHANNELS;
    s = get_string(prhs[i], "the orientation");
    for (p = s; *p; p++) *p = (char)tolower((unsigned char)*p);
    if (!strcmp(s, "samples-by-channels")) result = ORIENT_SAMPLES_BY_CHANNELS;
    else if (!strcmp(s, "channels-by-samples")) result = ORIENT_CHANNELS_BY_SAMPLES;
    if (result < 0)
        fail("pyacq:argument", "the orientation must be 'samples-by-channels' or 'channels-by-samples', got '%s'", s);
    mxFree(s);
    return result;
}

mxArray *json_result(int status, char **json)
{
    mxArray *r;
    if (status != PYACQ_OK) {
        capture(status);
        pyacq_free(*json);
        raise_captured();
    }
    r = mxCreateString(*json ? *json : "");
    pyacq_free(*json);
    return r;
}
