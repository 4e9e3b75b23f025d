/*
 * stream_roundtrip.c — a complete round trip through libpyacq from C.
 *
 * Part 1 (plaindata over TCP): an output stream sends N chunks of float32 samples with 8
 * channels; an input stream connected with the output's params receives them, half through
 * the zero-copy "borrowed view" path (pyacq_input_recv) and half through the copying path
 * (pyacq_input_recv_into), and every sample is checked against the pattern that was sent.
 *
 * Part 2 (sharedmem): the same pattern goes through a shared-memory ring buffer. The input
 * only receives the index notifications and copies the samples out of the producer's ring
 * with pyacq_ringbuffer_read, which also guarantees the samples were not overwritten while
 * they were being copied.
 *
 * Build (after `make install PREFIX=...`):
 *     gcc stream_roundtrip.c $(pkg-config --cflags --libs pyacq) -o stream_roundtrip
 * or with CMake: find_package(pyacq CONFIG REQUIRED) + target_link_libraries(... pyacq::pyacq).
 *
 * Usage: stream_roundtrip [number_of_chunks]      (exit status 0 only if every sample matched)
 */
#include <pyacq.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCHAN 8          /* channels per sample (axis 1) */
#define CHUNK_LEN 64     /* samples per chunk (axis 0 is always time) */
#define DEFAULT_CHUNKS 20

