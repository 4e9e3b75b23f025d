// Futex wake-up for shared-memory streams (a word in a page shared by producer and consumers).
#ifndef PYACQ_WAKEUP_H
#define PYACQ_WAKEUP_H
#include <stdint.h>

// Sequentially consistent operations on the 32-bit futex word and the waiter count: the
// producer bumps the word then reads the count, a consumer bumps the count then re-reads the
// word, so one of them always sees the other (no lost wake-up).
static inline uint32_t pyacq_u32_load(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline uint32_t pyacq_u32_add(uint32_t *p, uint32_t v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
static inline uint32_t pyacq_u32_sub(uint32_t *p, uint32_t v) { return __atomic_sub_fetch(p, v, __ATOMIC_SEQ_CST); }
static inline void pyacq_fence_seq_cst(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void pyacq_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

// Waits while *word == expected, at most timeout_ns (< 0: no limit). Returns 0 when woken or
// the word differs, ETIMEDOUT, or EINTR. Shared (not PRIVATE) futexes: the word lives in a
// file mapped by several processes.
int libpyacq_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns);
// Wakes every waiter on the word; returns how many were woken (or -1).
int libpyacq_futex_wake_all(uint32_t *word);

#endif
