#!/usr/bin/env bash
# Builds pyacq-fuzz with libFuzzer + AddressSanitizer and runs it for SECONDS seconds over the
# committed corpus (fuzz/corpus). New interesting inputs go to build/fuzz-corpus (MERGE=1 folds
# them into fuzz/corpus). A crash leaves build/fuzz-artifacts/crash-* and a non-zero exit.
#   scripts/fuzz.sh [SECONDS]     (make fuzz-smoke: 20, make fuzz: 600)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
SECONDS_TOTAL=${1:-20}
swift build -c release --scratch-path .build-fuzz --product pyacq-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DPYACQ_LIBFUZZER >/dev/null
BIN=.build-fuzz/release/pyacq-fuzz
mkdir -p build/fuzz-corpus build/fuzz-artifacts
# -detect_leaks=0: values cached for the process lifetime (ZeroMQ context) are not leaks.
status=0
"$BIN" -max_total_time="$SECONDS_TOTAL" -timeout=10 -rss_limit_mb=4096 -detect_leaks=0 -print_final_stats=1 \
  -artifact_prefix=build/fuzz-artifacts/ build/fuzz-corpus fuzz/corpus >build/fuzz.log 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  grep -E "==[0-9]+==ERROR|SUMMARY|Fatal error|deadly signal|Test unit written" build/fuzz.log | head -20
  echo "pyacq-fuzz found a problem (see build/fuzz.log, build/fuzz-artifacts)"
  exit "$status"
fi
if [ "${MERGE:-0}" = 1 ]; then "$BIN" -merge=1 fuzz/corpus build/fuzz-corpus >/dev/null 2>&1; fi
echo "fuzz: $(grep -o 'stat::number_of_executed_units: [0-9]*' build/fuzz.log | awk '{print $2}') executions in ${SECONDS_TOTAL} s, no finding"
