/*
 * latency_bench.c — one-way latency of libpyacq streams against raw libzmq and a bare wake-up.
 *
 * One-way latency = time from just before the producer's send call to the moment the
 * consumer's receive call returns the chunk. The producer writes its CLOCK_MONOTONIC time (ns)
 * into the first 8 bytes of every chunk; producer and consumer run on the same machine, so the
 * consumer subtracts it from its own clock. Sends are paced (one chunk per period, far from
 * saturation) so each figure is the latency of a consumer that is waiting for data, which is
 * what a closed-loop experiment sees. 16-channel float32 chunks of 16, 1024 and 16384 samples.
 *
 *   plaindata_<tcp|ipc|inproc>_<n>  libpyacq plaindata: pyacq_output_send -> pyacq_input_recv
 *                                   (borrowed view). tcp/ipc: producer in a child process;
 *                                   inproc: producer thread in this process.
 *   zmq_<tcp|ipc|inproc>_<n>        baseline: raw libzmq XPUB/SUB with the same two frames
 *                                   (56-byte plaindata header + data, both sent with zmq_send).
 *   sharedmem_<tcp|ipc>_<n>         libpyacq sharedmem between two libpyacq processes (the
 *                                   socket-free wake-up when both ends offer it), ring of 64
 *                                   chunks, borrowed view of the ring.
 *   sharedmem_<tcp|ipc>_notify_<n>  the same with the consumer refusing the wake-up
 *                                   ({"shm_wakeup": false}): PROTOCOL §11.4 notifications, the
 *                                   path original pyacq peers use.
 *   *_spin                          the consumer spins up to 200 us before blocking
 *                                   (pyacq_input_set_spin).
 *   wake_futex / wake_eventfd       the floor: a process wakes another through a futex in a
 *                                   shared page / an eventfd, carrying the same timestamp.
 *
 * Output: bench: latency_<variant>_<median|p99|p999>_us value=<us> us
 *                baseline=zmq_<proto>_<n>_<stat>_us:<us> ratio=<value/baseline>
 * plus "# " lines with the raw figures and the chunks lost. Usage: latency_bench [chunks]
 * ($LAT_CHUNKS, default 4000 for 16/1024 samples, a quarter of it for 16384).
 * Environment: LAT_ONLY=<substring> runs only the matching variants; LAT_ROUNDS=<n> (default 3):
 * each size and transport runs its variants in n interleaved rounds of chunks/n chunks each and
 * pools the latencies, so that a slow spell of a shared machine does not fall on one variant.
 */
#define _GNU_SOURCE
#include <pyacq.h>
#include <zmq.h>

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NCHAN 16
#define WARMUP 50
#define SPIN_US 200

