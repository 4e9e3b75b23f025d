/* A whole graph of local nodes in one C process (run by tests/c/run.sh against the installed
 * library): NumpyDeviceBuffer -> SosFilter -> AnalogTrigger -> TriggerAccumulator, plus a
 * RawRecorder of the filtered signal. The filtered samples are checked against a direct-form II
 * transposed biquad written here, fed by a second reader of the device's raw output.
 * Prints "local-graph: N passed, M failed". Usage: local_graph <empty directory for the recording> */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { CHANNELS = 3, CHUNK = 50, CHUNKS = 40, TIMEOUT_MS = 10000 };


/* One second-order section of a 2nd-order Butterworth low-pass at 0.1 x Nyquist (scipy's
 * butter(2, 0.1, output='sos')). */
static const double SOS[6] = {0.020083365564211, 0.040166731128423, 0.020083365564211,
                              1.0, -1.561018075800718, 0.641351538057563};

/* pyacq's ndarray marker map for the (1, 6) float64 coefficients: base64 of the bytes. */
static void sos_json(char *out, size_t size) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *bytes = (const unsigned char *)SOS;
    char b64[80] = {0};
    size_t n = sizeof SOS, o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)bytes[i] << 16 | (i + 1 < n ? (unsigned)bytes[i + 1] << 8 : 0) | (i + 2 < n ? bytes[i + 2] : 0);
        b64[o++] = alphabet[v >> 18 & 63];
        b64[o++] = alphabet[v >> 12 & 63];
        b64[o++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
        b64[o++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    snprintf(out, size, "{\"coefficients\": {\"___type_name___\": \"ndarray\", \"data\": \"%s\", "
             "\"dtype\": \"float64\", \"shape\": [1, 6]}}", b64);
}

static pyacq_node *local(const char *type, const char *name) {
    pyacq_node *node = NULL;
    REQUIRE_OK(pyacq_node_create_local(type, name, &node));
    bool is_local = false;
    REQUIRE_OK(pyacq_node_is_local(node, &is_local));
    EXPECT(is_local, "%s is local", type);
    return node;
}

static pyacq_stream *stream_of(pyacq_node *node, const char *kind, const char *name) {
    pyacq_stream *stream = NULL;
    if (strcmp(kind, "output") == 0) REQUIRE_OK(pyacq_node_output(node, name, TIMEOUT_MS, &stream));
    else REQUIRE_OK(pyacq_node_input(node, name, TIMEOUT_MS, &stream));
    return stream;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: local_graph <recording directory>\n"); return 2; }
    const char *inproc = "{\"protocol\": \"inproc\", \"transfermode\": \"plaindata\"}";
    char json[2048];

    int rc = pyacq_node_create_local("NoSuchNodeType", NULL, &(pyacq_node *){NULL});
    EXPECT(rc == PYACQ_ERR_BAD_PARAMS && strstr(pyacq_last_error(), "SosFilter"), "unknown type: %s", pyacq_status_name(rc));

    pyacq_node *device = local("NumpyDeviceBuffer", "device");
    snprintf(json, sizeof json, "{\"nb_channel\": %d, \"sample_interval\": 0.0005, \"chunksize\": %d}", CHANNELS, CHUNK);
    REQUIRE_OK(pyacq_node_configure(device, json, TIMEOUT_MS));
    pyacq_stream *device_out = stream_of(device, "output", NULL);
    REQUIRE_OK(pyacq_stream_configure(device_out, inproc, TIMEOUT_MS));

    pyacq_node *filter = local("SosFilter", "filter");
    sos_json(json, sizeof json);
    REQUIRE_OK(pyacq_node_configure(filter, json, TIMEOUT_MS));
    pyacq_stream *filter_in = stream_of(filter, "input", NULL), *filter_out = stream_of(filter, "output", NULL);
    REQUIRE_OK(pyacq_stream_connect(filter_in, device_out, TIMEOUT_MS));
    REQUIRE_OK(pyacq_stream_configure(filter_out, inproc, TIMEOUT_MS));
    rc = pyacq_node_call(filter, "no_such_method", NULL, NULL, TIMEOUT_MS, NULL);
    EXPECT(rc == PYACQ_ERR_INVALID_ARGUMENT && strcmp(pyacq_last_error_type(), "AttributeError") == 0,
           "unknown method: %s %s", pyacq_status_name(rc), pyacq_last_error_type());

    pyacq_node *trigger = local("AnalogTrigger", "trigger");
    REQUIRE_OK(pyacq_node_configure(trigger, NULL, TIMEOUT_MS));
    REQUIRE_OK(pyacq_stream_connect(stream_of(trigger, "input", NULL), filter_out, TIMEOUT_MS));
    pyacq_stream *events = stream_of(trigger, "output", NULL);
    REQUIRE_OK(pyacq_stream_configure(events, inproc, TIMEOUT_MS));
    REQUIRE_OK(pyacq_node_call(trigger, "params.__setitem__", "[\"threshold\", 0.5]", NULL, TIMEOUT_MS, NULL));
    char *value = NULL;
    REQUIRE_OK(pyacq_node_call(trigger, "params.__getitem__", "[\"threshold\"]", NULL, TIMEOUT_MS, &value));
    EXPECT(strtod(value, NULL) == 0.5, "threshold read back: %s", value);
    pyacq_free(value);

    pyacq_node *accumulator = local("TriggerAccumulator", "accumulator");
    REQUIRE_OK(pyacq_node_configure(accumulator, "{\"max_stack_size\": 5}", TIMEOUT_MS));
    /* Sweeps of 10 ms before to 50 ms after each trigger, so that every stack fills in time. */
    REQUIRE_OK(pyacq_node_call(accumulator, "params.__setitem__", "[\"left_sweep\", -0.01]", NULL, TIMEOUT_MS, NULL));
    REQUIRE_OK(pyacq_node_call(accumulator, "params.__setitem__", "[\"right_sweep\", 0.05]", NULL, TIMEOUT_MS, NULL));
    REQUIRE_OK(pyacq_node_call(accumulator, "params.__setitem__", "[\"stack_size\", 2]", NULL, TIMEOUT_MS, NULL));
    REQUIRE_OK(pyacq_stream_connect(stream_of(accumulator, "input", "signals"), filter_out, TIMEOUT_MS));
    REQUIRE_OK(pyacq_stream_connect(stream_of(accumulator, "input", "events"), events, TIMEOUT_MS));

    char *filtered_params = NULL;
    REQUIRE_OK(pyacq_stream_params(filter_out, TIMEOUT_MS, &filtered_params));
    pyacq_node *recorder = local("RawRecorder", "recorder");
    snprintf(json, sizeof json, "{\"dirname\": \"%s/rec\", \"streams\": {\"filtered\": %s}}", argv[1], filtered_params);
    pyacq_free(filtered_params);
    REQUIRE_OK(pyacq_node_configure(recorder, json, TIMEOUT_MS));

    /* Two plain readers: the raw device output (the reference's input) and the filter's output. */
    pyacq_input *raw = NULL, *filtered = NULL;
    REQUIRE_OK(pyacq_input_create(&raw, NULL));
    REQUIRE_OK(pyacq_input_create(&filtered, NULL));
    REQUIRE_OK(pyacq_input_connect_stream(raw, device_out, TIMEOUT_MS));
    REQUIRE_OK(pyacq_input_connect_stream(filtered, filter_out, TIMEOUT_MS));

    pyacq_node *nodes[] = {recorder, accumulator, trigger, filter, device};
    for (int i = 0; i < 5; i++) REQUIRE_OK(pyacq_node_initialize(nodes[i], TIMEOUT_MS));
    /* The filter's output is an ordinary output handle too. */
    pyacq_output *filter_output = NULL;
    REQUIRE_OK(pyacq_stream_local(filter_out, &filter_output, NULL));
    REQUIRE_OK(pyacq_output_wait_subscribers(filter_output, 4, TIMEOUT_MS));
    pyacq_output_destroy(filter_output);
    for (int i = 0; i < 5; i++) REQUIRE_OK(pyacq_node_start(nodes[i], TIMEOUT_MS));

    double state[CHANNELS][2] = {{0}};
    double worst = 0;
    int64_t raw_index = 0, filtered_index = 0;
    for (int chunk = 0; chunk < CHUNKS; chunk++) {
        float in[CHUNK * CHANNELS], out[CHUNK * CHANNELS];
        pyacq_view view;
        REQUIRE_OK(pyacq_input_recv_into(raw, TIMEOUT_MS, in, sizeof in, &raw_index, &view));
        REQUIRE_OK(pyacq_input_recv_into(filtered, TIMEOUT_MS, out, sizeof out, &filtered_index, &view));
        EXPECT(raw_index == filtered_index && raw_index == (int64_t)(chunk + 1) * CHUNK, "indexes %lld %lld",
               (long long)raw_index, (long long)filtered_index);
        for (int r = 0; r < CHUNK; r++) {
            for (int c = 0; c < CHANNELS; c++) {
                double x = in[r * CHANNELS + c];
                double y = SOS[0] * x + state[c][0];
                state[c][0] = SOS[1] * x - SOS[4] * y + state[c][1];
                state[c][1] = SOS[2] * x - SOS[5] * y;
                worst = fmax(worst, fabs(y - out[r * CHANNELS + c]));
            }
        }
    }
    EXPECT(worst < 1e-5, "filtered samples differ from the reference by up to %g", worst);

    for (int i = 4; i >= 0; i--) REQUIRE_OK(pyacq_node_stop(nodes[i], TIMEOUT_MS));
    REQUIRE_OK(pyacq_node_get(accumulator, "total_trig", TIMEOUT_MS, &value));
    EXPECT(atoi(value) >= 1, "total_trig %s", value);  /* channel 0 is a 1 Hz sine: one rising crossing of 0.5 */
    pyacq_free(value);
    REQUIRE_OK(pyacq_node_get(accumulator, "stack", TIMEOUT_MS, &value));
    const char *shape = strstr(value, "\"shape\"");
    EXPECT(strstr(value, "\"ndarray\"") && shape && strncmp(shape, "\"shape\": [2, 3, 120]", 20) == 0, "stack: %.60s",
           shape ? shape : value);
    pyacq_free(value);

    for (int i = 0; i < 5; i++) REQUIRE_OK(pyacq_node_close(nodes[i], TIMEOUT_MS));
    snprintf(json, sizeof json, "%s/rec/filtered.raw", argv[1]);
    struct stat st;
    int found = stat(json, &st) == 0;
    EXPECT(found && st.st_size >= (off_t)CHUNKS * CHUNK * CHANNELS * 4 && st.st_size % (CHANNELS * 4) == 0,
           "recording %s: %lld bytes", json, found ? (long long)st.st_size : -1LL);

    rc = pyacq_node_start(device, TIMEOUT_MS);
    EXPECT(rc == PYACQ_ERR_INVALID_ARGUMENT || rc == PYACQ_ERR_STATE, "start after close: %s", pyacq_status_name(rc));
    pyacq_input_destroy(raw);
    pyacq_input_destroy(filtered);
    for (int i = 0; i < 5; i++) pyacq_node_destroy(nodes[i]);
    return summary("local-graph");
}
