/* Baseline for the OpenBCI decode benchmark (benchmarks/eeg_bench.py): a plain C loop over the
 * same Cyton packet stream as pyacq-device-bench, in 64 KiB reads: find the start byte, check
 * the end byte, sign-extend the eight 24-bit big-endian channels, read the three aux values.
 * Prints `packets_per_s=<rate> checksum=<sum of channel counts>`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The simulator's counts (OpenBCITestSignal.count). */
static int32_t count(long k, int c) {
    if (k % 16 == 5) return 8323072 + (int32_t)(k % 4096 * 16 + c);
    if (k % 16 == 6) return -8388608 + (int32_t)(k % 4096 * 16 + c);
    return (int32_t)((k % 16777216 * 7919 + c * 1000003L) % 16777216) - 8388608;
}

int main(int argc, char **argv) {
    long packets = argc > 1 ? atol(argv[1]) : 1000000;
    size_t size = (size_t)packets * 33;
    uint8_t *stream = malloc(size), *pending = malloc(65536 + 33);
    int32_t *chan = malloc(sizeof(int32_t) * 8 * (65536 / 33 + 2));
    int16_t *aux = malloc(sizeof(int16_t) * 3 * (65536 / 33 + 2));
    for (long k = 0; k < packets; k++) {
        uint8_t *p = stream + k * 33;
        p[0] = 0xA0; p[1] = (uint8_t)k;
        for (int c = 0; c < 8; c++) {
            uint32_t u = (uint32_t)count(k, c);
            p[2 + 3 * c] = u >> 16; p[3 + 3 * c] = u >> 8; p[4 + 3 * c] = u;
        }
        for (int a = 0; a < 3; a++) {
            uint16_t v = (uint16_t)(int16_t)(k * 13 + a * 1000 - 1500);
            p[26 + 2 * a] = v >> 8; p[27 + 2 * a] = v;
        }
        p[32] = 0xC0;
    }
    double best = 0;
    long long checksum = 0;
    for (int rep = 0; rep < 5; rep++) {
        long decoded = 0, skipped = 0;
        long long sum = 0;
        size_t have = 0;
        double t0 = now();
        for (size_t off = 0; off < size; off += 65536) {
            size_t n = size - off < 65536 ? size - off : 65536;
            memcpy(pending + have, stream + off, n);
            have += n;
            size_t i = 0, rows = 0;
            while (i + 33 <= have) {
                if (pending[i] != 0xA0 || (pending[i + 32] & 0xF0) != 0xC0) { skipped++; i++; continue; }
                const uint8_t *p = pending + i;
                for (int c = 0; c < 8; c++)
                    chan[rows * 8 + c] = (int32_t)((uint32_t)p[2 + 3 * c] << 24 | (uint32_t)p[3 + 3 * c] << 16 | (uint32_t)p[4 + 3 * c] << 8) >> 8;
                for (int a = 0; a < 3; a++) aux[rows * 3 + a] = (int16_t)(p[26 + 2 * a] << 8 | p[27 + 2 * a]);
                rows++; decoded++; i += 33;
            }
            for (size_t r = 0; r < rows * 8; r++) sum += chan[r];
            memmove(pending, pending + i, have - i);
            have -= i;
        }
        double rate = decoded / (now() - t0);
        if (rate > best) best = rate;
        checksum = sum;
        if (skipped) fprintf(stderr, "skipped %ld bytes\n", skipped);
    }
    printf("packets_per_s=%ld checksum=%lld\n", (long)best, checksum);
    return 0;
}