static const char *only = NULL;
static int rounds = 3;
static int failures = 0;
static const char *self_path = NULL;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(int64_t t) {
    struct timespec ts = {.tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

#define P(call) do { int s_ = (call); if (s_ != PYACQ_OK) { \
    fprintf(stderr, "%s:%d %s: %s (%s)\n", __FILE__, __LINE__, #call, pyacq_status_name(s_), pyacq_last_error()); exit(1); } } while (0)
#define Z(call) do { if ((call) < 0) { \
    fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #call, zmq_strerror(zmq_errno())); exit(1); } } while (0)

/* How the chunks of one run are paced: period between sends, chunk count. */
typedef struct {
    int nsamp;
    long count;
    int64_t period_ns;
} pace_t;

static pace_t pace_for(int nsamp, long base_count) {
    pace_t p = {.nsamp = nsamp, .count = base_count, .period_ns = 250000};
    if (nsamp >= 16384) {
        p.count = base_count / 4 > 200 ? base_count / 4 : 200;
        p.period_ns = 2000000;
    } else if (nsamp >= 1024) {
        p.period_ns = 400000;
    }
    return p;
}

/* ---------------------------------------------------------------------------------------- */
/* Producers (child process, or thread for inproc)                                          */
/* ---------------------------------------------------------------------------------------- */
typedef struct {
    char kind[16];      /* "pyacq" | "zmq" */
    char mode[16];      /* "plaindata" | "sharedmem" */
    char proto[16];
    pace_t pace;
    int out_fd;         /* where the producer writes its params / endpoint line */
    int in_fd;          /* EOF on it: the consumer is done (-1: return right after sending) */
} producer_t;

static void write_line(int fd, const char *text) {
    size_t n = strlen(text);
    while (n > 0) {
        ssize_t w = write(fd, text, n);
        if (w <= 0) { perror("write"); exit(1); }
        text += w;
        n -= (size_t)w;
    }
    if (write(fd, "\n", 1) != 1) { perror("write"); exit(1); }
}

static void wait_eof(int fd) {
    char c;
    if (fd >= 0) while (read(fd, &c, 1) > 0) {}
}

static void put_be64(unsigned char *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (unsigned char)(v & 0xff);
}

static void produce_pyacq(const producer_t *pr) {
    const pace_t *pc = &pr->pace;
    char params[512];
    if (strcmp(pr->mode, "sharedmem") == 0)
        snprintf(params, sizeof params,
                 "{\"protocol\": \"%s\", \"transfermode\": \"sharedmem\", \"buffer_size\": %d, \"double\": true,"
                 " \"dtype\": \"float32\", \"shape\": [-1, %d]}", pr->proto, 64 * pc->nsamp, NCHAN);
    else
        snprintf(params, sizeof params, "{\"protocol\": \"%s\", \"transfermode\": \"plaindata\", \"dtype\": \"float32\","
                 " \"shape\": [-1, %d]}", pr->proto, NCHAN);
    pyacq_output *out = NULL;
    char *text = NULL;
    P(pyacq_output_create(&out, NULL));
    P(pyacq_output_configure(out, params));
    P(pyacq_output_params(out, &text));
    write_line(pr->out_fd, text);
    pyacq_free(text);
    P(pyacq_output_wait_subscribers(out, 1, 20000));
    size_t bytes = (size_t)pc->nsamp * NCHAN * sizeof(float);
    unsigned char *data = aligned_alloc(64, bytes);
    memset(data, 0, bytes);
    const int64_t shape[2] = {pc->nsamp, NCHAN};
    int64_t t0 = now_ns() + 20000000;
    for (long k = 0; k < pc->count; k++) {
        sleep_until(t0 + k * pc->period_ns);
        int64_t stamp = now_ns();
        memcpy(data, &stamp, sizeof stamp);
        P(pyacq_output_send(out, data, NULL, 2, shape, NULL, -1));
    }
    wait_eof(pr->in_fd);
    free(data);
    pyacq_output_destroy(out);
}

static void produce_zmq(const producer_t *pr, void *ctx) {
    const pace_t *pc = &pr->pace;
    void *pub = zmq_socket(ctx, ZMQ_XPUB);
    int hwm = 1000, linger = 1000;
    Z(zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof hwm));
    Z(zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger));
    char endpoint[256];
    if (strcmp(pr->proto, "tcp") == 0) snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:*");
    else snprintf(endpoint, sizeof endpoint, "%s://lat_bench_%d_%d", pr->proto, (int)getpid(), pc->nsamp);
    Z(zmq_bind(pub, endpoint));
    size_t len = sizeof endpoint;
    Z(zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, endpoint, &len));
    write_line(pr->out_fd, endpoint);
    zmq_msg_t subscription;
    zmq_msg_init(&subscription);
    Z(zmq_msg_recv(&subscription, pub, 0));
    zmq_msg_close(&subscription);
    size_t bytes = (size_t)pc->nsamp * NCHAN * sizeof(float);
    unsigned char *data = aligned_alloc(64, bytes);
    memset(data, 0, bytes);
    unsigned char header[56]; /* pyacq's plaindata header for ndim 2 (PROTOCOL §9) */
    put_be64(header, 2);
    put_be64(header + 16, 0);
    put_be64(header + 24, pc->nsamp);
    put_be64(header + 32, NCHAN);
    put_be64(header + 40, NCHAN * sizeof(float));
    put_be64(header + 48, sizeof(float));
    int64_t t0 = now_ns() + 20000000;
    for (long k = 0; k < pc->count; k++) {
        sleep_until(t0 + k * pc->period_ns);
        int64_t stamp = now_ns();
        memcpy(data, &stamp, sizeof stamp);
        put_be64(header + 8, (uint64_t)(k + 1) * pc->nsamp);
        Z(zmq_send(pub, header, sizeof header, ZMQ_SNDMORE));
        Z(zmq_send(pub, data, bytes, 0));
    }
    wait_eof(pr->in_fd);
    free(data);
    zmq_close(pub);
    if (strcmp(pr->proto, "ipc") == 0) unlink(endpoint + strlen("ipc://"));
}

