/*
 * mex_graph.c — distributed graphs: managers, hosts, node groups, nodes and their streams
 * (pyacq_manager_*, pyacq_host_*, pyacq_nodegroup_*, pyacq_node_*, pyacq_stream_*).
 *
 * Every command that waits on a peer takes a last, optional timeout in milliseconds (default
 * 10 s, Inf or -1 = forever; pyacq:timeout after). JSON arguments and results are text.
 */
#include "mex_private.h"

static pyacq_manager *get_manager(const mxArray *a)
{
    return (pyacq_manager *)get_handle(a, K_MANAGER)->ptr;
}

static pyacq_nodegroup *get_nodegroup(const mxArray *a)
{
    return (pyacq_nodegroup *)get_handle(a, K_NODEGROUP)->ptr;
}

static pyacq_node *get_node(const mxArray *a)
{
    return (pyacq_node *)get_handle(a, K_NODE)->ptr;
}

static pyacq_stream *get_stream(const mxArray *a)
{
    return (pyacq_stream *)get_handle(a, K_STREAM)->ptr;
}

/* x = pyacq_mex('<kind>_from_proxy', p): a node group, node or node stream handle for a
 * generic proxy handle (nothing is sent; the proxy handle stays valid). */
static void from_proxy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[], handle_kind kind, const char *usage)
{
    pyacq_proxy *p;
    pyacq_nodegroup *ng = NULL;
    pyacq_node *node = NULL;
    pyacq_stream *stream = NULL;
    need_args(nrhs, 1, 1, usage);
    need_outputs(nlhs, 1);
    p = (pyacq_proxy *)get_handle(prhs[1], K_PROXY)->ptr;
    if (kind == K_NODEGROUP) {
        check(pyacq_nodegroup_from_proxy(p, &ng));
        plhs[0] = register_new(kind, ng);
    } else if (kind == K_NODE) {
        check(pyacq_node_from_proxy(p, &node));
        plhs[0] = register_new(kind, node);
    } else {
        check(pyacq_stream_from_proxy(p, &stream));
        plhs[0] = register_new(kind, stream);
    }
}

/* --- managers --- */

static void cmd_manager_create(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_manager *m = NULL;
    char *mode;
    int32_t timeout;
    need_args(nrhs, 0, 2, "h = pyacq_mex('manager_create' [, mode [, timeout_ms]])   % mode 'local' (default) or 'rpc'");
    need_outputs(nlhs, 1);
    mode = get_text_opt(nrhs, prhs, 1, "the mode");
    timeout = get_timeout(nrhs, prhs, 2, DEFAULT_TIMEOUT_MS);
    check(pyacq_manager_create(&m, mode ? mode : "local", timeout));
    plhs[0] = register_new(K_MANAGER, m);
}

static void cmd_manager_proxy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_proxy *p = NULL;
    need_args(nrhs, 1, 1, "p = pyacq_mex('manager_proxy', h)");
    need_outputs(nlhs, 1);
    check(pyacq_manager_proxy(get_manager(prhs[1]), &p));
    plhs[0] = register_new(K_PROXY, p);
}

static void cmd_manager_add_host(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_host *host = NULL;
    pyacq_manager *m;
    char *address;
    int32_t timeout;
    need_args(nrhs, 2, 3, "host = pyacq_mex('manager_add_host', h, address [, timeout_ms])");
    need_outputs(nlhs, 1);
    m = get_manager(prhs[1]);
    address = get_string(prhs[2], "the host address");
    timeout = get_timeout(nrhs, prhs, 3, DEFAULT_TIMEOUT_MS);
    check(pyacq_manager_add_host(m, address, timeout, &host));
    plhs[0] = register_new(K_HOST, host);
}

static void cmd_manager_create_nodegroup(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_nodegroup *ng = NULL;
    pyacq_manager *m;
    char *name, *host, *options;
    int32_t timeout;
    need_args(nrhs, 1, 5, "ng = pyacq_mex('manager_create_nodegroup', h [, name [, host_address [, options_json [, timeout_ms]]]])");
    need_outputs(nlhs, 1);
    m = get_manager(prhs[1]);
    name = get_text_opt(nrhs, prhs, 2, "the node group name");
    host = get_text_opt(nrhs, prhs, 3, "the host address");
    options = get_text_opt(nrhs, prhs, 4, "the options (JSON object)");
    timeout = get_timeout(nrhs, prhs, 5, DEFAULT_TIMEOUT_MS);
    check(pyacq_manager_create_nodegroup(m, name, host, options, timeout, &ng));
    plhs[0] = register_new(K_NODEGROUP, ng);
}

