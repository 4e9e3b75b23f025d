/*
 * stream_bench.c — throughput of libpyacq streams against raw libzmq and memcpy.
 *
 * For 16-channel float32 chunks of 16, 1024 and 16384 samples (1 KiB, 64 KiB, 1 MiB):
 *
 *   plaindata_<proto>_<n>   libpyacq plaindata over tcp / ipc / inproc: a producer thread calls
 *                           pyacq_output_send, a consumer thread pyacq_input_recv with a
 *                           borrowed view (zero-copy on the receiving side).
 *   zmq_pubsub_<proto>_<n>  the baseline: raw libzmq in its own context, same socket pattern
 *                           (XPUB bound, SUB connected, SNDHWM = RCVHWM = 1000, loopback) and
 *                           the same 2-frame messages as pyacq: a 56-byte header frame + the
 *                           data frame (zmq_send copies the chunk, as pyacq_output_send does);
 *                           the receiver zmq_msg_recv's both frames into reused zmq_msg_t.
 *   sharedmem_view_<n>      libpyacq sharedmem (notifications over tcp): the consumer receives
 *                           a borrowed view of the shared ring and memcpy's it to an aligned
 *                           buffer, so the data really crosses to the consumer.
 *   sharedmem_read_<n>      same, but the consumer copies with pyacq_ringbuffer_read (which
 *                           also re-checks for overrun) after an index-only pyacq_input_recv.
 *   memcpy_aligned_<n>      memcpy of one chunk between 64-byte-aligned buffers (cache-warm).
 *   memcpy_misaligned16_<n> the same with the destination at +16 bytes, as the data area of a
 *                           pyacq shared-memory file is (page + 16).
 *
 * Rates are computed on the receiving side: bytes of the chunks actually received (PUB drops
 * at the high-water mark are not counted) over the receiver's time from its first to its last
 * chunk. MB = 10^6 bytes. Each figure is the median of `reps` runs. Plaindata producers are
 * not throttled (losses are reported in the "# " detail lines); sharedmem producers wait while
 * more than half the ring is unread, so the consumer never reads overwritten samples.
 *
 * Output: one line per figure,
 *   bench: <name> value=<v> <unit> baseline=<name>:<v> ratio=<value/baseline>
 * plus "# " lines with details. Usage: stream_bench [seconds_per_run] [reps]
 */
#define _GNU_SOURCE
#include <pyacq.h>
#include <zmq.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NCHAN 16
#define HWM 1000 /* = libpyacq's OutputStream.sendHighWaterMark */
#define MAX_REPS 9

static double run_seconds = 0.3;
static int reps = 3;
static int failures = 0;
static const char *only = NULL; /* $BENCH_ONLY: run only the variants whose name contains it */

