/* The graph part of the C ABI seen from C (run by tests/c/run.sh against the installed library):
 * typed handles, stale handles, a remote KeyError as structured data, and a call to a node group
 * that stops answering returning PYACQ_ERR_TIMEOUT. Prints "graph-handles: N passed, M failed". */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Stale handles: destroyed handles are refused, never resolved to a newer object. */
static void stale_handles(void) {
    pyacq_output *first = NULL, *second = NULL;
    REQUIRE_OK(pyacq_output_create(&first, NULL));
    pyacq_output_destroy(first);
    REQUIRE_OK(pyacq_output_create(&second, NULL));
    EXPECT(first != second, "a new handle reuses the value of a destroyed one");
    int rc = pyacq_output_configure(first, "{\"shape\": [-1, 2], \"dtype\": \"float32\"}");
    EXPECT(rc == PYACQ_ERR_HANDLE, "a destroyed output handle gives %s", pyacq_status_name(rc));
    rc = pyacq_output_reset_index(NULL);
    EXPECT(rc == PYACQ_ERR_HANDLE, "a NULL handle gives %s", pyacq_status_name(rc));
    /* A handle of another kind, forced through a cast, is refused at run time too. */
    rc = pyacq_input_close((pyacq_input *)second);
    EXPECT(rc == PYACQ_ERR_HANDLE, "an output passed as an input gives %s", pyacq_status_name(rc));
    EXPECT(strstr(pyacq_last_error(), "input stream") != NULL, "the message names the expected kind: %s", pyacq_last_error());
    pyacq_output_destroy(first); /* destroying twice is a no-op */
    pyacq_output_destroy(second);
}

static void graph(void) {
    pyacq_manager *manager = NULL;
    pyacq_nodegroup *group = NULL;
    pyacq_node *node = NULL, *missing = NULL;
    REQUIRE_OK(pyacq_manager_create(&manager, "local", 10000));
    REQUIRE_OK(pyacq_manager_create_nodegroup(manager, "c_graph", NULL, NULL, 30000, &group));

    /* A remote KeyError arrives as type + traceback, not as text to parse. */
    int rc = pyacq_nodegroup_create_node(group, "NoSuchNodeType", NULL, 10000, &missing);
    EXPECT(rc == PYACQ_ERR_REMOTE, "unknown node type gives %s", pyacq_status_name(rc));
    EXPECT(strcmp(pyacq_last_error_type(), "KeyError") == 0, "remote type is '%s'", pyacq_last_error_type());
    EXPECT(strstr(pyacq_last_error_traceback(), "NoSuchNodeType") != NULL, "traceback: '%s'", pyacq_last_error_traceback());
    EXPECT(missing == NULL, "no node handle on failure");

    REQUIRE_OK(pyacq_nodegroup_create_node(group, "NumpyDeviceBuffer", "dev", 10000, &node));
    REQUIRE_OK(pyacq_node_configure(node, "{\"nb_channel\": 2, \"sample_interval\": 0.001, \"chunksize\": 10}", 10000));
    pyacq_stream *output = NULL;
    REQUIRE_OK(pyacq_node_output(node, NULL, 10000, &output));
    REQUIRE_OK(pyacq_stream_configure(output, "{\"protocol\": \"tcp\", \"transfermode\": \"plaindata\"}", 10000));
    REQUIRE_OK(pyacq_node_initialize(node, 10000));
    char *params = NULL;
    REQUIRE_OK(pyacq_stream_params(output, 10000, &params));
    EXPECT(strstr(params, "\"nb_channel\"") != NULL || strstr(params, "\"shape\"") != NULL, "params: %s", params);
    pyacq_free(params);

    /* A local input connected to the node's output receives its chunks. */
    pyacq_input *input = NULL;
    REQUIRE_OK(pyacq_input_create(&input, NULL));
    REQUIRE_OK(pyacq_input_connect_stream(input, output, 10000));
    REQUIRE_OK(pyacq_node_start(node, 10000));
    int64_t index = 0;
    pyacq_view view;
    rc = pyacq_input_recv(input, 10000, &index, &view);
    EXPECT(rc == PYACQ_OK && index == 10 && view.shape[1] == 2, "recv: %s index %lld", pyacq_status_name(rc), (long long)index);
    REQUIRE_OK(pyacq_node_stop(node, 10000));

    /* A node group that stops answering: the call returns PYACQ_ERR_TIMEOUT once the time given
     * has passed (the upper bound is only a sanity check, not a performance goal). */
    pyacq_proxy *group_proxy = NULL, *pid_proxy = NULL;
    char *pid_json = NULL;
    REQUIRE_OK(pyacq_nodegroup_proxy(group, &group_proxy));
    REQUIRE_OK(pyacq_proxy_attr(group_proxy, "pid", &pid_proxy));
    REQUIRE_OK(pyacq_proxy_get_value(pid_proxy, 10000, &pid_json));
    pid_t pid = (pid_t)atoi(pid_json);
    pyacq_free(pid_json);
    EXPECT(pid > 1, "node group pid %d", (int)pid);
    kill(pid, SIGSTOP);
    double start = now_seconds();
    rc = pyacq_node_start(node, 500);
    double elapsed = now_seconds() - start;
    kill(pid, SIGCONT);
    EXPECT(rc == PYACQ_ERR_TIMEOUT, "a stopped node group gives %s", pyacq_status_name(rc));
    EXPECT(elapsed >= 0.45 && elapsed < 5.0, "timed out after %.3f s for a 0.5 s timeout", elapsed);
    EXPECT(strcmp(pyacq_last_error_type(), "TimeoutError") == 0, "timeout type is '%s'", pyacq_last_error_type());

    /* Stale node handle after destroy. */
    pyacq_node *kept = NULL;
    pyacq_proxy *node_proxy = NULL;
    REQUIRE_OK(pyacq_node_proxy(node, &node_proxy));
    REQUIRE_OK(pyacq_node_from_proxy(node_proxy, &kept));
    pyacq_node_destroy(node);
    rc = pyacq_node_stop(node, 1000);
    EXPECT(rc == PYACQ_ERR_HANDLE, "a destroyed node handle gives %s", pyacq_status_name(rc));
    rc = pyacq_node_stop(kept, 10000); /* another handle to the same node still works */
    EXPECT(rc == PYACQ_OK || rc == PYACQ_ERR_REMOTE, "the other handle gives %s", pyacq_status_name(rc));
    /* A node group where a node is expected, forced through a cast: refused at run time. */
    rc = pyacq_node_close((pyacq_node *)group, 1000);
    EXPECT(rc == PYACQ_ERR_HANDLE, "a node group as a node gives %s", pyacq_status_name(rc));

    pyacq_input_destroy(input);
    pyacq_stream_destroy(output);
    pyacq_node_destroy(kept);
    pyacq_proxy_destroy(node_proxy);
    pyacq_proxy_destroy(pid_proxy);
    pyacq_proxy_destroy(group_proxy);
    pyacq_nodegroup_destroy(group);
    REQUIRE_OK(pyacq_manager_close(manager, 5000));
    rc = pyacq_manager_start_all_nodes(manager, 1000);
    EXPECT(rc == PYACQ_ERR_CLOSED, "a closed manager gives %s", pyacq_status_name(rc));
    pyacq_manager_destroy(manager);
}

int main(void) {
    stale_handles();
    graph();
    return summary("graph-handles");
}
