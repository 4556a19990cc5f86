#!/usr/bin/env bash
# bench/scale.sh: wall time of scaling a compose v1 service 1→5 and 5→1 with
# scalebench (package dockerctl, through bench/scalecmd) and with
# `docker-compose up -d --scale web=N --no-recreate`, on the same project,
# alternating which goes first, ROUNDS rounds (default 5). Prints every
# timing, the medians and the ratio scalebench/compose (target: ≤ 0.5).
#
# Both sides include their process start. scalebench returns once every
# replica is running (and has stayed up 500 ms); compose returns once it has
# started them. The project (internal/dockerctl/testdata/compose/scale.yml: web with
# an ephemeral published port, an anonymous and a named volume, plus an
# idle neighbour) and its image are removed on exit.
#
# Usage: bench/scale.sh            ROUNDS=9 bench/scale.sh
set -euo pipefail

rounds=${ROUNDS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
project=sbbench$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
tag=sbbench-img-$project:latest
compose_file=$root/internal/dockerctl/testdata/compose/scale.yml
export SB_IMAGE=$tag

dc() { docker-compose -p "$project" -f "$compose_file" "$@"; }
cleanup() {
	dc down -v -t 1 >/dev/null 2>&1 || true
	docker image rm -f "$tag" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CGO_ENABLED=0 go build -o "$work/sbapp" "$root/internal/dockerctl/testdata/sbapp"
go build -o "$work/scalecmd" "$root/bench/scalecmd"
"$work/scalecmd" build-image -tag "$tag" -binary "$work/sbapp"
dc up -d >/dev/null 2>&1

# timed LABEL CMD...: runs CMD, appends "LABEL seconds" to $work/times.
timed() {
	local label=$1; shift
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
	t1=$(date +%s.%N)
	awk -v l="$label" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s %.3f\n", l, b - a }' >>"$work/times"
}
count() { docker ps -q --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=web" | wc -l; }
check() { local n; n=$(count); [ "$n" -eq "$1" ] || { echo "expected $1 web replicas, found $n" >&2; exit 1; }; }

scalebench() {
	timed "scalebench-up" "$work/scalecmd" scale -project "$project" -service web -n 5; check 5
	timed "scalebench-down" "$work/scalecmd" scale -project "$project" -service web -n 1; check 1
}
compose() {
	timed "compose-up" dc up -d --scale web=5 --no-recreate; check 5
	timed "compose-down" dc up -d --scale web=1 --no-recreate; check 1
}

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(docker version -f 'engine {{.Server.Version}} API {{.Server.APIVersion}}'), $(docker-compose version --short)"
echo "# project $project, $rounds rounds, 1→5 and 5→1 each"
for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then scalebench; compose; else compose; scalebench; fi
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

awk -v rounds="$rounds" '
	{ t[$1] = t[$1] " " $2 }
	function median(s,   a, n, i, j, x) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j+1] = a[j]; a[j+1] = x }
		return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
	}
	END {
		printf "%-16s %8s   %s\n", "side-direction", "median", "every round (s)"
		split("scalebench-up compose-up scalebench-down compose-down", order, " ")
		for (k = 1; k <= 4; k++) { m[order[k]] = median(t[order[k]]); printf "%-16s %7.3fs  %s\n", order[k], m[order[k]], t[order[k]] }
		printf "ratio scalebench/compose  1→5: %.2f   5→1: %.2f   both: %.2f   (target ≤ 0.50)\n",
			m["scalebench-up"] / m["compose-up"], m["scalebench-down"] / m["compose-down"],
			(m["scalebench-up"] + m["scalebench-down"]) / (m["compose-up"] + m["compose-down"])
	}' "$work/times"