/* json = pyacq_mex('manager_list_nodegroups', h [, timeout_ms]): a JSON list of proxy maps. */
static void cmd_manager_list_nodegroups(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *json = NULL;
    pyacq_manager *m;
    int32_t timeout;
    need_args(nrhs, 1, 2, "json = pyacq_mex('manager_list_nodegroups', h [, timeout_ms])");
    need_outputs(nlhs, 1);
    m = get_manager(prhs[1]);
    timeout = get_timeout(nrhs, prhs, 2, DEFAULT_TIMEOUT_MS);
    plhs[0] = json_result(pyacq_manager_list_nodegroups(m, timeout, &json), &json);
}

static void manager_timed(int nlhs, int nrhs, const mxArray *prhs[], int (*fn)(pyacq_manager *, int32_t), const char *usage)
{
    pyacq_manager *m;
    need_args(nrhs, 1, 2, usage);
    need_outputs(nlhs, 0);
    m = get_manager(prhs[1]);
    check(fn(m, get_timeout(nrhs, prhs, 2, DEFAULT_TIMEOUT_MS)));
}

static void cmd_manager_start_all_nodes(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    manager_timed(nlhs, nrhs, prhs, pyacq_manager_start_all_nodes, "pyacq_mex('manager_start_all_nodes', h [, timeout_ms])");
}

static void cmd_manager_stop_all_nodes(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    manager_timed(nlhs, nrhs, prhs, pyacq_manager_stop_all_nodes, "pyacq_mex('manager_stop_all_nodes', h [, timeout_ms])");
}

static void cmd_manager_close(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    manager_timed(nlhs, nrhs, prhs, pyacq_manager_close, "pyacq_mex('manager_close', h [, timeout_ms])");
}

static void cmd_manager_destroy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    destroy_handle(K_MANAGER, nlhs, nrhs, prhs, "pyacq_mex('manager_destroy', h)");
}

/* json = pyacq_mex('list_node_types'): JSON list of the node types of this process. */
static void cmd_list_node_types(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *json = NULL;
    (void)prhs;
    need_args(nrhs, 0, 0, "json = pyacq_mex('list_node_types')");
    need_outputs(nlhs, 1);
    plhs[0] = json_result(pyacq_list_node_types(&json), &json);
}

static void cmd_host_destroy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    destroy_handle(K_HOST, nlhs, nrhs, prhs, "pyacq_mex('host_destroy', host)");
}

/* --- node groups --- */

static void cmd_nodegroup_create_node(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_nodegroup *group;
    pyacq_node *node = NULL;
    char *type, *name;
    int32_t timeout;
    need_args(nrhs, 2, 4, "node = pyacq_mex('nodegroup_create_node', ng, type_name [, node_name [, timeout_ms]])");
    need_outputs(nlhs, 1);
    group = get_nodegroup(prhs[1]);
    type = get_string(prhs[2], "the node type");
    name = get_text_opt(nrhs, prhs, 3, "the node name");
    timeout = get_timeout(nrhs, prhs, 4, DEFAULT_TIMEOUT_MS);
    check(pyacq_nodegroup_create_node(group, type, name, timeout, &node));
    plhs[0] = register_new(K_NODE, node);
}

static void cmd_nodegroup_close(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_nodegroup *group;
    (void)plhs;
    need_args(nrhs, 1, 2, "pyacq_mex('nodegroup_close', ng [, timeout_ms])");
    need_outputs(nlhs, 0);
    group = get_nodegroup(prhs[1]);
    check(pyacq_nodegroup_close(group, get_timeout(nrhs, prhs, 2, DEFAULT_TIMEOUT_MS)));
}

static void cmd_nodegroup_from_proxy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    from_proxy(nlhs, plhs, nrhs, prhs, K_NODEGROUP, "ng = pyacq_mex('nodegroup_from_proxy', p)");
}

static void cmd_nodegroup_destroy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    destroy_handle(K_NODEGROUP, nlhs, nrhs, prhs, "pyacq_mex('nodegroup_destroy', ng)");
}

/* --- nodes --- */

static void cmd_node_configure(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_node *node;
    char *kwargs;
    int32_t timeout;
    (void)plhs;
    need_args(nrhs, 1, 3, "pyacq_mex('node_configure', node [, kwargs_json [, timeout_ms]])");
    need_outputs(nlhs, 0);
    node = get_node(prhs[1]);
    kwargs = get_text_opt(nrhs, prhs, 2, "the keyword arguments (JSON object)");
    timeout = get_timeout(nrhs, prhs, 3, DEFAULT_TIMEOUT_MS);
    check(pyacq_node_configure(node, kwargs, timeout));
}

