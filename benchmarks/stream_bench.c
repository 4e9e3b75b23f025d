/*
 * stream_bench.c — throughput of libpyacq streams against raw libzmq and memcpy.
 *
 * For 16-channel float32 chunks of 16, 1024 and 16384 samples (1 KiB, 64 KiB, 1 MiB), with a
 * producer thread and a consumer thread in this process:
 *
 *   plaindata_<proto>_<n>   libpyacq plaindata over tcp / ipc / inproc: the producer calls
 *                           pyacq_output_send (which copies the chunk into a message), the
 *                           consumer pyacq_input_recv with a borrowed view (zero-copy).
 *   zmq_pubsub_<proto>_<n>  baseline: raw libzmq in its own context with the same pattern
 *                           (XPUB bound on loopback, SUB connected, SNDHWM = RCVHWM = 1000, the
 *                           subscription awaited) and the same 2-frame messages as pyacq: a
 *                           56-byte header frame + the data frame (zmq_send copies the chunk,
 *                           as pyacq_output_send does); the consumer zmq_msg_recv's both frames
 *                           into reused zmq_msg_t.
 *   sharedmem_view_<n>      libpyacq sharedmem (notifications over tcp, ring of 8-1024 chunks,
 *                           "double": false): the consumer receives a borrowed view of the
 *                           shared ring and memcpy's it into an aligned buffer, so the data
 *                           really reaches the consumer.
 *   sharedmem_read_<n>      same, copying with pyacq_ringbuffer_read (which also checks for
 *                           overrun) after an index-only pyacq_input_recv.
 *   sharedmem_touch_<n>     same, but the consumer works in place: it reads one word of every
 *                           64-byte line of the borrowed view (all of the chunk's cache lines
 *                           come to the consumer's core, nothing is copied).
 *   memcpy_aligned_<n>      memcpy of one chunk between 64-byte-aligned buffers (cache-warm).
 *   memcpy_misaligned16_<n> the same with the destination at +16 bytes, where the data area of
 *                           a pyacq shared-memory file starts (page + 16).
 *   memcpy_pipeline_<n>     no library: the sharedmem data path done by hand — the producer
 *                           memcpy's each chunk into a ring at page + 16, the consumer memcpy's
 *                           it out, same ring and flow control as the sharedmem runs, the
 *                           consumer woken through a condition variable instead of a socket.
 *                           The ceiling sharedmem could reach here (two copies, across cores).
 *
 * Rates are measured on the receiving side: bytes of the chunks actually received over the
 * consumer's time from its first to its last chunk (PUB drops at the high-water mark are not
 * counted, and reported in the "# " lines). MB = 10^6 bytes. The "# " lines also give the CPU
 * time per chunk of the producer and consumer threads (CLOCK_THREAD_CPUTIME_ID, less sensitive
 * to other load on the machine than throughput; the producer's includes chunks PUB dropped). Each figure is the median of
 * `reps` runs, the variants interleaved. Plaindata producers run unthrottled by default
 * ($BENCH_WINDOW=N limits them to N chunks ahead); sharedmem producers never get more than
 * half the ring ahead of the consumer, so it never reads overwritten samples.
 *
 * Output: one line per figure,
 *   bench: <name> value=<v> <unit> baseline=<name>:<v> ratio=<value/baseline>
 * and "# " detail lines. Usage: stream_bench [seconds_per_run] [reps]
 * Environment: BENCH_ONLY=<substring> runs only the matching variants; BENCH_WINDOW=<chunks>
 * throttles the plaindata/zmq producers; BENCH_RING_CHUNKS=<chunks> sets the sharedmem ring.
 */
#define _GNU_SOURCE
#include <pyacq.h>
#include <zmq.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define NCHAN 16
#define HWM 1000 /* = libpyacq's OutputStream.sendHighWaterMark */
#define MAX_REPS 15