static int selected(const char *name) { return only == NULL || strstr(name, only) != NULL; }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die_pyacq(int status, const char *call, int line) {
    fprintf(stderr, "stream_bench.c:%d: %s failed: %s: %s\n", line, call, pyacq_status_name(status), pyacq_last_error());
    exit(1);
}
#define P(call)                                                                                                        \
    do {                                                                                                               \
        int _s = (call);                                                                                               \
        if (_s != PYACQ_OK) die_pyacq(_s, #call, __LINE__);                                                            \
    } while (0)
#define Z(call)                                                                                                        \
    do {                                                                                                               \
        if ((call) < 0) {                                                                                              \
            fprintf(stderr, "stream_bench.c:%d: %s failed: %s\n", __LINE__, #call, zmq_strerror(zmq_errno()));       \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

static void *aligned_alloc64(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, n + 64) != 0) {
        perror("posix_memalign");
        exit(1);
    }
    memset(p, 0, n + 64);
    return p;
}

/* One measured run, as seen by the receiver. */
typedef struct {
    double mbps;         /* MB/s of received chunk data */
    double chunks_per_s; /* received chunks per second */
    long sent, received, lost, bad;
} result_t;

static result_t finish(long sent, long received, long bad, double t_first, double t_last, size_t chunk_bytes) {
    result_t r = {0, 0, sent, received, sent - received, bad};
    double dt = t_last - t_first;
    /* The clock starts at the first chunk: the received-1 later chunks span dt. */
    if (received >= 2 && dt > 0) {
        r.chunks_per_s = (received - 1) / dt;
        r.mbps = r.chunks_per_s * chunk_bytes / 1e6;
    }
    return r;
}

/* ---------------------------------------------------------------------------------------- */
/* Shared producer/consumer state                                                            */
/* ---------------------------------------------------------------------------------------- */
typedef struct {
    int nsamp;
    size_t chunk_bytes;
    atomic_int done;      /* producer finished; value = 1 */
    atomic_long sent;     /* chunks sent */
    atomic_long consumed; /* chunks consumed (sharedmem flow control) */
    long window;          /* sharedmem: max chunks in flight (0 = unthrottled) */
    /* libpyacq */
    pyacq_output *out;
    pyacq_input *in;
    pyacq_ringbuffer *ring; /* sharedmem read mode */
    int read_mode;          /* 0 = borrowed view (+ memcpy for sharedmem), 1 = ringbuffer_read */
    int copy_view;          /* sharedmem view mode: copy the view out */
    /* raw zmq */
    void *pub, *sub;
    /* receiver results */
    long received, bad;
    double t_first, t_last;
} run_t;

/* Producer: sends chunks for run_seconds; element [0][0] of chunk k is k (integrity check). */
static void produce_pyacq(run_t *r) {
    float *data = aligned_alloc64(r->chunk_bytes);
    for (size_t i = 0; i < r->chunk_bytes / sizeof(float); i++) data[i] = (float)(i % 1000);
    const int64_t shape[2] = {r->nsamp, NCHAN};
    double deadline = now() + run_seconds;
    long k = 0;
    while (1) {
        if ((k & 15) == 0 && now() > deadline) break;
        if (r->window > 0) { /* sharedmem: never lap the consumer */
            while (k - atomic_load_explicit(&r->consumed, memory_order_acquire) >= r->window) sched_yield();
        }
        data[0] = (float)(k % (1 << 24));
        P(pyacq_output_send(r->out, data, NULL, 2, shape, NULL, -1));
        k++;
    }
    atomic_store(&r->sent, k);
    atomic_store(&r->done, 1);
    free(data);
}

static void *consume_pyacq(void *arg) {
    run_t *r = arg;
    float *dst = aligned_alloc64(r->chunk_bytes);
    long received = 0, bad = 0;
    double t_first = 0, t_last = 0;
    while (1) {
        int64_t index = 0;
        pyacq_view view;
        int s = pyacq_input_recv(r->in, 100, &index, r->read_mode ? NULL : &view);
        if (s == PYACQ_ERR_TIMEOUT) {
            if (atomic_load(&r->done)) break;
            continue;
        }
        if (s != PYACQ_OK) die_pyacq(s, "pyacq_input_recv", __LINE__);
        double t = now();
        if (received == 0) t_first = t;
        t_last = t;
        long k = (long)(index / r->nsamp) - 1;
        float first;
        if (r->read_mode) {
            P(pyacq_ringbuffer_read(r->ring, index - r->nsamp, index, dst, r->chunk_bytes));
            first = dst[0];
        } else if (r->copy_view) {
            /* A C-contiguous view (always, for these rings): one memcpy of the whole chunk. */
            if (view.strides[0] != NCHAN * (int64_t)sizeof(float) || view.strides[1] != (int64_t)sizeof(float)) {
                fprintf(stderr, "unexpected strides\n");
                exit(1);
            }
            memcpy(dst, view.data, r->chunk_bytes);
            first = dst[0];
        } else {
            memcpy(&first, view.data, sizeof first); /* plaindata: the data already arrived */
        }
        if (first != (float)(k % (1 << 24))) bad++;
        received++;
        atomic_store_explicit(&r->consumed, received, memory_order_release);
    }
    r->received = received;
    r->bad = bad;
    r->t_first = t_first;
    r->t_last = t_last;
    free(dst);
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* libpyacq runs                                                                             */
/* ---------------------------------------------------------------------------------------- */
static result_t run_pyacq(const char *proto, const char *mode, int nsamp, int read_mode) {
    run_t r;
    memset(&r, 0, sizeof r);
    r.nsamp = nsamp;
    r.chunk_bytes = (size_t)nsamp * NCHAN * sizeof(float);
    r.read_mode = read_mode;
    int shm = strcmp(mode, "sharedmem") == 0;
    r.copy_view = shm && !read_mode;

    char params[512];
    int ring_chunks = 0;
    if (shm) {
        /* Ring of ~1 MiB for small chunks, 4 chunks for the big ones; at most half in flight
         * and below the PUB high-water mark so no notification is ever dropped. */
        ring_chunks = nsamp >= 16384 ? 4 : nsamp >= 1024 ? 16 : 1024;
        r.window = ring_chunks / 2 < 256 ? ring_chunks / 2 : 256;
        snprintf(params, sizeof params,
                 "{\"protocol\": \"%s\", \"interface\": \"127.0.0.1\", \"port\": \"*\", \"transfermode\": \"sharedmem\","
                 " \"buffer_size\": %d, \"double\": false, \"dtype\": \"float32\", \"shape\": [-1, %d]}",
                 proto, ring_chunks * nsamp, NCHAN);
    } else {
        snprintf(params, sizeof params,
                 "{\"protocol\": \"%s\", \"interface\": \"127.0.0.1\", \"port\": \"*\", \"transfermode\": \"plaindata\","
                 " \"dtype\": \"float32\", \"shape\": [-1, %d]}",
                 proto, NCHAN);
    }
    char *text = NULL;
    P(pyacq_output_create(&r.out, NULL));
    P(pyacq_output_configure(r.out, params));
    P(pyacq_output_params(r.out, &text));
    P(pyacq_input_create(&r.in, NULL));
    P(pyacq_input_connect(r.in, text));
    pyacq_free(text);
    P(pyacq_output_wait_subscribers(r.out, 1, 5000));
    if (read_mode) P(pyacq_input_buffer(r.in, &r.ring));

    pthread_t consumer;
    pthread_create(&consumer, NULL, consume_pyacq, &r);
    produce_pyacq(&r);
    pthread_join(consumer, NULL);

    char *stats = NULL;
    P(pyacq_input_stats(r.in, &stats));
    pyacq_free(stats);
    pyacq_ringbuffer_destroy(r.ring);
    pyacq_input_destroy(r.in);
    pyacq_output_destroy(r.out);
    return finish(atomic_load(&r.sent), r.received, r.bad, r.t_first, r.t_last, r.chunk_bytes);
}

/* ---------------------------------------------------------------------------------------- */
/* Raw libzmq baseline                                                                       */
/* ---------------------------------------------------------------------------------------- */
static void put_be64(unsigned char *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static void produce_zmq(run_t *r) {
    float *data = aligned_alloc64(r->chunk_bytes);
    for (size_t i = 0; i < r->chunk_bytes / sizeof(float); i++) data[i] = (float)(i % 1000);
    unsigned char header[56]; /* pyacq plaindata header for ndim 2: ndim, index, offset, shape, strides */
    double deadline = now() + run_seconds;
    long k = 0;
    while (1) {
        if ((k & 15) == 0 && now() > deadline) break;
        data[0] = (float)(k % (1 << 24));
        put_be64(header, 2);
        put_be64(header + 8, (uint64_t)(k + 1) * r->nsamp);
        put_be64(header + 16, 0);
        put_be64(header + 24, r->nsamp);
        put_be64(header + 32, NCHAN);
        put_be64(header + 40, NCHAN * sizeof(float));
        put_be64(header + 48, sizeof(float));
        Z(zmq_send(r->pub, header, sizeof header, ZMQ_SNDMORE));
        Z(zmq_send(r->pub, data, r->chunk_bytes, 0));
        k++;
    }
    atomic_store(&r->sent, k);
    atomic_store(&r->done, 1);
    free(data);
}

static uint64_t get_be64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

static void *consume_zmq(void *arg) {
    run_t *r = arg;
    zmq_msg_t head, body;
    zmq_msg_init(&head);
    zmq_msg_init(&body);
    long received = 0, bad = 0;
    double t_first = 0, t_last = 0;
    while (1) {
        if (zmq_msg_recv(&head, r->sub, 0) < 0) {
            if (zmq_errno() == EAGAIN) { /* ZMQ_RCVTIMEO = 100 ms, as pyacq_input_recv(…, 100, …) */
                if (atomic_load(&r->done)) break;
                continue;
            }
            fprintf(stderr, "zmq_msg_recv: %s\n", zmq_strerror(zmq_errno()));
            exit(1);
        }
        if (zmq_msg_recv(&body, r->sub, 0) < 0) {
            fprintf(stderr, "zmq_msg_recv (data frame): %s\n", zmq_strerror(zmq_errno()));
            exit(1);
        }
        double t = now();
        if (received == 0) t_first = t;
        t_last = t;
        long k = (long)(get_be64(zmq_msg_data(&head) + 8) / r->nsamp) - 1;
        float first;
        memcpy(&first, zmq_msg_data(&body), sizeof first);
        if (first != (float)(k % (1 << 24)) || zmq_msg_size(&body) != r->chunk_bytes) bad++;
        received++;
    }
    zmq_msg_close(&head);
    zmq_msg_close(&body);
    r->received = received;
    r->bad = bad;
    r->t_first = t_first;
    r->t_last = t_last;
    return NULL;
}

static result_t run_zmq(const char *proto, int nsamp) {
    run_t r;
    memset(&r, 0, sizeof r);
    r.nsamp = nsamp;
    r.chunk_bytes = (size_t)nsamp * NCHAN * sizeof(float);
    void *ctx = zmq_ctx_new();
    r.pub = zmq_socket(ctx, ZMQ_XPUB);
    r.sub = zmq_socket(ctx, ZMQ_SUB);
    int hwm = HWM, zero = 0, timeout = 100;
    Z(zmq_setsockopt(r.pub, ZMQ_SNDHWM, &hwm, sizeof hwm));
    Z(zmq_setsockopt(r.pub, ZMQ_LINGER, &zero, sizeof zero));
    Z(zmq_setsockopt(r.sub, ZMQ_RCVHWM, &hwm, sizeof hwm));
    Z(zmq_setsockopt(r.sub, ZMQ_LINGER, &zero, sizeof zero));
    Z(zmq_setsockopt(r.sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    Z(zmq_setsockopt(r.sub, ZMQ_SUBSCRIBE, "", 0));
    char endpoint[256];
    if (strcmp(proto, "tcp") == 0)
        snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:*");
    else
        snprintf(endpoint, sizeof endpoint, "%s://zmq_bench_%d_%d", proto, (int)getpid(), nsamp);
    Z(zmq_bind(r.pub, endpoint));
    size_t len = sizeof endpoint;
    Z(zmq_getsockopt(r.pub, ZMQ_LAST_ENDPOINT, endpoint, &len));
    Z(zmq_connect(r.sub, endpoint));
    /* Wait for the subscription, as pyacq_output_wait_subscribers does. */
    zmq_msg_t m;
    zmq_msg_init(&m);
    Z(zmq_msg_recv(&m, r.pub, 0));
    zmq_msg_close(&m);

    pthread_t consumer;
    pthread_create(&consumer, NULL, consume_zmq, &r);
    produce_zmq(&r);
    pthread_join(consumer, NULL);

    zmq_close(r.sub);
    zmq_close(r.pub);
    zmq_ctx_term(ctx);
    if (strcmp(proto, "ipc") == 0) unlink(endpoint + strlen("ipc://"));
    return finish(atomic_load(&r.sent), r.received, r.bad, r.t_first, r.t_last, r.chunk_bytes);
}

/* ---------------------------------------------------------------------------------------- */
/* memcpy baseline                                                                           */
/* ---------------------------------------------------------------------------------------- */
static result_t run_memcpy(int nsamp, size_t dst_offset) {
    size_t bytes = (size_t)nsamp * NCHAN * sizeof(float);
    char *src = aligned_alloc64(bytes);
    char *dst = aligned_alloc64(bytes + 64);
    for (size_t i = 0; i < bytes; i++) src[i] = (char)i;
    char *d = dst + dst_offset;
    memcpy(d, src, bytes); /* warm up */
    long n = 0;
    double t0 = now(), t = t0, deadline = t0 + run_seconds / 3;
    long batch = bytes >= (1 << 20) ? 4 : bytes >= (1 << 16) ? 64 : 4096;
    while (t < deadline) {
        for (long i = 0; i < batch; i++) {
            memcpy(d, src, bytes);
            __asm__ volatile("" : : "r"(d) : "memory"); /* keep every copy */
        }
        n += batch;
        t = now();
    }
    free(src);
    free(dst);
    result_t r = {0};
    r.received = n;
    r.chunks_per_s = n / (t - t0);
    r.mbps = r.chunks_per_s * bytes / 1e6;
    return r;
}

/* ---------------------------------------------------------------------------------------- */
/* Reporting                                                                                 */
/* ---------------------------------------------------------------------------------------- */
typedef struct {
    char name[64];
    result_t runs[MAX_REPS];
    int n;
    result_t median;
} figure_t;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void summarize(figure_t *f) {
    double v[MAX_REPS];
    if (f->n == 0) return;
    for (int i = 0; i < f->n; i++) v[i] = f->runs[i].mbps;
    qsort(v, f->n, sizeof v[0], cmp_double);
    double med = v[f->n / 2];
    for (int i = 0; i < f->n; i++)
        if (f->runs[i].mbps == med) f->median = f->runs[i];
    long sent = 0, received = 0, bad = 0;
    for (int i = 0; i < f->n; i++) {
        sent += f->runs[i].sent;
        received += f->runs[i].received;
        bad += f->runs[i].bad;
    }
    if (sent > 0) {
        printf("# %-28s runs(MB/s):", f->name);
        for (int i = 0; i < f->n; i++) printf(" %.1f", f->runs[i].mbps);
        printf("  sent=%ld received=%ld lost=%ld (%.1f%%) bad=%ld\n", sent, received, sent - received,
               100.0 * (sent - received) / sent, bad);
    }
    if (bad > 0) failures++;
}

static void print_figure(const char *name, double value, const char *unit, const char *base_name, double base) {
    if (!selected(name)) return;
    printf("bench: %s value=%.1f %s baseline=%s:%.1f ratio=%.2f\n", name, value, unit, base_name, base,
           base > 0 ? value / base : 0.0);
}

/* Prints the MB/s and chunks/s lines of `f` against baseline `b`. */
static void report(const figure_t *f, const figure_t *b) {
    char name[96], base[96];
    print_figure(f->name, f->median.mbps, "MB/s", b->name, b->median.mbps);
    snprintf(name, sizeof name, "%s_chunks", f->name);
    snprintf(base, sizeof base, "%s_chunks", b->name);
    print_figure(name, f->median.chunks_per_s, "chunks/s", base, b->median.chunks_per_s);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    only = getenv("BENCH_ONLY");
    if (only != NULL && only[0] == '\0') only = NULL;
    if (argc > 1) run_seconds = atof(argv[1]);
    if (argc > 2) reps = atoi(argv[2]);
    if (run_seconds <= 0 || reps < 1 || reps > MAX_REPS) {
        fprintf(stderr, "usage: %s [seconds_per_run > 0] [reps 1..%d]\n", argv[0], MAX_REPS);
        return 2;
    }
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("# libpyacq %s, libzmq %d.%d.%d, %d channels float32, %.2f s per run, median of %d runs\n", pyacq_version(),
           major, minor, patch, NCHAN, run_seconds, reps);

    static const int sizes[] = {16, 1024, 16384};
    static const char *protos[] = {"tcp", "ipc", "inproc"};
    double t_start = now();

    for (int si = 0; si < 3; si++) {
        int n = sizes[si];
        figure_t plain[3], zmq[3], shm_view, shm_read, mc_aligned, mc_mis;
        memset(plain, 0, sizeof plain);
        memset(zmq, 0, sizeof zmq);
        memset(&shm_view, 0, sizeof shm_view);
        memset(&shm_read, 0, sizeof shm_read);
        memset(&mc_aligned, 0, sizeof mc_aligned);
        memset(&mc_mis, 0, sizeof mc_mis);
        for (int p = 0; p < 3; p++) {
            snprintf(plain[p].name, sizeof plain[p].name, "plaindata_%s_%d", protos[p], n);
            snprintf(zmq[p].name, sizeof zmq[p].name, "zmq_pubsub_%s_%d", protos[p], n);
        }
        snprintf(shm_view.name, sizeof shm_view.name, "sharedmem_view_%d", n);
        snprintf(shm_read.name, sizeof shm_read.name, "sharedmem_read_%d", n);
        snprintf(mc_aligned.name, sizeof mc_aligned.name, "memcpy_aligned_%d", n);
        snprintf(mc_mis.name, sizeof mc_mis.name, "memcpy_misaligned16_%d", n);

        /* Interleave the repetitions so drifts of the machine affect every variant alike. */
        for (int rep = 0; rep < reps; rep++) {
            for (int p = 0; p < 3; p++) {
                if (selected(plain[p].name)) plain[p].runs[plain[p].n++] = run_pyacq(protos[p], "plaindata", n, 0);
                if (selected(zmq[p].name)) zmq[p].runs[zmq[p].n++] = run_zmq(protos[p], n);
            }
            if (selected(shm_view.name)) shm_view.runs[shm_view.n++] = run_pyacq("tcp", "sharedmem", n, 0);
            if (selected(shm_read.name)) shm_read.runs[shm_read.n++] = run_pyacq("tcp", "sharedmem", n, 1);
            if (selected(mc_aligned.name)) mc_aligned.runs[mc_aligned.n++] = run_memcpy(n, 0);
            if (selected(mc_mis.name)) mc_mis.runs[mc_mis.n++] = run_memcpy(n, 16);
        }
        for (int p = 0; p < 3; p++) {
            summarize(&plain[p]);
            summarize(&zmq[p]);
        }
        summarize(&shm_view);
        summarize(&shm_read);
        summarize(&mc_aligned);
        summarize(&mc_mis);

        for (int p = 0; p < 3; p++) report(&plain[p], &zmq[p]);
        for (int p = 0; p < 3; p++) report(&zmq[p], &mc_aligned);
        report(&shm_view, &mc_aligned);
        report(&shm_read, &mc_aligned);
        print_figure(mc_mis.name, mc_mis.median.mbps, "MB/s", mc_aligned.name, mc_aligned.median.mbps);
        print_figure(mc_aligned.name, mc_aligned.median.mbps, "MB/s", mc_mis.name, mc_mis.median.mbps);
        fflush(stdout);
    }
    printf("# total %.1f s%s\n", now() - t_start, failures ? "; DATA INTEGRITY ERRORS (bad > 0)" : "");
    return failures ? 1 : 0;
}
