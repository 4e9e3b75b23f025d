#!/usr/bin/env bash
# MATLAB binding tests, run with GNU Octave (octave-cli).
#   tests/matlab/run.sh [FILTER]     FILTER: run only tests whose name contains it
# Builds the MEX gateway into build/matlab from bindings/matlab/pyacq_mex.c against a snapshot
# of build/lib/libpyacq.so (run `make lib` first), runs tests/matlab/test_streams.m, then checks
# that Octave exits cleanly while handles are still live. The last line is always
#   matlab-tests: N passed, M failed
# and the exit code is non-zero if anything failed (including an Octave crash).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
FILTER=${1:-}
OUT=$ROOT/build/matlab
LOG=$OUT/test.log
OCTAVE=${OCTAVE:-octave-cli}
mkdir -p "$OUT"

finish() { # passed failed
  echo "matlab-tests: $1 passed, $2 failed"
  [ "$2" -eq 0 ] && [ "$1" -gt 0 ]
  exit $?
}

if ! command -v "$OCTAVE" >/dev/null; then
  echo "FAIL setup: $OCTAVE not found (scripts/install-deps.sh --with-octave)"
  finish 0 1
fi
if [ ! -e "$ROOT/build/lib/libpyacq.so" ]; then
  echo "FAIL setup: build/lib/libpyacq.so missing (make lib)"
  finish 0 1
fi

# Test against a snapshot of the library: `make lib` copies over build/lib/libpyacq.so.* in
# place, which would crash (SIGBUS/SIGSEGV) an Octave that has it mapped, should another
# build run during the tests. The snapshot is replaced atomically (mv), never overwritten.
LIBSNAP=$OUT/lib
mkdir -p "$LIBSNAP"
cp -L "$ROOT/build/lib/libpyacq.so" "$LIBSNAP/.libpyacq.so.tmp" && mv -f "$LIBSNAP/.libpyacq.so.tmp" "$LIBSNAP/libpyacq.so.0"
ln -sf libpyacq.so.0 "$LIBSNAP/libpyacq.so"

OCT=("$OCTAVE" --no-gui --norc --quiet --no-window-system)
PATHS="addpath('$ROOT/bindings/matlab'); addpath('$OUT'); addpath('$ROOT/tests/matlab');"

# 1. build the gateway (warnings are errors for our own source)
if ! "${OCT[@]}" --eval "addpath('$ROOT/bindings/matlab'); setenv('CFLAGS', [getenv('CFLAGS') ' -Wall -Wextra -Werror']); build_mex('OutDir', '$OUT', 'LibDir', '$LIBSNAP', 'IncludeDir', '$ROOT/include');"; then
  echo "FAIL build: build_mex failed"
  finish 0 1
fi

# 2. the test suite (each test prints PASS/FAIL; a crash shows as a missing summary)
"${OCT[@]}" --eval "$PATHS n = test_streams('$FILTER'); exit(n > 0);" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
passed=$(grep -c '^PASS ' "$LOG")
failed=$(grep -c '^FAIL ' "$LOG")
if ! grep -q '^test_streams: ' "$LOG"; then
  echo "FAIL octave: the suite did not finish (exit status $status: crash?)"
  failed=$((failed + 1))
elif [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "FAIL octave: exit status $status"
  failed=$((failed + 1))
fi

# 3. Octave exits cleanly (mexAtExit) with live streams, a shared ring and raw handles
if [ -z "$FILTER" ]; then
  EXIT_SCRIPT="$PATHS
    o = pyacq.OutputStream(); o.configure(tcp_params('float32', [-1 2], 'transfermode', 'sharedmem', 'buffer_size', 64));
    i = pyacq.InputStream(); i.connect(o); o.waitForSubscribers(1, 10000); o.send(single([1 2]));
    raw = pyacq_mex('output_create'); ring = pyacq_mex('ringbuffer_create', '{\"shape\": [4, 1]}');
    t = pyacq_mex('input_create'); pyacq_mex('input_connect', t, o.paramsJson());
    global keep; keep = {o, i};
    disp('exiting with live handles'); exit(0);"
  if timeout 60 "${OCT[@]}" --eval "$EXIT_SCRIPT" >"$OUT/exit.log" 2>&1 && grep -q 'exiting with live handles' "$OUT/exit.log"; then
    echo "PASS exit with live handles"
    passed=$((passed + 1))
  else
    echo "FAIL exit with live handles: $(tail -5 "$OUT/exit.log")"
    failed=$((failed + 1))
  fi
fi

finish "$passed" "$failed"
