/* Checks shared by the C tests: EXPECT counts a failed expectation and goes on, REQUIRE_OK stops
 * the program when a call the rest depends on fails. Each test prints "<name>: N passed, M failed". */
#ifndef PYACQ_TEST_CHECK_H
#define PYACQ_TEST_CHECK_H
#include <pyacq.h>
#include <stdio.h>
#include <stdlib.h>

static int passed = 0, failed = 0;

#define EXPECT(cond, ...)                                                                  \
    do {                                                                                   \
        if (cond) {                                                                        \
            passed++;                                                                      \
        } else {                                                                           \
            failed++;                                                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                           \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fprintf(stderr, " (last error: %s)\n", pyacq_last_error());                    \
        }                                                                                  \
    } while (0)

#define REQUIRE_OK(call)                                                                   \
    do {                                                                                   \
        int rc_ = (call);                                                                  \
        if (rc_ != PYACQ_OK) {                                                             \
            fprintf(stderr, "FATAL %s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #call,      \
                    pyacq_status_name(rc_), pyacq_last_error());                           \
            exit(2);                                                                       \
        }                                                                                  \
    } while (0)

static int summary(const char *name) {
    printf("%s: %d passed, %d failed\n", name, passed, failed);
    return failed == 0 ? 0 : 1;
}

#endif
