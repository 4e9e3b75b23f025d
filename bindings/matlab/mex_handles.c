/*
 * mex_handles.c — the gateway's table of live handles.
 *
 * MATLAB sees a handle as a uint64 id. Ids are never reused and every entry keeps its kind,
 * so a destroyed, foreign or mistyped handle raises pyacq:handle instead of reaching another
 * object (the library checks its own handles too; this table keeps MATLAB values apart from
 * library pointers altogether).
 */
#include "mex_private.h"

#include <stdlib.h>
#include <string.h>

static entry *g_table = NULL;
static size_t g_len = 0, g_cap = 0;
static uint64_t g_next_id = 1;

const char *kind_name(handle_kind kind)
{
    switch (kind) {
    case K_OUTPUT: return "output stream";
    case K_INPUT: return "input stream";
    case K_RING: return "ring buffer";
    case K_MANAGER: return "manager";
    case K_PROXY: return "proxy";
    case K_HOST: return "host";
    case K_NODEGROUP: return "node group";
    case K_NODE: return "node";
    case K_STREAM: return "node stream";
    }
    return "unknown";
}

static const char *article(handle_kind kind)
{
    return (kind == K_OUTPUT || kind == K_INPUT) ? "an" : "a";
}

static int is_proxy_kind(handle_kind kind)
{
    return kind == K_PROXY || kind == K_HOST || kind == K_NODEGROUP || kind == K_NODE || kind == K_STREAM;
}

static entry *table_add(handle_kind kind, void *ptr)
{
    entry *e;
    if (g_len == g_cap) {
        size_t cap = g_cap ? 2 * g_cap : 16;
        entry *grown = (entry *)realloc(g_table, cap * sizeof(entry));
        if (!grown) return NULL;
        g_table = grown;
        g_cap = cap;
    }
    e = &g_table[g_len++];
    memset(e, 0, sizeof *e);
    e->id = g_next_id++;
    e->kind = kind;
    e->ptr = ptr;
    if (kind == K_PROXY) e->proxy = (pyacq_proxy *)ptr;
    return e;
}

static entry *table_find(uint64_t id)
{
    size_t i;
    for (i = 0; i < g_len; i++)
        if (g_table[i].id == id) return &g_table[i];
    return NULL;
}

static void table_remove(entry *e)
{
    size_t i = (size_t)(e - g_table);
    if (i + 1 < g_len) memmove(&g_table[i], &g_table[i + 1], (g_len - i - 1) * sizeof(entry));
    g_len--;
}

static void destroy_object(handle_kind kind, void *ptr, pyacq_proxy *proxy)
{
    if (proxy && kind != K_PROXY) pyacq_proxy_destroy(proxy);
    switch (kind) {
    case K_OUTPUT: pyacq_output_destroy((pyacq_output *)ptr); break;
    case K_INPUT: pyacq_input_destroy((pyacq_input *)ptr); break;
    case K_RING: pyacq_ringbuffer_destroy((pyacq_ringbuffer *)ptr); break;
    case K_PROXY: pyacq_proxy_destroy((pyacq_proxy *)ptr); break;
    case K_HOST: pyacq_host_destroy((pyacq_host *)ptr); break;
    case K_NODEGROUP: pyacq_nodegroup_destroy((pyacq_nodegroup *)ptr); break;
    case K_NODE: pyacq_node_destroy((pyacq_node *)ptr); break;
    case K_STREAM: pyacq_stream_destroy((pyacq_stream *)ptr); break;
    case K_MANAGER: pyacq_manager_destroy((pyacq_manager *)ptr); break; /* closes its node groups */
    }
}

void release_all(void)
{
    static const handle_kind order[] = {K_INPUT, K_OUTPUT, K_RING, K_STREAM, K_NODE,
                                        K_NODEGROUP, K_HOST, K_PROXY, K_MANAGER};
    size_t pass, i;
    for (pass = 0; pass < sizeof order / sizeof order[0]; pass++)
        for (i = 0; i < g_len; i++)
            if (g_table[i].kind == order[pass]) destroy_object(g_table[i].kind, g_table[i].ptr, g_table[i].proxy);
    free(g_table);
    g_table = NULL;
    g_len = g_cap = 0;
}

