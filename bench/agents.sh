#!/usr/bin/env bash
# bench/agents.sh: the cost of splitting the load over Swarm load agents.
#
# On the single-node swarm of this machine, the echo target (`scalebench sut
# echo` on 127.0.0.1) is loaded with the same total USERS, zero wait, for
# DURATION seconds, three ways in one go: one scalebench process, one load
# agent, and AGENTS load agents (`scalebench load --agents N`, host
# networking). For each: the merged requests against what the target
# counted (its /count endpoint, which also counts the requests still in
# flight when the load stops), the throughput, and, against /delay?ms=50,
# the merged p50 against the single process's.
#
# Prints the ratios: agents/process throughput (target ≥ 0.9) and the p50
# differences (target ≤ 1 ms). The agents' image is built once, FROM
# scratch, from this tree.
#
# Usage: bench/agents.sh     AGENTS=4 USERS=64 DURATION=10 PORT=18090 bench/agents.sh
set -euo pipefail

agents=${AGENTS:-4}
users=${USERS:-64}
duration=${DURATION:-10}
port=${PORT:-18090}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/bench/out/agents
mkdir -p "$out"
sb=$out/scalebench
(cd "$root" && CGO_ENABLED=0 go build -trimpath -o "$sb" ./cmd/scalebench)

"$sb" sut echo --addr 127.0.0.1:$port >"$out/echo.log" 2>&1 &
echo_pid=$!
trap 'kill $echo_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/count" >/dev/null && break; sleep 0.1; done

count() { curl -fs "http://127.0.0.1:$port/count" | tr -dc '0-9'; }

# one NAME PATH [--agents N]: prints "requests counted rps p50_ms"
one() {
	local name=$1 path=$2
	shift 2
	local before after
	before=$(count)
	"$sb" load --url "http://127.0.0.1:$port$path" --users "$users" --duration "${duration}s" \
		--json "$out/$name.json" "$@" >"$out/$name.txt" 2>"$out/$name.err"
	after=$(count)
	python3 - "$out/$name.json" $((after - before)) <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
t = c["load"]["total"]
print(t["requests"], sys.argv[2], "%.1f" % t["rps"], "%.3f" % (t["latency"]["p50_ns"] / 1e6))
PY
}

printf '%-22s %10s %10s %10s %8s\n' run merged counted rps p50_ms
declare -A rps p50
for mode in process agent1 agents; do
	case $mode in
	process) extra=() ;;
	agent1) extra=(--agents 1) ;;
	agents) extra=(--agents "$agents") ;;
	esac
	read -r m c r _ < <(one "$mode-fast" / "${extra[@]}")
	printf '%-22s %10s %10s %10s %8s\n' "$mode /" "$m" "$c" "$r" -
	rps[$mode]=$r
	read -r m c r p < <(one "$mode-delay" "/delay?ms=50" "${extra[@]}")
	printf '%-22s %10s %10s %10s %8s\n' "$mode /delay?ms=50" "$m" "$c" "$r" "$p"
	p50[$mode]=$p
done
python3 - "${rps[process]}" "${rps[agent1]}" "${rps[agents]}" "${p50[process]}" "${p50[agent1]}" "${p50[agents]}" "$agents" <<'PY'
import sys
rp, r1, rn, pp, p1, pn, n = map(float, sys.argv[1:])
print(f"throughput: 1 agent / process {r1/rp:.2f}x, {n:.0f} agents / process {rn/rp:.2f}x (target >= 0.9x)")
print(f"p50 at 50 ms: 1 agent {p1-pp:+.3f} ms, {n:.0f} agents {pn-pp:+.3f} ms against the process (target within 1 ms)")
PY
