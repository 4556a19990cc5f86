#!/usr/bin/env bash
# bench/agents.sh: the cost of splitting the load over Swarm load agents.
#
# On the single-node swarm of this machine, the echo target (`scalebench sut
# echo` on 127.0.0.1) is loaded with the same total USERS, zero wait, for
# DURATION seconds, three ways: one scalebench process, one load agent, and
# AGENTS load agents (`scalebench load --agents N`, host networking),
# alternated for ROUNDS rounds against / (as fast as the machine allows),
# then once each against /delay?ms=50. For each: the merged requests
# against what the target counted (its /count endpoint, which also counts
# the requests still in flight when the load stops), the throughput, and at
# 50 ms the merged p50 against the single process's.
#
# TARGET=container (default) runs the echo target in a container of its own
# (FROM scratch, host network), as a compose service would be; TARGET=host
# runs it as a plain process beside the single scalebench process, in the
# same CPU cgroup, which the agents' containers are not (see bench/README).
#
# Prints the medians of the rounds' ratios: agents/process throughput (target >= 0.9) and
# the p50 differences (target <= 1 ms). The agents' image is built once,
# FROM scratch, from this tree.
#
# Usage: bench/agents.sh     AGENTS=4 USERS=64 DURATION=10 ROUNDS=3 TARGET=container PORT=18090 bench/agents.sh
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

case ${TARGET:-container} in
container)
	printf 'FROM scratch\nCOPY scalebench /scalebench\nENTRYPOINT ["/scalebench"]\n' >"$out/Dockerfile"
	docker build -q -t scalebench-bench-echo:local -f "$out/Dockerfile" "$out" >/dev/null 2>&1
	echo_ctr=scalebench-bench-echo-$$
	docker run -d --rm --name "$echo_ctr" --network host scalebench-bench-echo:local sut echo --addr 127.0.0.1:$port >/dev/null
	trap 'docker rm -f "$echo_ctr" >/dev/null 2>&1 || true' EXIT
	;;
host)
	"$sb" sut echo --addr 127.0.0.1:$port >"$out/echo.log" 2>&1 &
	echo_pid=$!
	trap 'kill $echo_pid 2>/dev/null || true' EXIT
	;;
*) echo "TARGET must be container or host" >&2; exit 2 ;;
esac
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

printf '%-24s %10s %10s %10s %8s\n' run merged counted rps p50_ms
declare -A rps p50
extra() {
	case $1 in
	process) extra=() ;;
	agent1) extra=(--agents 1) ;;
	agents) extra=(--agents "$agents") ;;
	esac
}
for round in $(seq "${ROUNDS:-3}"); do
	for mode in process agent1 agents; do
		extra $mode
		read -r m c r _ < <(one "$mode-fast-$round" / "${extra[@]}")
		printf '%-24s %10s %10s %10s %8s\n' "$round $mode /" "$m" "$c" "$r" -
		rps[$mode]="${rps[$mode]:-} $r"
	done
done
for mode in process agent1 agents; do
	extra $mode
	read -r m c r p < <(one "$mode-delay" "/delay?ms=50" "${extra[@]}")
	printf '%-24s %10s %10s %10s %8s\n' "$mode /delay?ms=50" "$m" "$c" "$r" "$p"
	p50[$mode]=$p
done
python3 - "${rps[process]}" "${rps[agent1]}" "${rps[agents]}" "${p50[process]}" "${p50[agent1]}" "${p50[agents]}" "$agents" <<'PY'
import statistics, sys
rp, r1, rn = ([float(x) for x in a.split()] for a in sys.argv[1:4])
pp, p1, pn, n = map(float, sys.argv[4:])
m = statistics.median
print("rounds (agents/process in the same round): 1 agent "
      + " ".join(f"{a/b:.2f}" for a, b in zip(r1, rp)) + f", {n:.0f} agents "
      + " ".join(f"{a/b:.2f}" for a, b in zip(rn, rp)))
q1 = [a / b for a, b in zip(r1, rp)]
qn = [a / b for a, b in zip(rn, rp)]
print(f"throughput, median of the rounds' ratios: 1 agent / process {m(q1):.2f}x, "
      f"{n:.0f} agents / process {m(qn):.2f}x (target >= 0.9x); process median {m(rp):.0f} req/s")
print(f"p50 at 50 ms: 1 agent {p1-pp:+.3f} ms, {n:.0f} agents {pn-pp:+.3f} ms against the process (target within 1 ms)")
PY