static double run_seconds = 0.2;
static int reps = 5;
static long plain_window = 0;
static const char *only = NULL;
static int failures = 0;

static int selected(const char *name) { return only == NULL || strstr(name, only) != NULL; }

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

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

static void *alloc64(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, n + 64) != 0) {
        perror("posix_memalign");
        exit(1);
    }
    memset(p, 0, n + 64);
    return p;
}

/* ---------------------------------------------------------------------------------------- */
/* A counter one thread advances and another waits on (sleeping, not spinning: this machine  */
/* may have 2 cores for producer, consumer and libzmq's I/O thread).                          */
/* ---------------------------------------------------------------------------------------- */
typedef struct {
    atomic_long value;
    atomic_int waiting;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
} gate_t;

static void gate_init(gate_t *g) {
    atomic_init(&g->value, 0);
    atomic_init(&g->waiting, 0);
    pthread_mutex_init(&g->mutex, NULL);
    pthread_cond_init(&g->cond, NULL);
}

static void gate_destroy(gate_t *g) {
    pthread_mutex_destroy(&g->mutex);
    pthread_cond_destroy(&g->cond);
}

static void gate_advance(gate_t *g, long v) {
    if (v > atomic_load(&g->value)) atomic_store(&g->value, v);
    if (atomic_load(&g->waiting)) {
        pthread_mutex_lock(&g->mutex);
        pthread_cond_signal(&g->cond);
        pthread_mutex_unlock(&g->mutex);
    }
}

/* Waits until value >= target, or 10 ms (then returns 0: a lost message must not hang us). */
static int gate_wait(gate_t *g, long target) {
    if (atomic_load(&g->value) >= target) return 1;
    int ok = 1;
    pthread_mutex_lock(&g->mutex);
    atomic_store(&g->waiting, 1);
    while (atomic_load(&g->value) < target) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (pthread_cond_timedwait(&g->cond, &g->mutex, &ts) == ETIMEDOUT && atomic_load(&g->value) < target) {
            ok = 0;
            break;
        }
    }
    atomic_store(&g->waiting, 0);
    pthread_mutex_unlock(&g->mutex);
    return ok;
}

/* ---------------------------------------------------------------------------------------- */
/* One run: a producer (the calling thread) and a consumer thread                            */
/* ---------------------------------------------------------------------------------------- */
typedef struct {
    double mbps, chunks_per_s;
    long sent, received, bad, stalls;
    double producer_us, consumer_us; /* CPU time per chunk of each thread (not wall time) */
} result_t;

typedef struct {
    int nsamp;
    size_t chunk_bytes;
    atomic_int done;
    long sent;
    /* Flow control: with window > 0 the producer sends chunk k only once the consumer is past
     * chunk k - window. `consumed` = number of the last chunk received + 1 (taken from the
     * index, so a lost message cannot stall the producer). */
    long window;
    gate_t consumed;
    long stalls;
    /* libpyacq */
    pyacq_output *out;
    pyacq_input *in;
    pyacq_ringbuffer *ring; /* sharedmem_read */
    int shm_mode;           /* 0 plaindata, 1 sharedmem view + memcpy, 2 ringbuffer_read, 3 view, touched */
    /* raw zmq */
    void *pub, *sub;
    /* memcpy pipeline */
    char *pipe_ring;
    int pipe_chunks;
    gate_t produced;
    /* consumer results */
    long received, bad;
    double t_first, t_last;
    double cpu_first, cpu_last;       /* consumer thread CPU time at first and last chunk */
    double producer_cpu;              /* producer thread CPU time for its whole loop */
} run_t;

static void run_init(run_t *r, int nsamp, long window) {
    memset(r, 0, sizeof *r);
    r->nsamp = nsamp;
    r->chunk_bytes = (size_t)nsamp * NCHAN * sizeof(float);
    r->window = window;
    gate_init(&r->consumed);
    gate_init(&r->produced);
}

