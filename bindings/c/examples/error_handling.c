/*
 * error_handling.c — the libpyacq error convention, shown and checked.
 *
 * Every fallible call returns an int status: PYACQ_OK (0) or a negative pyacq_status code.
 * The message of the last failure on the calling thread comes from pyacq_last_error().
 * Nothing aborts across the C boundary: NULL handles, bad JSON, wrong dtypes... all come back
 * as a status + message, the process keeps running and the handles stay usable.
 *
 * Each `EXPECT` below makes a call that must fail with a given code, prints the code and the
 * message, and counts a failure if the code differs. Exit status 0 only if all matched.
 *
 * Build: gcc error_handling.c $(pkg-config --cflags --libs pyacq) -o error_handling
 */
#include <pyacq.h>

#include <stdio.h>
#include <string.h>

static int checks = 0, failures = 0;

/* Compares a status with the expected one and shows the library's message for it. */
static void expect(int status, int expected, const char *call) {
    checks++;
    const char *message = status == PYACQ_OK ? "" : pyacq_last_error();
    if (status != expected) {
        failures++;
        printf("FAIL  %s\n      returned %s (%d), expected %s (%d): %s\n", call, pyacq_status_name(status), status,
               pyacq_status_name(expected), expected, message);
        return;
    }
    if (status != PYACQ_OK && message[0] == '\0') { /* a failure must always explain itself */
        failures++;
        printf("FAIL  %s\n      returned %s but pyacq_last_error() is empty\n", call, pyacq_status_name(status));
        return;
    }
    /* Long calls are shortened to keep one line per check. */
    printf("ok    %-64.64s%s -> %s%s%s\n", call, strlen(call) > 64 ? "..." : "   ", pyacq_status_name(status),
           status == PYACQ_OK ? "" : ": ", message);
}
#define EXPECT(expected, call) expect((call), (expected), #call)

/* For calls where the contract allows two codes (e.g. use after close). */
static void expect_either(int status, int a, int b, const char *call) {
    expect(status, status == b ? b : a, call);
}
#define EXPECT_EITHER(a, b, call) expect_either((call), (a), (b), #call)

