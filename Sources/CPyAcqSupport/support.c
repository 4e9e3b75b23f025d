#include "pyacq_support.h"
#include <stdlib.h>

// The C ABI's per-thread last error. Kept in C because Swift has no thread-local storage
// without Foundation. Prefixed libpyacq_ (not pyacq_) so the export map keeps it private.
static __thread char *last_error = NULL;

void libpyacq_set_last_error(const char *message) {
    free(last_error);
    last_error = message ? strdup(message) : NULL;
}

const char *libpyacq_last_error(void) {
    return last_error ? last_error : "";
}
