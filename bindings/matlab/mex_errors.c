/*
 * mex_errors.c — MATLAB errors of the gateway.
 *
 * Every failure raises an error whose identifier says what went wrong: one identifier per
 * library status (the table below), `pyacq:remote:<Type>` for an exception a remote peer
 * raised (e.g. pyacq:remote:KeyError), and the gateway's own pyacq:handle / pyacq:command /
 * pyacq:version. The message is "<command>: <library message> (<STATUS_NAME>)"; a remote
 * traceback follows on the next lines. pyacq_mex('last_error') gives the parts as a struct.
 */
#include "mex_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* BEGIN pyacq status table: name, code (as in include/pyacq.h's enum pyacq_status), MATLAB
 * error identifier. Written once; a test checks it against the header. */
static const struct status_entry {
    const char *name;
    int code;
    const char *id;
} STATUS_TABLE[] = {
    { "PYACQ_OK", 0, "" },
    { "PYACQ_ERR_INVALID_ARGUMENT", -1, "pyacq:argument" },
    { "PYACQ_ERR_BAD_PARAMS", -2, "pyacq:params" },
    { "PYACQ_ERR_DTYPE", -3, "pyacq:dtype" },
    { "PYACQ_ERR_STATE", -4, "pyacq:state" },
    { "PYACQ_ERR_TIMEOUT", -5, "pyacq:timeout" },
    { "PYACQ_ERR_IO", -6, "pyacq:io" },
    { "PYACQ_ERR_MALFORMED", -7, "pyacq:malformed" },
    { "PYACQ_ERR_INDEX", -8, "pyacq:index" },
    { "PYACQ_ERR_BUFFER_TOO_SMALL", -9, "pyacq:buffer" },
    { "PYACQ_ERR_OVERRUN", -10, "pyacq:overrun" },
    { "PYACQ_ERR_CLOSED", -11, "pyacq:closed" },
    { "PYACQ_ERR_REMOTE", -12, "pyacq:remote" },
    { "PYACQ_ERR_HANDLE", -13, "pyacq:handle" },
    { "PYACQ_ERR_INTERNAL", -99, "pyacq:internal" },
};
/* END pyacq status table */
#define NSTATUS (sizeof STATUS_TABLE / sizeof STATUS_TABLE[0])

const char *g_cmd = "pyacq_mex";

/* The last error raised by the gateway: pyacq_mex('last_error') returns it. */
static struct {
    int status;                  /* library status, or 0 for the gateway's own errors */
    char id[96];
    char message[2048];          /* without the command prefix and the traceback */
    char type[96];               /* exception type (remote, or the Python type of the status) */
    char traceback[8192];
    char text[12288];            /* the MATLAB error message */
} g_last;

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static const char *status_id(int status)
{
    size_t i;
    for (i = 0; i < NSTATUS; i++)
        if (STATUS_TABLE[i].code == status && status != 0) return STATUS_TABLE[i].id;
    return "pyacq:internal";
}

static const char *status_name(int status)
{
    size_t i;
    for (i = 0; i < NSTATUS; i++)
        if (STATUS_TABLE[i].code == status) return STATUS_TABLE[i].name;
    return "PYACQ_ERR_UNKNOWN";
}

/* "pyacq:remote:<Type>" for a remote exception type: its last dotted component, reduced to
 * the characters an identifier may hold; "pyacq:remote" if nothing is left. */
static void remote_id(const char *type, char *out, size_t cap)
{
    const char *dot = strrchr(type, '.');
    const char *t = dot ? dot + 1 : type;
    char part[64];
    size_t n = 0;
    for (; *t && n + 1 < sizeof part; t++) {
        char c = *t;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9' && n > 0) || (c == '_' && n > 0))
            part[n++] = c;
    }
    part[n] = 0;
    if (n == 0) snprintf(out, cap, "pyacq:remote");
    else snprintf(out, cap, "pyacq:remote:%s", part);
}

