#!/usr/bin/env bash
# bench/cost.sh: the generator's CPU per request served, scalebench against
# the load generators people use, on the same local target, in one go.
#
# scalebench usually shares its host with the system it measures, so every
# microsecond of CPU it spends per request is taken from the target. Raw
# rates on shared cores swing by ±30% between runs; CPU per request served
# is steadier.
#
# The echo target (`scalebench sut echo`, a Go net/http server on
# 127.0.0.1) is loaded in turn, DURATION seconds each, by:
#   wrk        -t2 -c CONNS                      (closed loop, the reference)
#   bombardier -c CONNS                          (closed loop, fasthttp)
#   hey        -c CONNS -z DURATION              (closed loop, net/http)
#   sb-closed  scalebench load --users CONNS     (closed loop)
#   sb-open    scalebench load --rate RATE       (open loop)
#   vegeta     vegeta attack -rate RATE          (open loop)
# Each runs under /usr/bin/time; its CPU (user + system, process start
# included) is divided by the requests the target counted (its /count
# endpoint), so a tool that over-reports or fails requests gains nothing.
# scalebench runs with every recording feature on: per-endpoint
# HdrHistograms, per-second series, error grouping, --json, --csv and --hlog.
#
# The tools run ROUNDS times, in a new shuffled order each round, so that
# none always follows the same one. Printed: per tool the median CPU per request and its spread
# (min–max over rounds), the median requests served per second, and the
# ratio to wrk (of the medians, and the median of each round's ratio).
# Targets (issue 16): sb-closed ≤ 1.2× wrk; sb-open ≤ 40 µs per request.
#
# Installs what is missing: wrk, hey and time from Debian (apt-get),
# bombardier and vegeta with `go install` at pinned versions.
#
# SCALEBENCH=path uses that scalebench binary instead of building the
# tree; BASELINE=path adds base-closed and base-open, the same two runs
# with another build (e.g. the previous commit's), for a before/after in
# one run.
#
# Usage: bench/cost.sh      ROUNDS=5 DURATION=10 CONNS=64 RATE=5000 PORT=18091 bench/cost.sh
set -euo pipefail

duration=${DURATION:-10}
conns=${CONNS:-64}
rate=${RATE:-5000}
port=${PORT:-18091}
rounds=${ROUNDS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/bench/out/cost
url=http://127.0.0.1:$port/
mkdir -p "$out"

# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v hey >/dev/null || missing+=(hey)
command -v curl >/dev/null || missing+=(curl)
[ -x /usr/bin/time ] || missing+=(time)
apt_install "${missing[@]}"
bombardier=$(go_tool bombardier github.com/codesenberg/bombardier@v1.2.6)
vegeta=$(go_tool vegeta github.com/tsenart/vegeta/v12@v12.13.0)
build_scalebench
base=${BASELINE:-}
start_echo "127.0.0.1:$port"

# run_tool NAME: runs the tool once under /usr/bin/time, prints
# "NAME cpu_seconds served".
run_tool() {
	local name=$1 before after
	local t=(/usr/bin/time -f '%U %S' -o "$out/$name.time")
	before=$(count)
	case $name in
	wrk) "${t[@]}" wrk -t2 -c"$conns" -d"${duration}s" "$url" >"$out/wrk.txt" ;;
	bombardier) "${t[@]}" "$bombardier" -c "$conns" -d "${duration}s" -p r "$url" >"$out/bombardier.txt" ;;
	hey) "${t[@]}" hey -z "${duration}s" -c "$conns" "$url" >"$out/hey.txt" ;;
	sb-closed | base-closed)
		local bin=$sb
		[ "$name" = sb-closed ] || bin=$base
		"${t[@]}" "$bin" load --url "$url" --users "$conns" --duration "${duration}s" \
			--json "$out/$name.json" --csv "$out/$name" --hlog "$out/$name.hlog" >"$out/$name.txt" 2>&1
		;;
	sb-open | base-open)
		local bin=$sb
		[ "$name" = sb-open ] || bin=$base
		"${t[@]}" "$bin" load --url "$url" --rate "$rate" --duration "${duration}s" \
			--json "$out/$name.json" --csv "$out/$name" --hlog "$out/$name.hlog" >"$out/$name.txt" 2>&1
		;;
	vegeta)
		echo "GET $url" | "${t[@]}" "$vegeta" attack -rate "$rate" -duration "${duration}s" >"$out/vegeta.bin"
		;;
	esac
	after=$(count)
	awk -v n="$name" -v d="$((after - before))" '{printf "%s %.3f %d\n", n, $1 + $2, d}' "$out/$name.time"
}

tools=(wrk sb-closed bombardier sb-open hey vegeta)
[ -z "$base" ] || tools+=(base-closed base-open)
results=$out/results.txt
: >"$results"
up_start=$(uptime)
log "uptime: $up_start"
for r in $(seq "$rounds"); do
	# A new order each round (shuffled, seeded by the round), so that no
	# tool always follows the same one: what ran before leaves the target
	# and the kernel in a different state.
	for t in $(printf '%s\n' "${tools[@]}" | awk -v seed="$r" 'BEGIN {srand(seed)} {print rand() "\t" $0}' | sort -n | cut -f2); do
		log "round $r: $t (${duration}s)"
		run_tool "$t" | tee -a "$results" >&2
		sleep 1
	done
done
up_end=$(uptime)

echo
echo "CPU per request served (user+system CPU from /usr/bin/time / requests counted by the target),"
echo "$rounds rounds of ${duration}s, $conns connections (closed loop) or $rate req/s (open loop):"
echo "  start: $up_start"
echo "  end:   $up_end"
awk -v secs="$duration" '{r = ++runs[$1]; c = 1e6 * $2 / $3; cpr[$1] = cpr[$1] " " c; srv[$1] = srv[$1] " " $3 / secs; per[$1, r] = c
		if (!($1 in seen)) {order[++n] = $1; seen[$1] = 1}}
	function sorted(s, a,   k, i, j, t) {
		k = split(s, a, " ")
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) {t = a[i]; a[i] = a[j]; a[j] = t}
		return k
	}
	function median(s,   a, k) { k = sorted(s, a); return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
	function lo(s,   a) { sorted(s, a); return a[1] }
	function hi(s,   a) { return a[sorted(s, a)] }
	END {
		printf "  %-11s %15s %17s %12s %10s %12s\n", "tool", "µs/request", "spread", "served/s", "vs wrk", "per round"
		for (i = 1; i <= n; i++) {
			t = order[i]; m = median(cpr[t])
			rs = ""
			for (r = 1; r <= runs[t]; r++) if (runs["wrk"] >= r) rs = rs " " per[t, r] / per["wrk", r]
			printf "  %-11s %14.1f %8.1f–%-8.1f %12.0f %9.2fx %11.2fx\n", t, m, lo(cpr[t]), hi(cpr[t]), median(srv[t]), m / median(cpr["wrk"]), median(rs)
		}
		print ""
		print "Targets: sb-closed <= 1.2x wrk; sb-open <= 40 µs per request."
	}' "$results"
echo "Raw outputs: $out"