typedef struct {
    producer_t pr;
    void *ctx;
} thread_arg_t;

static void *produce_thread(void *arg) {
    thread_arg_t *a = arg;
    if (a->ctx) produce_zmq(&a->pr, a->ctx);
    else produce_pyacq(&a->pr);
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Consumers                                                                                */
/* ---------------------------------------------------------------------------------------- */
typedef struct {
    double *lat_us;  /* one per received chunk after the warm-up */
    long n;
    long lost;
} result_t;

static void read_line(int fd, char *buf, size_t cap) {
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, 1);
        if (r <= 0) { fprintf(stderr, "latency_bench: producer gave no params\n"); exit(1); }
        if (buf[n] == '\n') break;
        n++;
    }
    buf[n] = 0;
}

static void record(result_t *res, long k, int64_t stamp, int64_t t) {
    if (k >= WARMUP) res->lat_us[res->n++] = (double)(t - stamp) / 1000.0;
}

static void consume_pyacq(int fd, const pace_t *pc, const char *spec, int spin, result_t *res) {
    char params[4096];
    read_line(fd, params, sizeof params);
    pyacq_input *in = NULL;
    P(pyacq_input_create(&in, spec));
    P(pyacq_input_connect(in, params));
    if (spin) P(pyacq_input_set_spin(in, SPIN_US));
    long k = 0;
    for (; k < pc->count; k++) {
        int64_t index;
        pyacq_view view;
        int s = pyacq_input_recv(in, 5000, &index, &view);
        int64_t t = now_ns();
        if (s == PYACQ_ERR_TIMEOUT) break;
        if (s != PYACQ_OK) { fprintf(stderr, "recv: %s\n", pyacq_last_error()); failures++; break; }
        int64_t stamp;
        memcpy(&stamp, view.data, sizeof stamp);
        record(res, k, stamp, t);
        if (index != (k + 1) * (int64_t)pc->nsamp) { res->lost += index / pc->nsamp - (k + 1); k = index / pc->nsamp - 1; }
    }
    res->lost += pc->count - k;
    pyacq_input_destroy(in);
}

static void consume_zmq(int fd, const pace_t *pc, void *ctx, result_t *res) {
    char endpoint[256];
    read_line(fd, endpoint, sizeof endpoint);
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int hwm = 1000, linger = 0, timeout = 5000;
    Z(zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm));
    Z(zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger));
    Z(zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    Z(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0));
    Z(zmq_connect(sub, endpoint));
    zmq_msg_t head, body;
    zmq_msg_init(&head);
    zmq_msg_init(&body);
    long k = 0;
    for (; k < pc->count; k++) {
        if (zmq_msg_recv(&head, sub, 0) < 0) break;
        if (!zmq_msg_more(&head) || zmq_msg_recv(&body, sub, 0) < 0) { failures++; break; }
        int64_t t = now_ns(), stamp;
        memcpy(&stamp, zmq_msg_data(&body), sizeof stamp);
        record(res, k, stamp, t);
    }
    res->lost += pc->count - k;
    zmq_msg_close(&head);
    zmq_msg_close(&body);
    zmq_close(sub);
}

