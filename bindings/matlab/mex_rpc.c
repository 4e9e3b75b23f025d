/*
 * mex_rpc.c — generic proxies to remote objects (pyacq_proxy_*): attributes, calls, values.
 *
 * Every command here takes a proxy handle or the handle of a host, node group, node or remote
 * stream (their generic proxy is made once and kept with the handle). Arguments, keywords and
 * results are JSON text: +pyacq/+internal/encode.m and fromRemote.m convert MATLAB values.
 */
#include "mex_private.h"

/* q = pyacq_mex('proxy_attr', p, name): a proxy to p.name (nothing is sent). */
static void cmd_proxy_attr(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p, *q = NULL;
    char *name;
    need_args(nrhs, 2, 2, "q = pyacq_mex('proxy_attr', p, name)");
    need_outputs(nlhs, 1);
    p = get_any_proxy(prhs[1]);
    name = get_string(prhs[2], "the attribute name");
    check(pyacq_proxy_attr(p, name, &q));
    plhs[0] = register_new(K_PROXY, q);
}

/* json = pyacq_mex('proxy_call', p, method, args_json, kwargs_json, timeout_ms): method '' or
 * [] calls p itself; args_json a JSON list, kwargs_json a JSON object ([] or '': none). */
static void cmd_proxy_call(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p, *target, *temp = NULL;
    char *method, *args, *kwargs, *result = NULL;
    int32_t timeout;
    int st;
    need_args(nrhs, 1, 5, "json = pyacq_mex('proxy_call', p [, method [, args_json [, kwargs_json [, timeout_ms]]]])");
    need_outputs(nlhs, 1);
    p = get_any_proxy(prhs[1]);
    method = get_text_opt(nrhs, prhs, 2, "the method name");
    args = get_text_opt(nrhs, prhs, 3, "the positional arguments (JSON list)");
    kwargs = get_text_opt(nrhs, prhs, 4, "the keyword arguments (JSON object)");
    timeout = get_timeout(nrhs, prhs, 5, DEFAULT_TIMEOUT_MS);
    target = p;
    if (method) {
        check(pyacq_proxy_attr(p, method, &temp));
        target = temp;
    }
    st = pyacq_proxy_call(target, args, kwargs, timeout, nlhs > 0 ? &result : NULL);
    if (st != PYACQ_OK) capture(st);
    if (temp) pyacq_proxy_destroy(temp);
    if (st != PYACQ_OK) raise_captured();
    plhs[0] = mxCreateString(result ? result : "null");
    pyacq_free(result);
}

/* json = pyacq_mex('proxy_get_value', p [, timeout_ms]): the designated object by value. */
static void cmd_proxy_get_value(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p;
    char *json = NULL;
    int32_t timeout;
    need_args(nrhs, 1, 2, "json = pyacq_mex('proxy_get_value', p [, timeout_ms])");
    need_outputs(nlhs, 1);
    p = get_any_proxy(prhs[1]);
    timeout = get_timeout(nrhs, prhs, 2, DEFAULT_TIMEOUT_MS);
    plhs[0] = json_result(pyacq_proxy_get_value(p, timeout, &json), &json);
}

/* pyacq_mex('proxy_delete', p [, timeout_ms]): releases the reference on the server. */
static void cmd_proxy_delete(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p;
    (void)plhs;
    need_args(nrhs, 1, 2, "pyacq_mex('proxy_delete', p [, timeout_ms])");
    need_outputs(nlhs, 0);
    p = get_any_proxy(prhs[1]);
    check(pyacq_proxy_delete(p, get_timeout(nrhs, prhs, 2, DEFAULT_TIMEOUT_MS)));
}

static void cmd_proxy_to_json(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p;
    char *json = NULL;
    need_args(nrhs, 1, 1, "json = pyacq_mex('proxy_to_json', p)");
    need_outputs(nlhs, 1);
    p = get_any_proxy(prhs[1]);
    plhs[0] = json_result(pyacq_proxy_to_json(p, &json), &json);
}

static void cmd_proxy_from_json(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p = NULL;
    char *json;
    need_args(nrhs, 1, 1, "p = pyacq_mex('proxy_from_json', proxy_map_json)");
    need_outputs(nlhs, 1);
    json = get_string(prhs[1], "the proxy map (JSON text)");
    check(pyacq_proxy_from_json(json, &p));
    plhs[0] = register_new(K_PROXY, p);
}

static void cmd_proxy_destroy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    destroy_handle(K_PROXY, nlhs, nrhs, prhs, "pyacq_mex('proxy_destroy', p)");
}

const mex_command MEX_RPC_COMMANDS[] = {
    {"proxy_attr", cmd_proxy_attr},
    {"proxy_call", cmd_proxy_call},
    {"proxy_get_value", cmd_proxy_get_value},
    {"proxy_delete", cmd_proxy_delete},
    {"proxy_to_json", cmd_proxy_to_json},
    {"proxy_from_json", cmd_proxy_from_json},
    {"proxy_destroy", cmd_proxy_destroy},
    {NULL, NULL},
};
