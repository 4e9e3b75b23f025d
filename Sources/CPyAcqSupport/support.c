#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include "pyacq_support.h"

// The C ABI's per-thread last error. Kept in C because Swift has no thread-local storage
// without Foundation. Prefixed libpyacq_ (not pyacq_) so the export map keeps it private.
// The last failure of this thread: message, exception type, remote traceback.
static __thread char *last_error = NULL;
static __thread char *last_error_type = NULL;
static __thread char *last_error_traceback = NULL;

static void replace(char **slot, const char *text) {
    free(*slot);
    *slot = text ? strdup(text) : NULL;
}

void libpyacq_set_last_error(const char *message, const char *type, const char *traceback) {
    replace(&last_error, message);
    replace(&last_error_type, type);
    replace(&last_error_traceback, traceback);
}

const char *libpyacq_last_error(void) { return last_error ? last_error : ""; }
const char *libpyacq_last_error_type(void) { return last_error_type ? last_error_type : ""; }
const char *libpyacq_last_error_traceback(void) { return last_error_traceback ? last_error_traceback : ""; }

// pthread_setname_np needs _GNU_SOURCE, which Swift's Glibc module does not define.
void libpyacq_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = 0;
    pthread_setname_np(pthread_self(), truncated);
}

// The file this code was loaded from (libpyacq.so, or the executable it is linked into):
// spawned helper programs are looked up next to it.
const char *libpyacq_module_path(void) {
    Dl_info info;
    if (dladdr((void *)&libpyacq_module_path, &info) && info.dli_fname) return info.dli_fname;
    return "";
}