/* ---------------------------------------------------------------------------------------- */
/* One run: producer in a child process (tcp, ipc) or a thread (inproc)                     */
/* ---------------------------------------------------------------------------------------- */
static result_t run(const char *kind, const char *mode, const char *proto, const pace_t *pc, const char *spec, int spin) {
    result_t res = {.lat_us = calloc((size_t)pc->count, sizeof(double))};
    int lines[2], done[2];
    if (pipe(lines) != 0 || pipe(done) != 0) { perror("pipe"); exit(1); }
    int is_zmq = strcmp(kind, "zmq") == 0;
    void *ctx = is_zmq ? zmq_ctx_new() : NULL;
    pid_t child = -1;
    pthread_t thread;
    thread_arg_t arg = {.ctx = ctx};
    if (strcmp(proto, "inproc") == 0) {
        /* One process: inproc endpoints only connect within one context. */
        snprintf(arg.pr.kind, sizeof arg.pr.kind, "%s", kind);
        snprintf(arg.pr.mode, sizeof arg.pr.mode, "%s", mode);
        snprintf(arg.pr.proto, sizeof arg.pr.proto, "%s", proto);
        arg.pr.pace = *pc;
        arg.pr.out_fd = lines[1];
        arg.pr.in_fd = done[0];
        pthread_create(&thread, NULL, produce_thread, &arg);
    } else {
        char nsamp[32], count[32], period[32];
        snprintf(nsamp, sizeof nsamp, "%d", pc->nsamp);
        snprintf(count, sizeof count, "%ld", pc->count);
        snprintf(period, sizeof period, "%lld", (long long)pc->period_ns);
        child = fork();
        if (child < 0) { perror("fork"); exit(1); }
        if (child == 0) {
            dup2(done[0], 0);
            dup2(lines[1], 1);
            close(done[1]);
            close(lines[0]);
            execl(self_path, self_path, "--produce", kind, mode, proto, nsamp, count, period, (char *)NULL);
            perror("exec");
            _exit(127);
        }
        close(done[0]);
        close(lines[1]);
    }
    if (is_zmq) consume_zmq(lines[0], pc, ctx, &res);
    else consume_pyacq(lines[0], pc, spec, spin, &res);
    close(done[1]);
    close(lines[0]);
    if (child > 0) {
        int status = 0;
        waitpid(child, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "producer failed (%d)\n", status); failures++; }
    } else {
        pthread_join(thread, NULL);
        close(done[0]);
        close(lines[1]);
    }
    if (ctx) zmq_ctx_term(ctx);
    return res;
}

/* ---------------------------------------------------------------------------------------- */
/* Wake-up floor: futex in a shared page, eventfd                                           */
/* ---------------------------------------------------------------------------------------- */
typedef struct {
    _Atomic uint32_t seq;
    _Atomic int64_t stamp;
} wake_page_t;

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *timeout) {
    return syscall(SYS_futex, (uint32_t *)addr, op, val, timeout, NULL, 0);
}

static result_t run_wake(int use_eventfd, const pace_t *pc) {
    result_t res = {.lat_us = calloc((size_t)pc->count, sizeof(double))};
    wake_page_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) { perror("mmap"); exit(1); }
    int efd = eventfd(0, 0);
    pid_t child = fork();
    if (child == 0) {
        int64_t t0 = now_ns() + 20000000;
        for (long k = 0; k < pc->count; k++) {
            sleep_until(t0 + k * pc->period_ns);
            atomic_store(&page->stamp, now_ns());
            if (use_eventfd) {
                uint64_t one = 1;
                if (write(efd, &one, sizeof one) != sizeof one) _exit(1);
            } else {
                atomic_fetch_add(&page->seq, 1);
                futex(&page->seq, FUTEX_WAKE, 1, NULL);
            }
        }
        _exit(0);
    }
    /* Two wake-ups may coalesce (the consumer then records the later stamp once). */
    uint32_t seen = 0;
    for (long k = 0; k < pc->count;) {
        if (use_eventfd) {
            uint64_t v;
            if (read(efd, &v, sizeof v) != sizeof v) break;
            k += (long)v;
        } else {
            while (atomic_load(&page->seq) == seen) futex(&page->seq, FUTEX_WAIT, seen, NULL);
            seen = atomic_load(&page->seq);
            k = seen;
        }
        record(&res, k - 1, atomic_load(&page->stamp), now_ns());
    }
    waitpid(child, NULL, 0);
    close(efd);
    munmap(page, 4096);
    return res;
}

