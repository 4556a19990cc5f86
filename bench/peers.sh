#!/usr/bin/env bash
# bench/peers.sh: throughput and accuracy of `scalebench load` against the
# load generators people use, on the same local target, in one go.
#
# Throughput: the echo target (`scalebench sut echo`, a Go net/http server on
# 127.0.0.1) is loaded in turn by wrk, bombardier, hey, Locust (FastHttpUser)
# and scalebench, each with CONNS connections/users, zero wait, DURATION
# seconds. Every tool's rate is taken from its own report and from the
# requests the target counted (its /count endpoint) over the nominal
# duration. scalebench runs with everything on: per-endpoint HdrHistograms,
# per-second series, --json, --csv and --hlog output.
#
# Accuracy: against /delay?ms=50, wrk's p50 (--latency) and scalebench's p50.
#
# Prints each tool's rps, then the ratios scalebench/peer (targets: ≥ 0.85×
# wrk, ≥ 1.0× bombardier, ≥ 1.5× hey) and the p50 difference (target: ≤ 1 ms).
# With ROUNDS > 1 the tools run in turn ROUNDS times, in a rotated order,
# and the ratios use the medians.
#
# Scale (SCALE=1): 10,000 users with a 1 s wait for 60 s under /usr/bin/time
# -v; prints the mean users held, the rate and the generator's peak RSS.
#
# Installs what is missing: wrk, hey and python3-locust from Debian
# (apt-get), bombardier with `go install` (Debian's "bombardier" is a game).
#
# SCALEBENCH=path uses that scalebench binary instead of building the tree.
#
# Usage: bench/peers.sh      ROUNDS=3 DURATION=10 CONNS=64 PORT=18089 SCALE=1 bench/peers.sh
set -euo pipefail

duration=${DURATION:-10}
conns=${CONNS:-64}
port=${PORT:-18089}
rounds=${ROUNDS:-1}
scale=${SCALE:-0}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/bench/out/peers
url=http://127.0.0.1:$port/
mkdir -p "$out"
ulimit -n 65536 2>/dev/null || true # 10,000 users need 10,000 sockets on each side

# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v hey >/dev/null || missing+=(hey)
command -v curl >/dev/null || missing+=(curl)
[ -x /usr/bin/locust ] || missing+=(python3-locust)
[ "$scale" = 0 ] || [ -x /usr/bin/time ] || missing+=(time)
apt_install "${missing[@]}"
bombardier=$(go_tool bombardier github.com/codesenberg/bombardier@v1.2.6)
build_scalebench
start_echo "127.0.0.1:$port"

cat >"$out/locustfile.py" <<'EOF'
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser


class Zero(FastHttpUser):
    wait_time = constant(0)

    @task
    def index(self):
        self.client.get("/")
EOF

# run_tool NAME: runs the tool once, prints "NAME own_rps target_rps".
run_tool() {
	local name=$1 before after own
	before=$(count)
	case $name in
	wrk)
		wrk -t2 -c"$conns" -d"${duration}s" "$url" >"$out/wrk.txt"
		own=$(awk '/^Requests\/sec:/ {print $2}' "$out/wrk.txt")
		;;
	bombardier)
		"$bombardier" -c "$conns" -d "${duration}s" -p r -o json "$url" >"$out/bombardier.json"
		own=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["result"]; print((r["req1xx"]+r["req2xx"]+r["req3xx"]+r["req4xx"]+r["req5xx"]+r["others"])/r["timeTakenSeconds"])' "$out/bombardier.json")
		;;
	hey)
		hey -z "${duration}s" -c "$conns" "$url" >"$out/hey.txt"
		own=$(awk '/Requests\/sec:/ {print $2}' "$out/hey.txt")
		;;
	locust)
		/usr/bin/locust -f "$out/locustfile.py" --headless -u "$conns" -r "$conns" -t "${duration}s" \
			--host "${url%/}" --csv "$out/locust" --only-summary >"$out/locust.txt" 2>&1
		own=$(python3 -c 'import csv,sys; print([r for r in csv.DictReader(open(sys.argv[1])) if r["Name"]=="Aggregated"][0]["Requests/s"])' "$out/locust_stats.csv")
		;;
	scalebench)
		"$sb" load --url "$url" --users "$conns" --duration "${duration}s" \
			--json "$out/scalebench.json" --csv "$out/scalebench" --hlog "$out/scalebench.hlog" >"$out/scalebench.txt" 2>&1
		own=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["load"]["total"]["rps"])' "$out/scalebench.json")
		;;
	esac
	after=$(count)
	awk -v n="$name" -v own="$own" -v d="$((after - before))" -v s="$duration" 'BEGIN {printf "%s %.0f %.0f\n", n, own, d / s}'
}