int main(void) {
    pyacq_output *out = NULL;
    pyacq_input *in = NULL;
    pyacq_ringbuffer *ring = NULL;
    char *text = NULL;
    int64_t itemsize = 0, index = 0;
    float chunk[4 * 2] = {0, 1, 2, 3, 4, 5, 6, 7};
    const int64_t shape[2] = {4, 2};
    const int64_t bad_shape[2] = {4, 3};
    float small[2];

    printf("libpyacq %s, ABI %d\n", pyacq_version(), pyacq_abi_version());
    checks++;
    if (pyacq_abi_version() != PYACQ_ABI_VERSION || pyacq_version_number() != PYACQ_VERSION_NUMBER) {
        failures++;
        printf("FAIL  library version %d / ABI %d does not match the header (%d / %d)\n", pyacq_version_number(),
               pyacq_abi_version(), PYACQ_VERSION_NUMBER, PYACQ_ABI_VERSION);
    }

    /* Status codes have stable symbolic names. */
    checks++;
    if (strcmp(pyacq_status_name(PYACQ_ERR_DTYPE), "PYACQ_ERR_DTYPE") != 0) {
        failures++;
        printf("FAIL  pyacq_status_name(PYACQ_ERR_DTYPE) = %s\n", pyacq_status_name(PYACQ_ERR_DTYPE));
    }

    /* 1. NULL handles: PYACQ_ERR_HANDLE; NULL out-parameters: PYACQ_ERR_INVALID_ARGUMENT; never a crash. */
    EXPECT(PYACQ_ERR_INVALID_ARGUMENT, pyacq_output_create(NULL, NULL));
    EXPECT(PYACQ_ERR_HANDLE, pyacq_output_configure(NULL, "{}"));
    EXPECT(PYACQ_ERR_HANDLE, pyacq_output_send(NULL, chunk, NULL, 2, shape, NULL, -1));
    EXPECT(PYACQ_ERR_HANDLE, pyacq_input_recv(NULL, 0, &index, NULL));
    EXPECT(PYACQ_ERR_HANDLE, pyacq_ringbuffer_index(NULL, &index));
    EXPECT(PYACQ_ERR_INVALID_ARGUMENT, pyacq_dtype_itemsize("float32", NULL));
    pyacq_output_destroy(NULL); /* destroying NULL is a no-op */
    pyacq_input_destroy(NULL);
    pyacq_ringbuffer_destroy(NULL);

    /* 2. Invalid JSON: PYACQ_ERR_BAD_PARAMS, and the out-parameter is left untouched. */
    EXPECT(PYACQ_ERR_BAD_PARAMS, pyacq_output_create(&out, "{\"shape\": [-1, 2"));
    checks++;
    if (out != NULL) {
        failures++;
        printf("FAIL  pyacq_output_create changed its out-parameter although it failed\n");
    }
    EXPECT(PYACQ_ERR_BAD_PARAMS, pyacq_ringbuffer_create(&ring, "[1, 2, 3]")); /* JSON, but not an object */

    /* 3. Well-formed JSON with wrong values: PYACQ_ERR_BAD_PARAMS; unknown dtype: PYACQ_ERR_DTYPE. */
    EXPECT(PYACQ_OK, pyacq_output_create(&out, NULL));
    EXPECT(PYACQ_ERR_STATE, pyacq_output_send(out, chunk, NULL, 2, shape, NULL, -1)); /* not configured yet */
    EXPECT(PYACQ_ERR_BAD_PARAMS, pyacq_output_configure(out, "{\"protocol\": \"tcp\", \"transfermode\": \"pigeon\"}"));
    EXPECT(PYACQ_ERR_BAD_PARAMS, pyacq_output_configure(out, "{\"protocol\": \"tcp\", \"shape\": \"two\"}"));
    EXPECT(PYACQ_ERR_DTYPE, pyacq_output_configure(out, "{\"protocol\": \"tcp\", \"dtype\": \"float33\"}"));
    EXPECT(PYACQ_ERR_DTYPE, pyacq_dtype_itemsize("no-such-dtype", &itemsize));

    /* 4. The handle is still fine: configure it properly (loopback only). */
    EXPECT(PYACQ_OK, pyacq_output_configure(out, "{\"protocol\": \"tcp\", \"interface\": \"127.0.0.1\", \"port\": \"*\","
                                                 " \"dtype\": \"float32\", \"shape\": [-1, 2]}"));

    /* 5. Wrong dtype or shape for this stream: PYACQ_ERR_DTYPE / PYACQ_ERR_INVALID_ARGUMENT. */
    EXPECT(PYACQ_ERR_DTYPE, pyacq_output_send(out, chunk, "int16", 2, shape, NULL, -1));
    EXPECT(PYACQ_ERR_INVALID_ARGUMENT, pyacq_output_send(out, chunk, NULL, 2, bad_shape, NULL, -1));
    EXPECT(PYACQ_ERR_INVALID_ARGUMENT, pyacq_output_send(out, chunk, NULL, 0, shape, NULL, -1));

    /* 6. Inputs: use before connect is PYACQ_ERR_STATE; a consumer asking for another dtype
     *    than the producer's gets PYACQ_ERR_DTYPE at connect time. */
    EXPECT(PYACQ_OK, pyacq_input_create(&in, "{\"dtype\": \"int16\"}"));
    EXPECT(PYACQ_ERR_STATE, pyacq_input_recv(in, 0, &index, NULL));
    EXPECT(PYACQ_OK, pyacq_output_params(out, &text));
    EXPECT(PYACQ_ERR_DTYPE, pyacq_input_connect(in, text));
    pyacq_input_destroy(in);
    in = NULL;

    /* 7. A matching input: nothing sent yet, so a finite timeout gives PYACQ_ERR_TIMEOUT. */
    EXPECT(PYACQ_OK, pyacq_input_create(&in, NULL));
    EXPECT(PYACQ_OK, pyacq_input_connect(in, text));
    EXPECT(PYACQ_ERR_TIMEOUT, pyacq_input_recv(in, 50, &index, NULL));
    EXPECT(PYACQ_ERR_STATE, pyacq_input_buffer(in, &ring)); /* plaindata and no set_buffer: no ring */

    /* 8. recv_into a buffer that is too small: PYACQ_ERR_BUFFER_TOO_SMALL (the chunk is lost;
     *    the next one is received normally). */
    EXPECT(PYACQ_OK, pyacq_output_wait_subscribers(out, 1, 5000));
    EXPECT(PYACQ_OK, pyacq_output_send(out, chunk, NULL, 2, shape, NULL, -1));
    EXPECT(PYACQ_ERR_BUFFER_TOO_SMALL, pyacq_input_recv_into(in, 2000, small, sizeof small, &index, NULL));

    /* 9. ...and the process, the output and the input all keep working. */
    EXPECT(PYACQ_OK, pyacq_output_send(out, chunk, NULL, 2, shape, NULL, -1));
    index = 0;
    EXPECT(PYACQ_OK, pyacq_input_recv(in, 2000, &index, NULL));
    checks++;
    if (index != 8) {
        failures++;
        printf("FAIL  index after two chunks of 4 samples is %lld, expected 8\n", (long long)index);
    }

    /* 10. After close, the handles stay valid but refuse to work: PYACQ_ERR_CLOSED (the
     *     contract also allows PYACQ_ERR_STATE). Destroy is still needed to free them. */
    EXPECT(PYACQ_OK, pyacq_output_close(out));
    EXPECT_EITHER(PYACQ_ERR_CLOSED, PYACQ_ERR_STATE, pyacq_output_send(out, chunk, NULL, 2, shape, NULL, -1));
    EXPECT(PYACQ_OK, pyacq_input_close(in));
    EXPECT_EITHER(PYACQ_ERR_CLOSED, PYACQ_ERR_STATE, pyacq_input_recv(in, 0, &index, NULL));

    pyacq_free(text);
    pyacq_input_destroy(in);
    pyacq_output_destroy(out);

    printf("error_handling: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