/* ---------------------------------------------------------------------------------------- */
/* Error handling: every fallible libpyacq call returns a status (PYACQ_OK == 0 on success).  */
/* On failure, pyacq_last_error() holds a message for this thread. `TRY` prints both and      */
/* jumps to the function's cleanup label, so handles are always destroyed.                    */
/* ---------------------------------------------------------------------------------------- */
static int ok(int status, const char *call, int line) {
    if (status == PYACQ_OK) return 1;
    fprintf(stderr, "stream_roundtrip.c:%d: %s failed: %s (%d): %s\n", line, call, pyacq_status_name(status), status,
            pyacq_last_error());
    return 0;
}
#define TRY(call)                                                                                                      \
    do {                                                                                                               \
        if (!ok((call), #call, __LINE__)) goto cleanup;                                                                \
    } while (0)

/* The known pattern: sample s (counted from the start of the stream), channel c. Every value
 * is an integer below 2^24, so float32 holds it exactly and == comparison is valid. */
static float pattern(int64_t sample, int channel) { return (float)(sample * NCHAN + channel); }

/* Fills one C-order chunk [CHUNK_LEN][NCHAN] whose first sample is `first_sample`. */
static void make_chunk(float *chunk, int64_t first_sample) {
    for (int s = 0; s < CHUNK_LEN; s++)
        for (int c = 0; c < NCHAN; c++) chunk[s * NCHAN + c] = pattern(first_sample + s, c);
}

/* Checks every sample of a received view against the pattern. The view carries its own byte
 * strides, so this works whatever memory layout the producer chose; reading through memcpy
 * avoids assuming anything about the alignment of the library's buffer. Returns the number of
 * mismatching values (the first few are printed). */
static long verify_view(const pyacq_view *v, int64_t first_sample, const char *what) {
    if (v->data == NULL || v->ndim != 2 || v->itemsize != (int32_t)sizeof(float) || v->shape[0] != CHUNK_LEN ||
        v->shape[1] != NCHAN) {
        fprintf(stderr, "%s: unexpected view: ndim %d, itemsize %d, shape [%lld, %lld]\n", what, (int)v->ndim,
                (int)v->itemsize, (long long)v->shape[0], (long long)v->shape[1]);
        return CHUNK_LEN * NCHAN;
    }
    long bad = 0;
    for (int64_t s = 0; s < v->shape[0]; s++) {
        for (int64_t c = 0; c < v->shape[1]; c++) {
            float got;
            memcpy(&got, (const char *)v->data + s * v->strides[0] + c * v->strides[1], sizeof got);
            float want = pattern(first_sample + s, (int)c);
            if (got != want && bad++ < 5)
                fprintf(stderr, "%s: sample %lld channel %lld: got %g, expected %g\n", what, (long long)(first_sample + s),
                        (long long)c, got, want);
        }
    }
    return bad;
}

/* Same check for a plain C-order float array of `nsamples` x NCHAN. */
static long verify_array(const float *data, int64_t nsamples, int64_t first_sample, const char *what) {
    long bad = 0;
    for (int64_t s = 0; s < nsamples; s++)
        for (int c = 0; c < NCHAN; c++) {
            float want = pattern(first_sample + s, c);
            if (data[s * NCHAN + c] != want && bad++ < 5)
                fprintf(stderr, "%s: sample %lld channel %d: got %g, expected %g\n", what, (long long)(first_sample + s), c,
                        data[s * NCHAN + c], want);
        }
    return bad;
}

/* ---------------------------------------------------------------------------------------- */
/* Part 1: plaindata over TCP                                                                 */
/* ---------------------------------------------------------------------------------------- */
static int plaindata_roundtrip(int nchunks) {
    int success = 0;
    long mismatches = 0;
    int via_view = 0, via_copy = 0;
    pyacq_output *out = NULL;
    pyacq_input *in = NULL;
    char *params = NULL;
    char *stats = NULL;
    float chunk[CHUNK_LEN * NCHAN];
    float received[CHUNK_LEN * NCHAN];
    const int64_t shape[2] = {CHUNK_LEN, NCHAN};

    /* 1. The producing end. shape [-1, 8] = any number of samples per chunk, 8 channels.
     *    port "*" lets the system choose a free port; bind to loopback only. */
    TRY(pyacq_output_create(&out, NULL));
    TRY(pyacq_output_configure(out, "{\"protocol\": \"tcp\", \"interface\": \"127.0.0.1\", \"port\": \"*\","
                                    " \"transfermode\": \"plaindata\", \"dtype\": \"float32\", \"shape\": [-1, 8],"
                                    " \"sample_rate\": 1000.0}"));

    /* 2. The output's params (now with the actual port) are all a consumer needs. In a real
     *    system they travel to the other process, e.g. over pyacq's RPC. Free with pyacq_free. */
    TRY(pyacq_output_params(out, &params));
    printf("output params: %s\n", params);

    /* 3. The consuming end connects with those params. */
    TRY(pyacq_input_create(&in, NULL));
    TRY(pyacq_input_connect(in, params));

    /* 4. ZeroMQ PUB/SUB drops what is published before the subscription reaches the producer
     *    ("slow joiner"): wait until our input has subscribed before sending anything. */
    TRY(pyacq_output_wait_subscribers(out, 1, 5000));

    /* 5. Send N chunks. The data is copied before pyacq_output_send returns, so `chunk` can be
     *    reused at once. dtype NULL = the stream's dtype; strides NULL = C order; index -1 =
     *    "previous index + number of samples". N is far below the queue limit (1000 messages),
     *    so all of them can be queued before the consumer starts reading. */
    for (int k = 0; k < nchunks; k++) {
        make_chunk(chunk, (int64_t)k * CHUNK_LEN);
        TRY(pyacq_output_send(out, chunk, NULL, 2, shape, NULL, -1));
    }

    /* 6. Receive them. Even chunks: borrowed view (zero-copy; the view points into the
     *    library's message and stays valid until the next recv on this input). Odd chunks:
     *    recv_into copies the chunk in C order into our own buffer. */
    for (int k = 0; k < nchunks; k++) {
        int64_t index = -1;
        pyacq_view view;
        const int64_t first = (int64_t)k * CHUNK_LEN;
        if (k % 2 == 0) {
            TRY(pyacq_input_recv(in, 2000, &index, &view));
            mismatches += verify_view(&view, first, "plaindata view");
            via_view++;
        } else {
            TRY(pyacq_input_recv_into(in, 2000, received, sizeof received, &index, &view));
            /* view now describes our `received` buffer: shape [64, 8], C-order strides. */
            if (view.data != (const void *)received || view.shape[0] != CHUNK_LEN) mismatches++;
            mismatches += verify_array(received, CHUNK_LEN, first, "plaindata recv_into");
            via_copy++;
        }
        /* The index is the stream position *after* the chunk. */
        if (index != first + CHUNK_LEN) {
            fprintf(stderr, "chunk %d: index %lld, expected %lld\n", k, (long long)index, (long long)(first + CHUNK_LEN));
            mismatches++;
        }
    }

    /* 7. The input counts chunks, samples and losses (index gaps): losses are never silent. */
    TRY(pyacq_input_stats(in, &stats));
    printf("input stats: %s\n", stats);

    printf("plaindata tcp: %d chunks x %d samples x %d channels: %lld samples checked (%d chunks via view, %d via "
           "recv_into), %ld mismatches\n",
           nchunks, CHUNK_LEN, NCHAN, (long long)nchunks * CHUNK_LEN, via_view, via_copy, mismatches);
    success = mismatches == 0;

cleanup:
    pyacq_free(stats);  /* pyacq_free(NULL) and *_destroy(NULL) are no-ops */
    pyacq_free(params);
    pyacq_input_destroy(in);
    pyacq_output_destroy(out);
    return success;
}

/* ---------------------------------------------------------------------------------------- */
/* Part 2: sharedmem                                                                          */
/* ---------------------------------------------------------------------------------------- */
#define RING_LEN 1024 /* ring length in samples (buffer_size) */

static int sharedmem_roundtrip(int nchunks) {
    int success = 0;
    long mismatches = 0;
    pyacq_output *out = NULL;
    pyacq_input *in = NULL;
    pyacq_ringbuffer *ring = NULL;
    char *params = NULL;
    char *ring_dtype = NULL;
    float chunk[CHUNK_LEN * NCHAN];
    float copy[CHUNK_LEN * NCHAN];
    static float history[RING_LEN * NCHAN];
    const int64_t shape[2] = {CHUNK_LEN, NCHAN};
    int64_t index = 0, oldest = 0, newest = 0, length = 0;
    int64_t frame_shape[PYACQ_MAX_NDIM - 1] = {0};
    int32_t frame_ndim = 0;
    bool is_double = false;

    /* A sharedmem output writes each chunk into a ring buffer in a shared file and publishes
     * only (index, length) notifications on its socket. buffer_size is the ring length in
     * samples; "double": true stores it twice so any window is one contiguous block. */
    TRY(pyacq_output_create(&out, NULL));
    TRY(pyacq_output_configure(out, "{\"protocol\": \"tcp\", \"interface\": \"127.0.0.1\", \"port\": \"*\","
                                    " \"transfermode\": \"sharedmem\", \"buffer_size\": 1024, \"double\": true,"
                                    " \"dtype\": \"float32\", \"shape\": [-1, 8]}"));
    TRY(pyacq_output_params(out, &params)); /* now includes "shm_id", the shared file */
    TRY(pyacq_input_create(&in, NULL));
    TRY(pyacq_input_connect(in, params)); /* maps the producer's ring read-only */
    TRY(pyacq_output_wait_subscribers(out, 1, 5000));

    /* A reference to the producer's ring as the input sees it. Release with
     * pyacq_ringbuffer_destroy (it stays valid even after the input is destroyed). */
    TRY(pyacq_input_buffer(in, &ring));
    TRY(pyacq_ringbuffer_info(ring, &length, &frame_ndim, frame_shape, &ring_dtype, &is_double));
    printf("shared ring: %lld samples, frame shape [%lld] (%d dim), dtype %s, double %d\n", (long long)length,
           (long long)frame_shape[0], (int)frame_ndim, ring_dtype, (int)is_double);

    /* The ring holds RING_LEN samples: with more chunks than that, a consumer that is late
     * finds its samples overwritten (pyacq_ringbuffer_read then says PYACQ_ERR_OVERRUN). Here
     * the consumer keeps up: it reads each chunk right after it is announced. */
    for (int k = 0; k < nchunks; k++) {
        const int64_t first = (int64_t)k * CHUNK_LEN;
        make_chunk(chunk, first);
        TRY(pyacq_output_send(out, chunk, NULL, 2, shape, NULL, -1));

        /* view_out NULL: only the notification (the index) is read — the cheapest recv. */
        TRY(pyacq_input_recv(in, 2000, &index, NULL));
        if (index != first + CHUNK_LEN) {
            fprintf(stderr, "sharedmem chunk %d: index %lld, expected %lld\n", k, (long long)index,
                    (long long)(first + CHUNK_LEN));
            mismatches++;
        }
        /* Copy samples [index - CHUNK_LEN, index) out of the ring (C order). */
        TRY(pyacq_ringbuffer_read(ring, index - CHUNK_LEN, index, copy, sizeof copy));
        mismatches += verify_array(copy, CHUNK_LEN, index - CHUNK_LEN, "sharedmem read");
    }

    /* The ring keeps history: read everything it still holds in one go. */
    TRY(pyacq_ringbuffer_first_index(ring, &oldest));
    TRY(pyacq_ringbuffer_index(ring, &newest));
    if (oldest < 0) oldest = 0; /* before the first lap, the ring holds [0, index) */
    TRY(pyacq_ringbuffer_read(ring, oldest, newest, history, sizeof history));
    mismatches += verify_array(history, newest - oldest, oldest, "sharedmem history");

    printf("sharedmem: %d chunks x %d samples x %d channels through a %lld-sample ring: %lld samples checked, then "
           "history [%lld, %lld) re-read, %ld mismatches\n",
           nchunks, CHUNK_LEN, NCHAN, (long long)length, (long long)nchunks * CHUNK_LEN, (long long)oldest,
           (long long)newest, mismatches);
    success = mismatches == 0;

cleanup:
    pyacq_free(ring_dtype);
    pyacq_free(params);
    pyacq_ringbuffer_destroy(ring);
    pyacq_input_destroy(in);
    pyacq_output_destroy(out); /* also removes the shared file */
    return success;
}

int main(int argc, char **argv) {
    int nchunks = argc > 1 ? atoi(argv[1]) : DEFAULT_CHUNKS;
    if (nchunks < 1 || nchunks > 500) {
        fprintf(stderr, "usage: %s [number_of_chunks (1..500)]\n", argv[0]);
        return 2;
    }

    /* A program built against one ABI must not run against another. */
    if (pyacq_abi_version() != PYACQ_ABI_VERSION) {
        fprintf(stderr, "libpyacq ABI %d, but this program was built for ABI %d\n", pyacq_abi_version(),
                PYACQ_ABI_VERSION);
        return 1;
    }
    printf("libpyacq %s (header %d.%d.%d)\n", pyacq_version(), PYACQ_VERSION_MAJOR, PYACQ_VERSION_MINOR,
           PYACQ_VERSION_PATCH);

    int plain_ok = plaindata_roundtrip(nchunks);
    int shm_ok = sharedmem_roundtrip(nchunks);

    printf("stream_roundtrip: plaindata %s, sharedmem %s\n", plain_ok ? "OK" : "FAILED", shm_ok ? "OK" : "FAILED");
    return plain_ok && shm_ok ? 0 : 1;
}