tools=(wrk bombardier hey locust scalebench)
results=$out/results.txt
: >"$results"
log "uptime: $(uptime)"
for r in $(seq "$rounds"); do
	# Rotate the order each round so that no tool always follows the same one.
	for k in $(seq 0 $((${#tools[@]} - 1))); do
		t=${tools[$(((k + r - 1) % ${#tools[@]}))]}
		log "round $r: $t (${duration}s, $conns connections)"
		run_tool "$t" | tee -a "$results" >&2
		sleep 1
	done
done

# Accuracy: p50 against a 50 ms delay, wrk --latency and scalebench.
log "accuracy: /delay?ms=50, 5s each"
wrk -t2 -c"$conns" -d5s --latency "${url}delay?ms=50" >"$out/wrk_delay.txt"
wrk_p50=$(awk '$1 == "50%" {v=$2; if (v ~ /ms$/) {sub(/ms$/, "", v); print v} else if (v ~ /us$/) {sub(/us$/, "", v); print v/1000} else {sub(/s$/, "", v); print v*1000}}' "$out/wrk_delay.txt")
"$sb" load --url "${url}delay?ms=50" --users "$conns" --duration 5s --json "$out/scalebench_delay.json" >/dev/null 2>&1
sb_p50=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["load"]["total"]["latency"]["p50_ns"]/1e6)' "$out/scalebench_delay.json")

echo
echo "Throughput (requests/s; own = the tool's report, target = counted by the target over ${duration}s), $conns connections, zero wait:"
awk '{r = ++runs[$1]; own[$1] = own[$1] " " $2; tgt[$1] = tgt[$1] " " $3; o[$1, r] = $2; g[$1, r] = $3
		if (!($1 in seen)) {order[++n] = $1; seen[$1] = 1}}
	function median(s,   a, k, i, j, t) {
		k = split(s, a, " ")
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) {t = a[i]; a[i] = a[j]; a[j] = t}
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	END {
		printf "  %-11s %10s %10s\n", "tool", "own", "target"
		for (i = 1; i <= n; i++) {t = order[i]; mo[t] = median(own[t]); mt[t] = median(tgt[t]); printf "  %-11s %10.0f %10.0f\n", t, mo[t], mt[t]}
		print ""
		print "Ratios scalebench/peer: of the medians (own report; target count), and the median of each round'"'"'s ratio (target count):"
		split("wrk:0.85 bombardier:1.0 hey:1.5 locust:", want, " ")
		for (i = 1; i <= 4; i++) {
			split(want[i], p, ":")
			rs = ""
			for (r = 1; r <= runs["scalebench"]; r++) rs = rs " " g["scalebench", r] / g[p[1], r]
			line = sprintf("  vs %-11s %5.2fx; %5.2fx; per round %5.2fx", p[1], mo["scalebench"] / mo[p[1]], mt["scalebench"] / mt[p[1]], median(rs))
			if (p[2] != "") line = line sprintf("   (target >= %s)", p[2])
			print line
		}
	}' "$results"
echo
awk -v w="$wrk_p50" -v s="$sb_p50" 'BEGIN {d = s - w; if (d < 0) d = -d; printf "Accuracy against /delay?ms=50: p50 wrk %.2f ms, scalebench %.2f ms, difference %.2f ms (target <= 1 ms)\n", w, s, d}'
if [ "$scale" != 0 ]; then
	log "scale: 10000 users, wait 1s, 60s, spawn rate 1000/s"
	/usr/bin/time -v "$sb" load --url "$url" --users 10000 --spawn-rate 1000 --wait 1s --duration 60s \
		--json "$out/scale.json" >"$out/scale.txt" 2>"$out/scale.time"
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/scale.time")
	python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["load"]; print("Scale: 10000 users, 1 s wait, 60 s: %.0f users held on average in the steady state, %.0f req/s, %d failures," % (l["check"]["users"], l["steady"]["rps"], l["total"]["failures"]), end=" ")' "$out/scale.json"
	awk -v k="$rss" 'BEGIN {printf "generator peak RSS %.0f MiB (target < 1024 MiB)\n", k / 1024}'
fi
echo "Raw outputs: $out"