void fail(const char *id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_last.message, sizeof g_last.message, fmt, ap);
    va_end(ap);
    g_last.status = 0;
    copy_text(g_last.id, sizeof g_last.id, id);
    g_last.type[0] = 0;
    g_last.traceback[0] = 0;
    snprintf(g_last.text, sizeof g_last.text, "%s: %s", g_cmd, g_last.message);
    mexErrMsgIdAndTxt(g_last.id, "%s", g_last.text);
}

void capture(int status)
{
    /* each string is copied before the next accessor call (same lifetime as pyacq_last_error) */
    const char *last = pyacq_last_error();
    g_last.status = status;
    copy_text(g_last.message, sizeof g_last.message, (last && *last) ? last : "failed");
    copy_text(g_last.type, sizeof g_last.type, pyacq_last_error_type());
    copy_text(g_last.traceback, sizeof g_last.traceback, status == PYACQ_ERR_REMOTE ? pyacq_last_error_traceback() : "");
    if (status == PYACQ_ERR_REMOTE) remote_id(g_last.type, g_last.id, sizeof g_last.id);
    else copy_text(g_last.id, sizeof g_last.id, status_id(status));
    if (status == PYACQ_ERR_REMOTE && g_last.type[0] && !strstr(g_last.message, g_last.type))
        snprintf(g_last.text, sizeof g_last.text, "%s: %s: %s (%s)", g_cmd, g_last.type, g_last.message, status_name(status));
    else
        snprintf(g_last.text, sizeof g_last.text, "%s: %s (%s)", g_cmd, g_last.message, status_name(status));
    if (g_last.traceback[0]) {
        size_t n = strlen(g_last.text);
        snprintf(g_last.text + n, sizeof g_last.text - n, "\nRemote traceback:\n%s", g_last.traceback);
    }
}

void raise_captured(void)
{
    mexErrMsgIdAndTxt(g_last.id, "%s", g_last.text);
}

void check(int status)
{
    if (status == PYACQ_OK) return;
    capture(status);
    raise_captured();
}

/* info = pyacq_mex('last_error'): the parts of the last error the gateway raised. */
static void cmd_last_error(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    static const char *fields[] = {"identifier", "status", "status_name", "type", "message", "traceback"};
    mxArray *s;
    (void)prhs;
    need_args(nrhs, 0, 0, "info = pyacq_mex('last_error')");
    need_outputs(nlhs, 1);
    s = mxCreateStructMatrix(1, 1, 6, fields);
    mxSetField(s, 0, "identifier", mxCreateString(g_last.id));
    mxSetField(s, 0, "status", mxCreateDoubleScalar(g_last.status));
    mxSetField(s, 0, "status_name", mxCreateString(g_last.status ? status_name(g_last.status) : ""));
    mxSetField(s, 0, "type", mxCreateString(g_last.type));
    mxSetField(s, 0, "message", mxCreateString(g_last.message));
    mxSetField(s, 0, "traceback", mxCreateString(g_last.traceback));
    plhs[0] = s;
}

/* table = pyacq_mex('status_table'): the status table above, as a struct array. */
static void cmd_status_table(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    static const char *fields[] = {"name", "code", "identifier"};
    mxArray *s;
    size_t i;
    (void)prhs;
    need_args(nrhs, 0, 0, "table = pyacq_mex('status_table')");
    need_outputs(nlhs, 1);
    s = mxCreateStructMatrix((mwSize)NSTATUS, 1, 3, fields);
    for (i = 0; i < NSTATUS; i++) {
        mxSetField(s, (mwIndex)i, "name", mxCreateString(STATUS_TABLE[i].name));
        mxSetField(s, (mwIndex)i, "code", mxCreateDoubleScalar(STATUS_TABLE[i].code));
        mxSetField(s, (mwIndex)i, "identifier", mxCreateString(STATUS_TABLE[i].id));
    }
    plhs[0] = s;
}

const mex_command MEX_ERROR_COMMANDS[] = {
    {"last_error", cmd_last_error},
    {"status_table", cmd_status_table},
    {NULL, NULL},
};
