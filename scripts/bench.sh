#!/usr/bin/env bash
# Times the main job (import, classify and report of the real issues in
# ../shared/data) with the Go benchmark, five runs, and prints the median.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
out=$(go test -run '^$' -bench '^BenchmarkStudy$' -benchtime 1x -count "$runs" ./pipeline)
echo "$out" | grep -E '^Benchmark' || { echo "$out"; echo "no benchmark ran (is ../shared/data there?)" >&2; exit 1; }
echo "$out" | awk '/^BenchmarkStudy/ {print $3}' | sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "median of %d runs: %.2f s\n", NR, m/1e9}'
