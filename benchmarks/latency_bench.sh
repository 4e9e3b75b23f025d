#!/usr/bin/env bash
# One-way latency benchmark (run by `make bench`, after `make lib`): builds
# benchmarks/latency_bench.c with gcc -O2 against build/lib/libpyacq.so and libzmq, runs it in a
# temporary directory (ipc pipes are created there) and prints its "bench: ..." lines.
# Arguments are passed on: [chunks per run (default 4000)]; $LAT_ONLY=<substring> selects runs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIBDIR="$ROOT/build/lib"
if [ ! -e "$LIBDIR/libpyacq.so" ]; then
  echo "benchmarks/latency_bench.sh: $LIBDIR/libpyacq.so is missing; run 'make lib' first" >&2
  exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pyacq-latency.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/run" "$tmp/lib"
# A private copy of the library: a `make lib` meanwhile cannot swap it under the benchmark.
cp "$(readlink -f "$LIBDIR/libpyacq.so")" "$tmp/lib/libpyacq.so.0"
ln -s libpyacq.so.0 "$tmp/lib/libpyacq.so"

# shellcheck disable=SC2046
gcc -std=c11 -O2 -Wall -Wextra -pthread "$ROOT/benchmarks/latency_bench.c" -o "$tmp/latency_bench" \
  -I"$ROOT/include" -L"$tmp/lib" -lpyacq -Wl,-rpath,"$tmp/lib" $(pkg-config --cflags --libs libzmq)

cd "$tmp/run"
echo "# $(uname -srm), $(nproc) CPU(s): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
TMPDIR="$tmp/run" "$tmp/latency_bench" "$@"
