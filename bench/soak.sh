#!/usr/bin/env bash
# bench/soak.sh: does the load generator leak over a long run?
#
# Starts the demo application as local processes (`scalebench sut api` in
# its default pool mode with 4 workers, and 3 `scalebench sut model`
# workers, all on 127.0.0.1: no Docker), then runs `scalebench load` with
# the demo's scenario (3 POST /predict : 1 GET /) in the open loop at RATE
# requests/s for DURATION. Every STEP seconds it samples the generator's
# resident memory (/proc/PID/status VmRSS) and its goroutines (the
# /debug/goroutines endpoint of `load --debug-addr`). At the end it prints
# the first and last samples and the least-squares slope of each per hour,
# leaving out the first WARM seconds (histograms and connections filling).
# Target: both slopes flat within noise.
#
# SCALEBENCH=path uses that binary instead of building the tree.
#
# Usage: bench/soak.sh      DURATION=1h RATE=12 STEP=10 WARM=60 PORT=18500 bench/soak.sh
set -euo pipefail

duration=${DURATION:-1h}
rate=${RATE:-12}
step=${STEP:-10}
warm=${WARM:-60}
port=${PORT:-18500}
debug=$((port + 1))
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/bench/out/soak
mkdir -p "$out"

bin=${SCALEBENCH:-$out/scalebench}
if [ -z "${SCALEBENCH:-}" ]; then
	(cd "$root" && go build -o "$bin" ./cmd/scalebench)
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

API_WORKERS=4 "$bin" sut api -addr "127.0.0.1:$port" >"$out/api.log" 2>&1 &
pids+=($!)
for i in 1 2 3; do
	"$bin" sut model -api "http://127.0.0.1:$port" -name "model-$i" >"$out/model-$i.log" 2>&1 &
	pids+=($!)
done
for _ in $(seq 1 50); do
	curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
	sleep 0.1
done

"$bin" load --url "http://127.0.0.1:$port/" --scenario "$root/experiments/demo.yaml" \
	--rate "$rate" --duration "$duration" --debug-addr "127.0.0.1:$debug" \
	--json "$out/cell.json" >"$out/load.txt" 2>"$out/load.err" &
gen=$!
pids+=($gen)

samples=$out/samples.tsv
printf 't_s\trss_kib\tgoroutines\n' >"$samples"
start=$(date +%s)
while kill -0 "$gen" 2>/dev/null; do
	sleep "$step"
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$gen/status" 2>/dev/null || true)
	gor=$(curl -fsS "http://127.0.0.1:$debug/debug/goroutines" 2>/dev/null || true)
	[ -n "$rss" ] && [ -n "$gor" ] || continue
	printf '%d\t%s\t%s\n' $(($(date +%s) - start)) "$rss" "$gor" >>"$samples"
done
wait "$gen" || { echo "soak: the load failed; see $out/load.err" >&2; exit 1; }

# The first and the last WARM seconds are left out: histograms and
# connections filling, then the open-loop slots ending and the results
# being written.
awk -v warm="$warm" 'NR > 1 { t[++m] = $1; r[m] = $2; g[m] = $3 }
END {
	for (i = 1; i <= m; i++) {
		if (t[i] < warm || t[i] > t[m] - warm) continue
		n++; sx += t[i]; sr += r[i]; sg += g[i]; sxx += t[i] * t[i]; sxr += t[i] * r[i]; sxg += t[i] * g[i]
		if (!lo) lo = i
		hi = i
	}
	if (n < 3) { print "soak: too few samples after the warm-up"; exit 1 }
	d = n * sxx - sx * sx
	printf "samples: %d from %d s to %d s (RSS %.1f → %.1f MiB, goroutines %d → %d)\n", n, t[lo], t[hi], r[lo] / 1024, r[hi] / 1024, g[lo], g[hi]
	printf "generator RSS slope: %+.1f MiB per hour (mean %.1f MiB)\n", (n * sxr - sx * sr) / d * 3600 / 1024, sr / n / 1024
	printf "goroutines slope:    %+.1f per hour (mean %.1f)\n", (n * sxg - sx * sg) / d * 3600, sg / n
}' "$samples"
tail -3 "$out/load.txt"
