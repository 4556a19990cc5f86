#!/usr/bin/env bash
# bench/capacity.sh: the capacity at an SLO of the demo's model scale 1 and
# 3, found twice on the demo stack: by a grid of users levels 10% apart
# (what a fixed grid needs to reach the search's resolution) and by a
# search (bracket ×2, bisect to 10%, early stop on). Runs them one after
# the other with `scalebench demo --matrix`, and prints each scale's
# capacity from both reports and both wall times, with the ratio
# search/grid (target: the same capacities within 10%, ratio ≤ 0.5).
#
# Load goes only to the demo stack on 127.0.0.1 (a free port, its own
# compose project); the stack and its image are removed by `demo` after
# each study. The matrices, logs and results stay in bench/out/capacity-*/.
#
# Usage: bench/capacity.sh           DURATION=20s bench/capacity.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/bench/out/capacity-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$work"
trap 'exit 130' INT TERM
duration=${DURATION:-15s}

go build -o "$work/scalebench" "$root/cmd/scalebench"
cp "$root/experiments/demo/image.jpeg" "$work/"

preamble() {
	cat <<YAML
name: $1
target: http://127.0.0.1:8000
compose: {project: scalebench-capbench, service: model}
scenario:
  requests:
    - {name: index, path: /}
    - {name: predict, method: POST, path: /predict, weight: 3, form: {file: "@image.jpeg"}, expect: {status: [200]}}
slo: {p95: 800ms, failures: 1%}
defaults: {spawn_rate: 50, warmup: 3s, settle: 3s, cooldown: 1s}
runs:
YAML
}
{ preamble grid; echo "  - {name: cap, scale: [1, 3], users: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 18, 20, 22, 24], duration: $duration}"; } >"$work/grid.yaml"
{ preamble search; echo "  - {name: cap, scale: [1, 3], search: {users: {from: 2, max: 24}, resolution: 10%}, duration: $duration}"; } >"$work/search.yaml"

# study NAME: runs the demo on NAME.yaml, prints its wall seconds.
study() {
	local t0 t1
	t0=$(date +%s.%N)
	if ! (cd "$work" && ./scalebench demo --matrix "$1.yaml" --out "$work/out-$1" >"$work/$1.log" 2>&1); then
		echo "capacity.sh: the $1 study failed; the end of $work/$1.log:" >&2
		tail -n 20 "$work/$1.log" >&2
		return 1
	fi
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}
grid_s=$(study grid)
search_s=$(study search)

# capacities NAME: each scale's capacity and the lowest level that broke
# the SLO, from the capacity table of NAME's report.
capacities() {
	grep -h '^| cap |' "$work"/out-"$1"/*/report/report.md |
		awk -F'|' '$3 ~ /^ *[0-9]+ *$/ {gsub(/ /,"",$3); gsub(/^ +| +$/,"",$4); gsub(/^ +| +$/,"",$6); print "scale " $3 ": " $4 " (broken at " $6 ")"}'
}
echo "grid:   ${grid_s}s"
capacities grid | sed 's/^/  /'
echo "search: ${search_s}s"
capacities search | sed 's/^/  /'
echo "wall time search/grid: $(echo "scale=2; $search_s / $grid_s" | bc)"
# The two answers compared as diff compares capacities (same SLO, same run
# name): "~" where the brackets overlap.
"$work/scalebench" diff "$work"/out-grid/*/ "$work"/out-search/*/ >"$work/diff.txt" 2>&1 || true
sed -n '/^capacity at SLO/,/^$/p' "$work/diff.txt" | grep -v '^\[met'
echo "matrices, logs and reports: $work"