static void node_timed(int nlhs, int nrhs, const mxArray *prhs[], int (*fn)(pyacq_node *, int32_t), const char *usage)
{
    pyacq_node *node;
    need_args(nrhs, 1, 2, usage);
    need_outputs(nlhs, 0);
    node = get_node(prhs[1]);
    check(fn(node, get_timeout(nrhs, prhs, 2, DEFAULT_TIMEOUT_MS)));
}

static void cmd_node_initialize(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    node_timed(nlhs, nrhs, prhs, pyacq_node_initialize, "pyacq_mex('node_initialize', node [, timeout_ms])");
}

static void cmd_node_start(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    node_timed(nlhs, nrhs, prhs, pyacq_node_start, "pyacq_mex('node_start', node [, timeout_ms])");
}

static void cmd_node_stop(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    node_timed(nlhs, nrhs, prhs, pyacq_node_stop, "pyacq_mex('node_stop', node [, timeout_ms])");
}

static void cmd_node_close(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    node_timed(nlhs, nrhs, prhs, pyacq_node_close, "pyacq_mex('node_close', node [, timeout_ms])");
}

static void node_stream(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[], int output)
{
    pyacq_node *node;
    pyacq_stream *stream = NULL;
    char *name;
    int32_t timeout;
    need_args(nrhs, 1, 3, output ? "s = pyacq_mex('node_output', node [, name [, timeout_ms]])"
                                 : "s = pyacq_mex('node_input', node [, name [, timeout_ms]])");
    need_outputs(nlhs, 1);
    node = get_node(prhs[1]);
    name = get_text_opt(nrhs, prhs, 2, "the stream name");
    timeout = get_timeout(nrhs, prhs, 3, DEFAULT_TIMEOUT_MS);
    check(output ? pyacq_node_output(node, name, timeout, &stream) : pyacq_node_input(node, name, timeout, &stream));
    plhs[0] = register_new(K_STREAM, stream);
}

static void cmd_node_output(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    node_stream(nlhs, plhs, nrhs, prhs, 1);
}

static void cmd_node_input(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    node_stream(nlhs, plhs, nrhs, prhs, 0);
}

static void cmd_node_from_proxy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    from_proxy(nlhs, plhs, nrhs, prhs, K_NODE, "node = pyacq_mex('node_from_proxy', p)");
}

static void cmd_node_destroy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    destroy_handle(K_NODE, nlhs, nrhs, prhs, "pyacq_mex('node_destroy', node)");
}

/* --- streams of nodes --- */

static void cmd_stream_configure(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_stream *stream;
    char *params;
    int32_t timeout;
    (void)plhs;
    need_args(nrhs, 2, 3, "pyacq_mex('stream_configure', stream, params_json [, timeout_ms])");
    need_outputs(nlhs, 0);
    stream = get_stream(prhs[1]);
    params = get_string(prhs[2], "the stream params (JSON text)");
    timeout = get_timeout(nrhs, prhs, 3, DEFAULT_TIMEOUT_MS);
    check(pyacq_stream_configure(stream, params, timeout));
}

static void cmd_stream_connect(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_stream *input, *output;
    int32_t timeout;
    (void)plhs;
    need_args(nrhs, 2, 3, "pyacq_mex('stream_connect', input_stream, output_stream [, timeout_ms])");
    need_outputs(nlhs, 0);
    input = get_stream(prhs[1]);
    output = get_stream(prhs[2]);
    timeout = get_timeout(nrhs, prhs, 3, DEFAULT_TIMEOUT_MS);
    check(pyacq_stream_connect(input, output, timeout));
}

static void cmd_stream_params(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_stream *stream;
    char *json = NULL;
    int32_t timeout;
    need_args(nrhs, 1, 2, "json = pyacq_mex('stream_params', stream [, timeout_ms])");
    need_outputs(nlhs, 1);
    stream = get_stream(prhs[1]);
    timeout = get_timeout(nrhs, prhs, 2, DEFAULT_TIMEOUT_MS);
    plhs[0] = json_result(pyacq_stream_params(stream, timeout, &json), &json);
}

/* node = pyacq_mex('node_create_local', type_name [, node_name]): a node in this process. */
static void cmd_node_create_local(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_node *node = NULL;
    char *type, *name;
    need_args(nrhs, 1, 2, "node = pyacq_mex('node_create_local', type_name [, node_name])");
    need_outputs(nlhs, 1);
    type = get_text_opt(nrhs, prhs, 1, "the node type name");
    name = get_text_opt(nrhs, prhs, 2, "the node name");
    check(pyacq_node_create_local(type, name, &node));
    plhs[0] = register_new(K_NODE, node);
}

static void cmd_node_is_local(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    bool local = false;
    need_args(nrhs, 1, 1, "tf = pyacq_mex('node_is_local', node)");
    need_outputs(nlhs, 1);
    check(pyacq_node_is_local(get_node(prhs[1]), &local));
    plhs[0] = mxCreateLogicalScalar(local);
}