/* ---------------------------------------------------------------------------------------- */
/* Reporting                                                                                 */
/* ---------------------------------------------------------------------------------------- */
typedef struct {
    double median, p99, p999;
    long n, lost;
} stats_t;

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double quantile(const double *sorted, long n, double q) {
    if (n == 0) return 0;
    long i = (long)(q * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

static stats_t summarize(const char *name, result_t *r) {
    qsort(r->lat_us, (size_t)r->n, sizeof(double), by_value);
    stats_t s = {quantile(r->lat_us, r->n, 0.5), quantile(r->lat_us, r->n, 0.99), quantile(r->lat_us, r->n, 0.999),
                 r->n, r->lost};
    printf("# %-28s median %8.1f us  p99 %8.1f us  p99.9 %8.1f us  max %8.1f us  (%ld chunks, %ld lost)\n", name,
           s.median, s.p99, s.p999, r->n ? r->lat_us[r->n - 1] : 0.0, s.n, s.lost);
    if (r->lost > 0 || r->n == 0) failures++;
    free(r->lat_us);
    return s;
}

static void line(const char *name, const char *stat, double v, const char *base, double b) {
    printf("bench: latency_%s_%s_us value=%.1f us baseline=%s_%s_us:%.1f ratio=%.2f\n", name, stat, v, base, stat, b,
           b > 0 ? v / b : 0.0);
}

static void report(const char *name, const stats_t *s, const char *base, const stats_t *b) {
    line(name, "median", s->median, base, b->median);
    line(name, "p99", s->p99, base, b->p99);
    line(name, "p999", s->p999, base, b->p999);
}

static int selected(const char *name) { return only == NULL || strstr(name, only) != NULL; }

/* ---------------------------------------------------------------------------------------- */
/* Variants of one size and transport, run in interleaved rounds                            */
/* ---------------------------------------------------------------------------------------- */
#define MAX_VARIANTS 6

typedef struct {
    char name[64];
    const char *kind, *mode, *spec;
    int spin;
    result_t pooled;
} variant_t;

static void add_variant(variant_t *vs, int *nv, const char *name, const char *kind, const char *mode, const char *spec,
                        int spin) {
    variant_t *v = &vs[(*nv)++];
    snprintf(v->name, sizeof v->name, "%s", name);
    v->kind = kind;
    v->mode = mode;
    v->spec = spec;
    v->spin = spin;
    v->pooled = (result_t){0};
}

/* The raw libzmq baseline first (always run when anything of this size and transport is). */
static int variants_for(variant_t *vs, const char *proto, int n) {
    char name[64];
    int nv = 0;
    snprintf(name, sizeof name, "zmq_%s_%d", proto, n);
    add_variant(vs, &nv, name, "zmq", "plaindata", NULL, 0);
    snprintf(name, sizeof name, "plaindata_%s_%d", proto, n);
    if (selected(name)) add_variant(vs, &nv, name, "pyacq", "plaindata", NULL, 0);
    snprintf(name, sizeof name, "plaindata_%s_%d_spin", proto, n);
    if (selected(name)) add_variant(vs, &nv, name, "pyacq", "plaindata", NULL, 1);
    if (strcmp(proto, "inproc") != 0) {
        static const char *suffix[] = {"", "_notify", "_spin"};
        for (int k = 0; k < 3; k++) {
            snprintf(name, sizeof name, "sharedmem_%s_%d%s", proto, n, suffix[k]);
            if (selected(name)) add_variant(vs, &nv, name, "pyacq", "sharedmem", k == 1 ? "{\"shm_wakeup\": false}" : NULL, k == 2);
        }
    }
    int baseline_for_sharedmem = strcmp(proto, "tcp") == 0 && only != NULL && strstr(only, "sharedmem") != NULL;
    return nv > 1 || selected(vs[0].name) || baseline_for_sharedmem ? nv : 0;
}

/* ROUNDS rounds, each running every variant once on its share of the chunks, so that a slow
 * spell of the machine falls on all variants alike; latencies are pooled per variant. */
static void run_rounds(variant_t *vs, int nv, const char *proto, const pace_t *pc) {
    pace_t share = *pc;
    share.count = pc->count / rounds > WARMUP + 100 ? pc->count / rounds : WARMUP + 100;
    for (int v = 0; v < nv; v++) vs[v].pooled.lat_us = calloc((size_t)(share.count * rounds), sizeof(double));
    for (int r = 0; r < rounds; r++) {
        for (int v = 0; v < nv; v++) {
            result_t one = run(vs[v].kind, vs[v].mode, proto, &share, vs[v].spec, vs[v].spin);
            memcpy(vs[v].pooled.lat_us + vs[v].pooled.n, one.lat_us, (size_t)one.n * sizeof(double));
            vs[v].pooled.n += one.n;
            vs[v].pooled.lost += one.lost;
            free(one.lat_us);
        }
    }
}

int main(int argc, char **argv) {
    self_path = argv[0];
    if (argc == 8 && strcmp(argv[1], "--produce") == 0) {
        producer_t pr = {.out_fd = 1, .in_fd = 0};
        snprintf(pr.kind, sizeof pr.kind, "%s", argv[2]);
        snprintf(pr.mode, sizeof pr.mode, "%s", argv[3]);
        snprintf(pr.proto, sizeof pr.proto, "%s", argv[4]);
        pr.pace.nsamp = atoi(argv[5]);
        pr.pace.count = atol(argv[6]);
        pr.pace.period_ns = atoll(argv[7]);
        if (strcmp(pr.kind, "zmq") == 0) {
            void *ctx = zmq_ctx_new();
            produce_zmq(&pr, ctx);
            zmq_ctx_term(ctx);
        } else {
            produce_pyacq(&pr);
        }
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    long base_count = argc > 1 ? atol(argv[1]) : getenv("LAT_CHUNKS") ? atol(getenv("LAT_CHUNKS")) : 4000;
    if (base_count < WARMUP + 100) base_count = WARMUP + 100;
    only = getenv("LAT_ONLY");
    if (getenv("LAT_ROUNDS") && atoi(getenv("LAT_ROUNDS")) > 0) rounds = atoi(getenv("LAT_ROUNDS"));
    if (only != NULL && only[0] == '\0') only = NULL;
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("# latency: libpyacq %s, libzmq %d.%d.%d; %d-channel float32; paced sends, producer and consumer in two"
           " processes (inproc: two threads)\n", pyacq_version(), major, minor, patch, NCHAN);

    /* The floor first, before any thread exists in this process (it forks without exec). */
    pace_t wake_pace = pace_for(16, base_count);
    stats_t futex_floor = {0}, eventfd_floor = {0};
    int have_floor = selected("wake");
    if (have_floor) {
        result_t r = run_wake(0, &wake_pace);
        futex_floor = summarize("wake_futex", &r);
        r = run_wake(1, &wake_pace);
        eventfd_floor = summarize("wake_eventfd", &r);
    }

    static const int sizes[] = {16, 1024, 16384};
    static const char *protos[] = {"tcp", "ipc", "inproc"};
    int64_t t_start = now_ns();
    stats_t zmq_tcp16 = {0};
    for (int si = 0; si < 3; si++) {
        int n = sizes[si];
        pace_t pc = pace_for(n, base_count);
        stats_t ztcp = {0}; /* sharedmem's baseline: raw libzmq over tcp, this size */
        for (int p = 0; p < 3; p++) {
            variant_t vs[MAX_VARIANTS];
            int nv = variants_for(vs, protos[p], n);
            if (nv == 0) continue;
            run_rounds(vs, nv, protos[p], &pc);
            stats_t st[MAX_VARIANTS];
            for (int v = 0; v < nv; v++) st[v] = summarize(vs[v].name, &vs[v].pooled);
            if (p == 0) ztcp = st[0];
            if (si == 0 && p == 0) zmq_tcp16 = st[0];
            for (int v = 1; v < nv; v++) {
                char tname[64];
                snprintf(tname, sizeof tname, "zmq_tcp_%d", n);
                int shm = strcmp(vs[v].mode, "sharedmem") == 0;
                report(vs[v].name, &st[v], shm ? tname : vs[0].name, shm ? &ztcp : &st[0]);
            }
        }
    }
    if (have_floor && zmq_tcp16.n > 0) {
        report("wake_futex", &futex_floor, "zmq_tcp_16", &zmq_tcp16);
        report("wake_eventfd", &eventfd_floor, "zmq_tcp_16", &zmq_tcp16);
    }
    printf("# latency total %.1f s%s\n", (double)(now_ns() - t_start) / 1e9, failures ? "; SOME CHUNKS WERE LOST OR A RUN FAILED" : "");
    return failures ? 1 : 0;
}
