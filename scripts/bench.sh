#!/usr/bin/env bash
# Times, with the Go benchmarks, five runs each, and prints the medians:
#   BenchmarkStudy:  the main job (import, classify and report of the real
#                    issues in ../shared/data into a fresh database);
#   BenchmarkReport: the whole report of those issues with the correction
#                    by ../shared/gold/random-300.jsonl, every figure, the
#                    Markdown, JSON and CSV, and every chart as SVG and PNG.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
for bench in BenchmarkStudy BenchmarkReport; do
	out=$(go test -run '^$' -bench "^${bench}\$" -benchtime 1x -count "$runs" ./pipeline)
	echo "$out" | grep -E '^Benchmark' || { echo "$out"; echo "no benchmark ran (is ../shared/data there?)" >&2; exit 1; }
	echo "$out" | awk -v b="$bench" '$1 ~ "^"b {print $3}' | sort -n |
		awk -v b="$bench" '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%s: median of %d runs: %.2f s (%.2f-%.2f)\n", b, NR, m/1e9, a[1]/1e9, a[NR]/1e9}'
done
