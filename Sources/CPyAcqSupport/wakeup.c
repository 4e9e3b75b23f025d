#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "pyacq_wakeup.h"

// Swift cannot call the variadic syscall(); these two wrap the futex calls it needs.

int libpyacq_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
    struct timespec ts, *tp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000LL;
        ts.tv_nsec = timeout_ns % 1000000000LL;
        tp = &ts;
    }
    long rc = syscall(SYS_futex, word, FUTEX_WAIT, expected, tp, NULL, 0);
    if (rc == 0) return 0;
    if (errno == EAGAIN) return 0;  // the word already changed
    return errno;
}

int libpyacq_futex_wake_all(uint32_t *word) {
    return (int)syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}