static mxArray *handle_value(const entry *e)
{
    mxArray *a = mxCreateNumericMatrix(1, 1, mxUINT64_CLASS, mxREAL);
    *(uint64_t *)mxGetData(a) = e->id;
    return a;
}

mxArray *register_new(handle_kind kind, void *ptr)
{
    entry *e = table_add(kind, ptr);
    if (!e) {
        destroy_object(kind, ptr, NULL);
        fail("pyacq:internal", "out of memory");
    }
    return handle_value(e);
}

static uint64_t handle_id(const mxArray *a, const char *what)
{
    if (!mxIsUint64(a) || mxGetNumberOfElements(a) != 1 || !is_real_dense(a))
        fail("pyacq:argument", "the %s handle must be a uint64 scalar, got a %s array", what, mxGetClassName(a));
    return *(const uint64_t *)mxGetData(a);
}

entry *get_handle(const mxArray *a, handle_kind kind)
{
    uint64_t id = handle_id(a, kind_name(kind));
    entry *e = table_find(id);
    if (!e) fail("pyacq:handle", "%s handle %llu is invalid or was already destroyed", kind_name(kind), (unsigned long long)id);
    if (e->kind != kind)
        fail("pyacq:handle", "handle %llu is %s %s, not %s %s", (unsigned long long)id, article(e->kind), kind_name(e->kind),
             article(kind), kind_name(kind));
    return e;
}

pyacq_proxy *get_any_proxy(const mxArray *a)
{
    uint64_t id = handle_id(a, "proxy");
    entry *e = table_find(id);
    pyacq_proxy *p = NULL;
    int st = PYACQ_OK;
    if (!e) fail("pyacq:handle", "proxy handle %llu is invalid or was already destroyed", (unsigned long long)id);
    if (!is_proxy_kind(e->kind))
        fail("pyacq:handle", "handle %llu is %s %s, not a proxy (or a host, node group, node, node stream)",
             (unsigned long long)id, article(e->kind), kind_name(e->kind));
    if (e->proxy) return e->proxy;
    switch (e->kind) {
    case K_HOST: st = pyacq_host_proxy((pyacq_host *)e->ptr, &p); break;
    case K_NODEGROUP: st = pyacq_nodegroup_proxy((pyacq_nodegroup *)e->ptr, &p); break;
    case K_NODE: st = pyacq_node_proxy((pyacq_node *)e->ptr, &p); break;
    case K_STREAM: st = pyacq_stream_proxy((pyacq_stream *)e->ptr, &p); break;
    default: break;
    }
    check(st);
    e->proxy = p;
    return p;
}

void destroy_handle(handle_kind kind, int nlhs, int nrhs, const mxArray *prhs[], const char *usage)
{
    entry *e;
    void *ptr;
    pyacq_proxy *proxy;
    need_args(nrhs, 1, 1, usage);
    need_outputs(nlhs, 0);
    if (mxIsNumeric(prhs[1]) && mxIsEmpty(prhs[1])) return;
    if (mxIsUint64(prhs[1]) && mxGetNumberOfElements(prhs[1]) == 1 && *(const uint64_t *)mxGetData(prhs[1]) == 0) return;
    e = get_handle(prhs[1], kind);
    ptr = e->ptr;
    proxy = e->proxy;
    table_remove(e);
    destroy_object(kind, ptr, proxy);
}

/* [ids, kinds] = pyacq_mex('handles'): the live handles. */
static void cmd_handles(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    size_t i;
    mxArray *ids;
    (void)prhs;
    need_args(nrhs, 0, 0, "[ids, kinds] = pyacq_mex('handles')");
    need_outputs(nlhs, 2);
    ids = mxCreateNumericMatrix((mwSize)g_len, 1, mxUINT64_CLASS, mxREAL);
    for (i = 0; i < g_len; i++) ((uint64_t *)mxGetData(ids))[i] = g_table[i].id;
    plhs[0] = ids;
    if (nlhs > 1) {
        mxArray *kinds = mxCreateCellMatrix((mwSize)g_len, 1);
        for (i = 0; i < g_len; i++) mxSetCell(kinds, (mwIndex)i, mxCreateString(kind_name(g_table[i].kind)));
        plhs[1] = kinds;
    }
}

const mex_command MEX_HANDLE_COMMANDS[] = {
    {"handles", cmd_handles},
    {NULL, NULL},
};