/* json = pyacq_mex('node_call', node, method_path [, args_json [, kwargs_json [, timeout_ms]]]):
 * local nodes and nodes in node groups alike. */
static void cmd_node_call(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_node *node;
    char *method, *args, *kwargs, *json = NULL;
    int32_t timeout;
    need_args(nrhs, 2, 5, "json = pyacq_mex('node_call', node, method [, args_json [, kwargs_json [, timeout_ms]]])");
    need_outputs(nlhs, 1);
    node = get_node(prhs[1]);
    method = get_text_opt(nrhs, prhs, 2, "the method name");
    args = get_text_opt(nrhs, prhs, 3, "the positional arguments (JSON list)");
    kwargs = get_text_opt(nrhs, prhs, 4, "the keyword arguments (JSON object)");
    timeout = get_timeout(nrhs, prhs, 5, DEFAULT_TIMEOUT_MS);
    plhs[0] = json_result(pyacq_node_call(node, method, args, kwargs, timeout, &json), &json);
}

static void cmd_node_get(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_node *node;
    char *attribute, *json = NULL;
    int32_t timeout;
    need_args(nrhs, 2, 3, "json = pyacq_mex('node_get', node, attribute [, timeout_ms])");
    need_outputs(nlhs, 1);
    node = get_node(prhs[1]);
    attribute = get_text_opt(nrhs, prhs, 2, "the attribute name");
    timeout = get_timeout(nrhs, prhs, 3, DEFAULT_TIMEOUT_MS);
    plhs[0] = json_result(pyacq_node_get(node, attribute, timeout, &json), &json);
}

/* [h, kind] = pyacq_mex('stream_local', s): a local node's stream as an output or input handle. */
static void cmd_stream_local(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    pyacq_stream *stream;
    pyacq_output *output = NULL;
    pyacq_input *input = NULL;
    need_args(nrhs, 1, 1, "[h, kind] = pyacq_mex('stream_local', s)");
    if (nlhs > 2) fail("pyacq:argument", "stream_local returns at most 2 values");
    stream = get_stream(prhs[1]);
    check(pyacq_stream_local(stream, &output, &input));
    plhs[0] = output ? register_new(K_OUTPUT, output) : register_new(K_INPUT, input);
    if (nlhs > 1) plhs[1] = mxCreateString(output ? "output" : "input");
}

static void cmd_stream_from_proxy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    from_proxy(nlhs, plhs, nrhs, prhs, K_STREAM, "s = pyacq_mex('stream_from_proxy', p)");
}

static void cmd_stream_destroy(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)plhs;
    destroy_handle(K_STREAM, nlhs, nrhs, prhs, "pyacq_mex('stream_destroy', stream)");
}

const mex_command MEX_GRAPH_COMMANDS[] = {
    {"manager_create", cmd_manager_create},
    {"manager_proxy", cmd_manager_proxy},
    {"manager_add_host", cmd_manager_add_host},
    {"manager_create_nodegroup", cmd_manager_create_nodegroup},
    {"manager_list_nodegroups", cmd_manager_list_nodegroups},
    {"manager_start_all_nodes", cmd_manager_start_all_nodes},
    {"manager_stop_all_nodes", cmd_manager_stop_all_nodes},
    {"manager_close", cmd_manager_close},
    {"manager_destroy", cmd_manager_destroy},
    {"list_node_types", cmd_list_node_types},
    {"host_destroy", cmd_host_destroy},
    {"nodegroup_create_node", cmd_nodegroup_create_node},
    {"nodegroup_close", cmd_nodegroup_close},
    {"nodegroup_from_proxy", cmd_nodegroup_from_proxy},
    {"nodegroup_destroy", cmd_nodegroup_destroy},
    {"node_configure", cmd_node_configure},
    {"node_initialize", cmd_node_initialize},
    {"node_start", cmd_node_start},
    {"node_stop", cmd_node_stop},
    {"node_close", cmd_node_close},
    {"node_output", cmd_node_output},
    {"node_input", cmd_node_input},
    {"node_from_proxy", cmd_node_from_proxy},
    {"node_destroy", cmd_node_destroy},
    {"stream_configure", cmd_stream_configure},
    {"stream_connect", cmd_stream_connect},
    {"stream_params", cmd_stream_params},
    {"stream_local", cmd_stream_local},
    {"node_create_local", cmd_node_create_local},
    {"node_is_local", cmd_node_is_local},
    {"node_call", cmd_node_call},
    {"node_get", cmd_node_get},
    {"stream_from_proxy", cmd_stream_from_proxy},
    {"stream_destroy", cmd_stream_destroy},
    {NULL, NULL},
};
