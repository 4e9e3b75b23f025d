#!/usr/bin/env bash
# MATLAB binding tests, run with GNU Octave (octave-cli).
#   tests/matlab/run.sh [FILTER]     FILTER: run only tests whose name contains it
# Builds the MEX gateway (bindings/matlab: pyacq_mex.c and mex_*.c) into build/matlab against a snapshot
# of build/lib/libpyacq.so (run `make lib` first), runs tests/matlab/test_streams.m (streams, ring
# buffers) and tests/matlab/test_remote.m (Manager, node groups, nodes: spawns build/bin/
# pyacq-nodegroup), then checks that Octave exits cleanly while handles are still live. The last
# line is always
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

# 2. the test suites, each in its own Octave (each test prints PASS/FAIL; a crash shows as a
#    missing summary line). test_remote spawns pyacq-nodegroup (and pyacq-host) processes: the
#    library snapshot has no ../bin, so the executable is given by the environment -- a
#    snapshot too (build/matlab/bin), taken with the library's.
if [ -z "${PYACQ_NODEGROUP_EXECUTABLE:-}" ]; then
  mkdir -p "$OUT/bin"
  for p in pyacq-nodegroup pyacq-host; do
    if [ -x "$ROOT/build/bin/$p" ]; then
      cp -L "$ROOT/build/bin/$p" "$OUT/bin/.$p.tmp" && mv -f "$OUT/bin/.$p.tmp" "$OUT/bin/$p"
    fi
  done
  export PYACQ_NODEGROUP_EXECUTABLE=$OUT/bin/pyacq-nodegroup
fi
: >"$LOG"
passed=0
failed=0
for suite in test_streams test_remote test_local; do
  SUITE_LOG=$OUT/$suite.log
  if [ "$suite" = test_remote ] && [ ! -x "$PYACQ_NODEGROUP_EXECUTABLE" ]; then
    echo "FAIL $suite: $PYACQ_NODEGROUP_EXECUTABLE missing (make lib)" | tee "$SUITE_LOG"
  else
    timeout 600 "${OCT[@]}" --eval "$PATHS n = $suite('$FILTER'); exit(n > 0);" 2>&1 | tee "$SUITE_LOG"
    status=${PIPESTATUS[0]}
    if ! grep -q "^$suite: " "$SUITE_LOG"; then
      echo "FAIL octave: $suite did not finish (exit status $status: crash?)" | tee -a "$SUITE_LOG"
    elif [ "$status" -ne 0 ] && ! grep -q '^FAIL ' "$SUITE_LOG"; then
      echo "FAIL octave: $suite exit status $status" | tee -a "$SUITE_LOG"
    fi
  fi
  cat "$SUITE_LOG" >>"$LOG"
  passed=$((passed + $(grep -c '^PASS ' "$SUITE_LOG")))
  failed=$((failed + $(grep -c '^FAIL ' "$SUITE_LOG")))
done

# 3. Octave exits cleanly (mexAtExit) with live streams, a shared ring, raw handles and a
#    manager with a node group: the node group process ends with it
if [ -z "$FILTER" ]; then
  EXIT_SCRIPT="$PATHS
    o = pyacq.OutputStream(); o.configure(tcp_params('float32', [-1 2], 'transfermode', 'sharedmem', 'buffer_size', 64));
    i = pyacq.InputStream(); i.connect(o); o.waitForSubscribers(1, 10000); o.send(single([1 2]));
    raw = pyacq_mex('output_create'); ring = pyacq_mex('ringbuffer_create', '{\"shape\": [4, 1]}');
    t = pyacq_mex('input_create'); pyacq_mex('input_connect', t, o.paramsJson());
    man = pyacq.Manager('local'); ng = man.createNodeGroup(); node = ng.createNode('SosFilter');
    printf('nodegroup pid %d\n', ng.pid());
    global keep; keep = {o, i, man, ng, node};
    disp('exiting with live handles'); exit(0);"
  ok=0
  if timeout 60 "${OCT[@]}" --eval "$EXIT_SCRIPT" >"$OUT/exit.log" 2>&1 && grep -q 'exiting with live handles' "$OUT/exit.log"; then
    ok=1
    ngpid=$(sed -n 's/^nodegroup pid \([0-9]*\)$/\1/p' "$OUT/exit.log")
    # bounded polling: the node group was told to close by the manager's destruction at exit
    for _ in $(seq 100); do
      [ -n "$ngpid" ] && [ -e "/proc/$ngpid" ] && [ "$(cut -d' ' -f3 "/proc/$ngpid/stat" 2>/dev/null)" != Z ] || break
      sleep 0.05
    done
    if [ -z "$ngpid" ] || { [ -e "/proc/$ngpid" ] && [ "$(cut -d' ' -f3 "/proc/$ngpid/stat" 2>/dev/null)" != Z ]; }; then
      ok=0
      echo "node group process '$ngpid' still alive after Octave exited" >>"$OUT/exit.log"
      [ -n "$ngpid" ] && kill "$ngpid" 2>/dev/null
    fi
  fi
  if [ "$ok" -eq 1 ]; then
    echo "PASS exit with live handles (node group process ended too)"
    passed=$((passed + 1))
  else
    echo "FAIL exit with live handles: $(tail -5 "$OUT/exit.log")"
    failed=$((failed + 1))
  fi
fi

finish "$passed" "$failed"