static void producer_wait(run_t *r, long k) {
    if (r->window > 0 && !gate_wait(&r->consumed, k - r->window + 1)) r->stalls++;
}

/* Consumer bookkeeping for chunk k (0-based, from the stream index) whose first float is `first`. */
static void consumer_got(run_t *r, long k, float first) {
    double t = now(), c = thread_cpu();
    if (r->received == 0) {
        r->t_first = t;
        r->cpu_first = c;
    }
    r->t_last = t;
    r->cpu_last = c;
    if (first != (float)(k % (1 << 24))) r->bad++;
    r->received++;
    if (r->window > 0) gate_advance(&r->consumed, k + 1);
}

static result_t run_result(run_t *r) {
    result_t res = {0, 0, r->sent, r->received, r->bad, r->stalls, 0, 0};
    double dt = r->t_last - r->t_first;
    /* The clock starts at the first chunk: the received - 1 later chunks span dt. */
    if (r->received >= 2 && dt > 0) {
        res.chunks_per_s = (r->received - 1) / dt;
        res.mbps = res.chunks_per_s * r->chunk_bytes / 1e6;
        res.consumer_us = (r->cpu_last - r->cpu_first) / (r->received - 1) * 1e6;
    }
    if (r->sent > 0) res.producer_us = r->producer_cpu / r->sent * 1e6;
    gate_destroy(&r->consumed);
    gate_destroy(&r->produced);
    return res;
}

/* The chunk every producer sends: element [0][0] of chunk k is set to k (checked on arrival). */
static float *make_chunk(size_t bytes) {
    float *data = alloc64(bytes);
    for (size_t i = 0; i < bytes / sizeof(float); i++) data[i] = (float)(i % 1000);
    return data;
}

/* Ring length of the sharedmem runs, in chunks: ~1 MiB for the small chunks, 16 and 8 chunks
 * for the larger ones ($BENCH_RING_CHUNKS overrides). The producer keeps at most half of it
 * (and at most 64 chunks, far below the PUB high-water mark) ahead of the consumer. */
static int ring_chunks_for(int nsamp) {
    const char *env = getenv("BENCH_RING_CHUNKS");
    if (env != NULL && atoi(env) >= 2) return atoi(env);
    return nsamp >= 16384 ? 8 : nsamp >= 1024 ? 16 : 1024;
}

/* ---------------------------------------------------------------------------------------- */
/* libpyacq                                                                                  */
/* ---------------------------------------------------------------------------------------- */
static void *consume_pyacq(void *arg) {
    run_t *r = arg;
    float *dst = alloc64(r->chunk_bytes);
    while (1) {
        int64_t index = 0;
        pyacq_view view;
        int s = pyacq_input_recv(r->in, 100, &index, r->shm_mode == 2 ? NULL : &view);
        if (s == PYACQ_ERR_TIMEOUT) {
            if (atomic_load(&r->done)) break;
            continue;
        }
        if (s != PYACQ_OK) die_pyacq(s, "pyacq_input_recv", __LINE__);
        float first;
        if (r->shm_mode == 2) {
            P(pyacq_ringbuffer_read(r->ring, index - r->nsamp, index, dst, r->chunk_bytes));
            first = dst[0];
        } else if (r->shm_mode == 1) {
            /* These rings always give C-contiguous views: one memcpy of the whole chunk. */
            if (view.strides[0] != NCHAN * (int64_t)sizeof(float) || view.strides[1] != (int64_t)sizeof(float)) {
                fprintf(stderr, "unexpected view strides\n");
                exit(1);
            }
            memcpy(dst, view.data, r->chunk_bytes);
            first = dst[0];
        } else if (r->shm_mode == 3) {
            /* Read one 8-byte word per cache line, as a consumer working in place would. */
            const unsigned char *p = view.data;
            uint64_t acc = 0, w;
            for (size_t off = 0; off < r->chunk_bytes; off += 64) {
                memcpy(&w, p + off, sizeof w);
                acc ^= w;
            }
            __asm__ volatile("" : : "r"(acc));
            memcpy(&first, view.data, sizeof first);
        } else {
            memcpy(&first, view.data, sizeof first); /* plaindata: the bytes are already here */
        }
        consumer_got(r, (long)(index / r->nsamp) - 1, first);
    }
    free(dst);
    return NULL;
}

