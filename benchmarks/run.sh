#!/usr/bin/env bash
# Stream throughput benchmark (run by `make bench`, after `make lib`): builds
# benchmarks/stream_bench.c with gcc -O2 against build/lib/libpyacq.so and libzmq, runs it in a
# temporary directory (ipc pipes are created in the working directory, shared-memory files in
# $TMPDIR) and prints its "bench: ..." lines. Arguments are passed on to stream_bench:
# [seconds_per_run (default 0.2)] [repetitions (default 5)]; environment knobs are described at
# the top of stream_bench.c. BENCH_PROGRAM=latency_bench builds and runs
# benchmarks/latency_bench.c the same way instead (one-way latency; its arguments and knobs are
# described at its top).
set -euo pipefail
PROGRAM="${BENCH_PROGRAM:-stream_bench}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIBDIR="$ROOT/build/lib"
if [ ! -e "$LIBDIR/libpyacq.so" ]; then
  echo "benchmarks/run.sh: $LIBDIR/libpyacq.so is missing; run 'make lib' first" >&2
  exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pyacq-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/run" "$tmp/lib"

# Run against a private copy of the library, so a `make lib` run meanwhile (another shell, a
# concurrent test job) cannot swap or rewrite it under the benchmark.
cp "$(readlink -f "$LIBDIR/libpyacq.so")" "$tmp/lib/libpyacq.so.0"
ln -s libpyacq.so.0 "$tmp/lib/libpyacq.so"

# shellcheck disable=SC2046
gcc -std=c11 -O2 -Wall -Wextra -pthread "$ROOT/benchmarks/$PROGRAM.c" -o "$tmp/$PROGRAM" \
  -I"$ROOT/include" -L"$tmp/lib" -lpyacq -Wl,-rpath,"$tmp/lib" $(pkg-config --cflags --libs libzmq)

cd "$tmp/run"
echo "# $(uname -srm), $(nproc) CPU(s): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
TMPDIR="$tmp/run" "$tmp/$PROGRAM" "$@"
