#!/usr/bin/env bash
# Audio/video device benchmarks (run by `make bench`): each figure from pyacq-av-bench is printed
# next to a baseline measured in the same run — the ffmpeg tool doing the same decode or encode,
# and JACK's period for the audio latency.
# Usage: benchmarks/av_bench.sh <pyacq-av-bench executable>
set -euo pipefail
BENCH="$1"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/pyacq-av-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
result() { "$@" | awk '/^result:/ {print $3}' | tail -1; }
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2f' % (a / b if b else 0))" "$1" "$2"; }

# 1. decode + convert 640x480 testsrc to rgb24.
FRAMES=600
mine=$(result "$BENCH" decode $FRAMES)
t0=$(now)
ffmpeg -v error -nostdin -f lavfi -i testsrc=size=640x480:rate=30 -frames:v $FRAMES -f rawvideo -pix_fmt rgb24 - | cat > /dev/null
t1=$(now)
theirs=$(python3 -c "print($FRAMES / ($t1 - $t0))")
echo "bench: webcamav-decode-640x480-fps value=$(printf %.1f "$mine") baseline=ffmpeg-rawvideo-rgb24-fps:$(printf %.1f "$theirs") ratio=$(ratio "$mine" "$theirs")"

# 2. encode the same frames with ffv1 and h264 (libx264 defaults, yuv420p).
ENC_FRAMES=150
ffmpeg -v error -nostdin -f lavfi -i testsrc=size=640x480:rate=30 -frames:v $ENC_FRAMES -f rawvideo -pix_fmt rgb24 "$tmp/frames.rgb"
for codec in ffv1 h264; do
  mine=$(result "$BENCH" encode $codec "$tmp/frames.rgb" $ENC_FRAMES)
  if [ "$codec" = h264 ]; then args=(-c:v libx264 -pix_fmt yuv420p); else args=(-c:v ffv1); fi
  t0=$(now)
  ffmpeg -v error -nostdin -f rawvideo -pix_fmt rgb24 -s 640x480 -r 30 -i "$tmp/frames.rgb" "${args[@]}" -y "$tmp/ref.avi"
  t1=$(now)
  theirs=$(python3 -c "print($ENC_FRAMES / ($t1 - $t0))")
  echo "bench: avirecorder-encode-$codec-640x480-fps value=$(printf %.1f "$mine") baseline=ffmpeg-encode-$codec-fps:$(printf %.1f "$theirs") ratio=$(ratio "$mine" "$theirs")"
done

# 3. audio capture -> consumer latency against JACK's period (256 frames at 48 kHz).
out=$("$BENCH" latency 5)
median=$(echo "$out" | awk '/latency-median-ms/ {print $3}')
p99=$(echo "$out" | awk '/latency-p99-ms/ {print $3}')
period=$(echo "$out" | awk '/jack-period-ms/ {print $3}')
echo "bench: pyaudio-capture-latency-median-ms value=$(printf %.3f "$median") baseline=jack-period-ms:$(printf %.3f "$period") ratio=$(ratio "$median" "$period")"
echo "bench: pyaudio-capture-latency-p99-ms value=$(printf %.3f "$p99") baseline=jack-period-ms:$(printf %.3f "$period") ratio=$(ratio "$p99" "$period")"