static result_t run_pyacq(const char *proto, int nsamp, int shm_mode) {
    run_t r;
    char params[512];
    long window = plain_window;
    if (shm_mode) {
        int ring_chunks = ring_chunks_for(nsamp);
        window = ring_chunks / 2 < 64 ? ring_chunks / 2 : 64; /* and far below the PUB HWM */
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
    run_init(&r, nsamp, window);
    r.shm_mode = shm_mode;
    char *text = NULL;
    P(pyacq_output_create(&r.out, NULL));
    P(pyacq_output_configure(r.out, params));
    P(pyacq_output_params(r.out, &text));
    P(pyacq_input_create(&r.in, NULL));
    P(pyacq_input_connect(r.in, text));
    pyacq_free(text);
    P(pyacq_output_wait_subscribers(r.out, 1, 5000));
    if (shm_mode == 2) P(pyacq_input_buffer(r.in, &r.ring));

    pthread_t consumer;
    pthread_create(&consumer, NULL, consume_pyacq, &r);
    float *data = make_chunk(r.chunk_bytes);
    const int64_t shape[2] = {nsamp, NCHAN};
    double deadline = now() + run_seconds, cpu0 = thread_cpu();
    long k = 0;
    for (; (k & 15) != 0 || now() < deadline; k++) {
        producer_wait(&r, k);
        data[0] = (float)(k % (1 << 24));
        P(pyacq_output_send(r.out, data, NULL, 2, shape, NULL, -1));
    }
    r.producer_cpu = thread_cpu() - cpu0;
    r.sent = k;
    atomic_store(&r.done, 1);
    pthread_join(consumer, NULL);
    free(data);

    pyacq_ringbuffer_destroy(r.ring);
    pyacq_input_destroy(r.in);
    pyacq_output_destroy(r.out);
    return run_result(&r);
}

/* ---------------------------------------------------------------------------------------- */
/* Raw libzmq                                                                                */
/* ---------------------------------------------------------------------------------------- */
static void put_be64(unsigned char *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (unsigned char)(v & 0xff);
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
    while (1) {
        if (zmq_msg_recv(&head, r->sub, 0) < 0) {
            if (zmq_errno() == EAGAIN) { /* ZMQ_RCVTIMEO = 100 ms, like pyacq_input_recv(…, 100, …) */
                if (atomic_load(&r->done)) break;
                continue;
            }
            fprintf(stderr, "zmq_msg_recv: %s\n", zmq_strerror(zmq_errno()));
            exit(1);
        }
        if (!zmq_msg_more(&head) || zmq_msg_recv(&body, r->sub, 0) < 0) {
            fprintf(stderr, "zmq_msg_recv: no data frame\n");
            exit(1);
        }
        float first;
        memcpy(&first, zmq_msg_data(&body), sizeof first);
        if (zmq_msg_size(&body) != r->chunk_bytes) first = -1;
        consumer_got(r, (long)(get_be64(zmq_msg_data(&head) + 8) / r->nsamp) - 1, first);
    }
    zmq_msg_close(&head);
    zmq_msg_close(&body);
    return NULL;
}

static result_t run_zmq(const char *proto, int nsamp) {
    run_t r;
    run_init(&r, nsamp, plain_window);
    void *ctx = zmq_ctx_new();
    r.pub = zmq_socket(ctx, ZMQ_XPUB);
    r.sub = zmq_socket(ctx, ZMQ_SUB);
    int hwm = HWM, linger = 0, timeout = 100;
    Z(zmq_setsockopt(r.pub, ZMQ_SNDHWM, &hwm, sizeof hwm));
    Z(zmq_setsockopt(r.pub, ZMQ_LINGER, &linger, sizeof linger));
    Z(zmq_setsockopt(r.sub, ZMQ_RCVHWM, &hwm, sizeof hwm));
    Z(zmq_setsockopt(r.sub, ZMQ_LINGER, &linger, sizeof linger));
    Z(zmq_setsockopt(r.sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    Z(zmq_setsockopt(r.sub, ZMQ_SUBSCRIBE, "", 0));
    char endpoint[256];
    if (strcmp(proto, "tcp") == 0)
        snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:*");
    else /* ipc: a relative path, as pyacq's; run.sh runs us in a temporary directory */
        snprintf(endpoint, sizeof endpoint, "%s://zmq_bench_%d_%d", proto, (int)getpid(), nsamp);
    Z(zmq_bind(r.pub, endpoint));
    size_t len = sizeof endpoint;
    Z(zmq_getsockopt(r.pub, ZMQ_LAST_ENDPOINT, endpoint, &len));
    Z(zmq_connect(r.sub, endpoint));
    zmq_msg_t subscription; /* wait for the subscriber, as pyacq_output_wait_subscribers does */
    zmq_msg_init(&subscription);
    Z(zmq_msg_recv(&subscription, r.pub, 0));
    zmq_msg_close(&subscription);

    pthread_t consumer;
    pthread_create(&consumer, NULL, consume_zmq, &r);
    float *data = make_chunk(r.chunk_bytes);
    unsigned char header[56]; /* pyacq's plaindata header for ndim 2 (PROTOCOL §9) */
    put_be64(header, 2);
    put_be64(header + 16, 0);
    put_be64(header + 24, nsamp);
    put_be64(header + 32, NCHAN);
    put_be64(header + 40, NCHAN * sizeof(float));
    put_be64(header + 48, sizeof(float));
    double deadline = now() + run_seconds, cpu0 = thread_cpu();
    long k = 0;
    for (; (k & 15) != 0 || now() < deadline; k++) {
        producer_wait(&r, k);
        data[0] = (float)(k % (1 << 24));
        put_be64(header + 8, (uint64_t)(k + 1) * nsamp);
        Z(zmq_send(r.pub, header, sizeof header, ZMQ_SNDMORE));
        Z(zmq_send(r.pub, data, r.chunk_bytes, 0));
    }
    r.producer_cpu = thread_cpu() - cpu0;
    r.sent = k;
    atomic_store(&r.done, 1);
    pthread_join(consumer, NULL);
    free(data);

    zmq_close(r.sub);
    zmq_close(r.pub);
    zmq_ctx_term(ctx);
    if (strcmp(proto, "ipc") == 0) unlink(endpoint + strlen("ipc://"));
    return run_result(&r);
}

/* ---------------------------------------------------------------------------------------- */
/* memcpy                                                                                    */
/* ---------------------------------------------------------------------------------------- */
static result_t run_memcpy(int nsamp, size_t dst_offset) {
    size_t bytes = (size_t)nsamp * NCHAN * sizeof(float);
    char *src = alloc64(bytes);
    char *dst = alloc64(bytes + 64);
    for (size_t i = 0; i < bytes; i++) src[i] = (char)i;
    char *d = dst + dst_offset;
    memcpy(d, src, bytes); /* warm up */
    long n = 0, batch = bytes >= (1 << 20) ? 4 : bytes >= (1 << 16) ? 64 : 4096;
    double t0 = now(), t = t0, deadline = t0 + run_seconds / 4;
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
    r.chunks_per_s = n / (t - t0);
    r.mbps = r.chunks_per_s * bytes / 1e6;
    return r;
}

/* The sharedmem data path without the library: ring at page + 16, same flow control. */
static void *consume_pipeline(void *arg) {
    run_t *r = arg;
    float *dst = alloc64(r->chunk_bytes);
    for (long k = 0;; k++) {
        while (!gate_wait(&r->produced, k + 1))
            if (atomic_load(&r->done) && atomic_load(&r->produced.value) <= k) goto out;
        memcpy(dst, r->pipe_ring + 16 + (size_t)(k % r->pipe_chunks) * r->chunk_bytes, r->chunk_bytes);
        consumer_got(r, k, dst[0]);
    }
out:
    free(dst);
    return NULL;
}

static result_t run_pipeline(int nsamp) {
    run_t r;
    run_init(&r, nsamp, 0);
    r.pipe_chunks = ring_chunks_for(nsamp); /* as the sharedmem runs */
    r.window = r.pipe_chunks / 2 < 64 ? r.pipe_chunks / 2 : 64;
    size_t size = 16 + (size_t)r.pipe_chunks * r.chunk_bytes;
    r.pipe_ring = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r.pipe_ring == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    pthread_t consumer;
    pthread_create(&consumer, NULL, consume_pipeline, &r);
    float *data = make_chunk(r.chunk_bytes);
    double deadline = now() + run_seconds, cpu0 = thread_cpu();
    long k = 0;
    for (; (k & 15) != 0 || now() < deadline; k++) {
        producer_wait(&r, k);
        data[0] = (float)(k % (1 << 24));
        memcpy(r.pipe_ring + 16 + (size_t)(k % r.pipe_chunks) * r.chunk_bytes, data, r.chunk_bytes);
        gate_advance(&r.produced, k + 1);
    }
    r.producer_cpu = thread_cpu() - cpu0;
    r.sent = k;
    atomic_store(&r.done, 1);
    pthread_join(consumer, NULL);
    free(data);
    munmap(r.pipe_ring, size);
    return run_result(&r);
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

static int by_mbps(const void *a, const void *b) {
    double x = ((const result_t *)a)->mbps, y = ((const result_t *)b)->mbps;
    return x < y ? -1 : x > y;
}

static void summarize(figure_t *f) {
    if (f->n == 0) return;
    result_t sorted[MAX_REPS];
    memcpy(sorted, f->runs, sizeof(result_t) * f->n);
    qsort(sorted, f->n, sizeof sorted[0], by_mbps);
    f->median = sorted[f->n / 2];
    long sent = 0, received = 0, bad = 0, stalls = 0;
    for (int i = 0; i < f->n; i++) {
        sent += f->runs[i].sent;
        received += f->runs[i].received;
        bad += f->runs[i].bad;
        stalls += f->runs[i].stalls;
    }
    printf("# %-26s MB/s per run:", f->name);
    for (int i = 0; i < f->n; i++) printf(" %.0f", f->runs[i].mbps);
    if (sent > 0)
        printf("; CPU per chunk: producer %.2f us, consumer %.2f us; sent %ld, received %ld, lost %ld (%.1f%%), bad %ld,"
               " stalls %ld",
               f->median.producer_us, f->median.consumer_us, sent, received, sent - received,
               100.0 * (sent - received) / sent, bad, stalls);
    printf("\n");
    if (bad > 0) failures++;
}

static void print_figure(const char *name, double value, const char *unit, const char *base_name, double base) {
    printf("bench: %s value=%.1f %s baseline=%s:%.1f ratio=%.2f\n", name, value, unit, base_name, base,
           base > 0 ? value / base : 0.0);
}

/* MB/s and chunks/s lines of f against baseline b. */
static void report(const figure_t *f, const figure_t *b, int with_chunks) {
    if (f->n == 0 || b->n == 0) return;
    print_figure(f->name, f->median.mbps, "MB/s", b->name, b->median.mbps);
    if (with_chunks) {
        char name[96], base[96];
        snprintf(name, sizeof name, "%s_chunks", f->name);
        snprintf(base, sizeof base, "%s_chunks", b->name);
        print_figure(name, f->median.chunks_per_s, "chunks/s", base, b->median.chunks_per_s);
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1) run_seconds = atof(argv[1]);
    if (argc > 2) reps = atoi(argv[2]);
    only = getenv("BENCH_ONLY");
    if (only != NULL && only[0] == '\0') only = NULL;
    if (getenv("BENCH_WINDOW") != NULL) plain_window = atol(getenv("BENCH_WINDOW"));
    if (run_seconds <= 0 || reps < 1 || reps > MAX_REPS) {
        fprintf(stderr, "usage: %s [seconds_per_run > 0] [reps 1..%d]\n", argv[0], MAX_REPS);
        return 2;
    }
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("# libpyacq %s, libzmq %d.%d.%d; %d-channel float32 chunks; %.2f s per run, median of %d runs;"
           " plaindata %s\n",
           pyacq_version(), major, minor, patch, NCHAN, run_seconds, reps,
           plain_window > 0 ? "producers throttled by $BENCH_WINDOW" : "producers unthrottled");

    static const int sizes[] = {16, 1024, 16384};
    static const char *protos[] = {"tcp", "ipc", "inproc"};
    double t_start = now();

    for (int si = 0; si < 3; si++) {
        int n = sizes[si];
        /* 0-2 plaindata, 3-5 zmq, 6 shm view, 7 shm read, 8 memcpy, 9 misaligned, 10 pipeline,
         * 11 shm touch */
        figure_t f[12];
        memset(f, 0, sizeof f);
        for (int p = 0; p < 3; p++) {
            snprintf(f[p].name, sizeof f[p].name, "plaindata_%s_%d", protos[p], n);
            snprintf(f[3 + p].name, sizeof f[3 + p].name, "zmq_pubsub_%s_%d", protos[p], n);
        }
        snprintf(f[6].name, sizeof f[6].name, "sharedmem_view_%d", n);
        snprintf(f[7].name, sizeof f[7].name, "sharedmem_read_%d", n);
        snprintf(f[8].name, sizeof f[8].name, "memcpy_aligned_%d", n);
        snprintf(f[9].name, sizeof f[9].name, "memcpy_misaligned16_%d", n);
        snprintf(f[10].name, sizeof f[10].name, "memcpy_pipeline_%d", n);
        snprintf(f[11].name, sizeof f[11].name, "sharedmem_touch_%d", n);

        /* Interleaved repetitions: a slow moment of the machine hits every variant alike. */
        for (int rep = 0; rep < reps; rep++) {
            for (int i = 0; i < 12; i++) {
                if (!selected(f[i].name)) continue;
                result_t r;
                if (i < 3) r = run_pyacq(protos[i], n, 0);
                else if (i < 6) r = run_zmq(protos[i - 3], n);
                else if (i < 8) r = run_pyacq("tcp", n, i - 5);
                else if (i < 10) r = run_memcpy(n, i == 8 ? 0 : 16);
                else if (i == 10) r = run_pipeline(n);
                else r = run_pyacq("tcp", n, 3);
                f[i].runs[f[i].n++] = r;
            }
        }
        for (int i = 0; i < 12; i++) summarize(&f[i]);
        for (int p = 0; p < 3; p++) report(&f[p], &f[3 + p], 1);        /* pyacq vs raw zmq */
        for (int p = 0; p < 3; p++) report(&f[3 + p], &f[8], 0);        /* raw zmq vs memcpy */
        report(&f[6], &f[8], 1);                                        /* sharedmem vs memcpy */
        report(&f[7], &f[8], 1);
        report(&f[11], &f[8], 1);
        report(&f[10], &f[8], 0);                                       /* hand-made pipeline vs memcpy */
        report(&f[9], &f[8], 0);                                        /* alignment */
        report(&f[8], &f[9], 0);
    }
    printf("# total %.1f s%s\n", now() - t_start, failures ? "; DATA ERRORS: some chunks had wrong contents" : "");
    return failures ? 1 : 0;
}
