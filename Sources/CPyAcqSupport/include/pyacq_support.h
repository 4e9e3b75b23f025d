// Small C helpers that Swift cannot express directly.
#ifndef PYACQ_SUPPORT_H
#define PYACQ_SUPPORT_H
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <errno.h>
#include "pyacq_wakeup.h"

// The shared-memory header holds two native int64 indexes written by one process and read by
// others; Swift's Atomic cannot live at an arbitrary address in a mapped file, so these do.
static inline int64_t pyacq_atomic_load_acquire(const int64_t *p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline void pyacq_atomic_store_release(int64_t *p, int64_t v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
// Seqlock-style ordering for ring buffers: the writer publishes the write index, fences, then
// overwrites rows; a reader copies rows, fences, then re-reads the write index.
static inline void pyacq_thread_fence_acquire(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void pyacq_thread_fence_release(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }

// glibc's memcpy is ~10x slower for 16-256 KiB copies when the destination is not 32-byte
// aligned (the shared-memory data area starts at byte 16): copy a short head first so the bulk
// of the copy starts on a 64-byte boundary of the destination.
static inline void pyacq_copy_bytes(void *dst, const void *src, size_t n) {
    uintptr_t misalign = (uintptr_t)dst & 63u;
    if (n >= 4096 && misalign != 0) {
        size_t head = 64u - misalign;
        memcpy(dst, src, head);
        memcpy((char *)dst + head, (const char *)src + head, n - head);
    } else {
        memcpy(dst, src, n);
    }
}

static inline int pyacq_errno(void) { return errno; }


void libpyacq_set_last_error(const char *message, const char *type, const char *traceback);
const char *libpyacq_last_error(void);
const char *libpyacq_last_error_type(void);
const char *libpyacq_last_error_traceback(void);
void libpyacq_set_thread_name(const char *name);
const char *libpyacq_module_path(void);

#endif
