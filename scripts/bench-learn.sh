#!/usr/bin/env bash
# Times training on the dev labels and classifying all the real issues
# (rules, model and ensemble, stored) with the Go benchmark
# BenchmarkTrainAndClassify, a few runs, and prints the median. Needs
# ../shared; the import is outside the timer. Keep RUNS small on a shared
# machine.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
out=$(go test -run '^$' -bench '^BenchmarkTrainAndClassify$' -benchtime 1x -count "$runs" ./cmd/bugscope)
echo "$out" | grep -E '^Benchmark' || { echo "$out"; echo "no benchmark ran (is ../shared there?)" >&2; exit 1; }
echo "$out" | awk '/^BenchmarkTrainAndClassify/ {print $3}' | sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "median of %d runs: %.2f s\n", NR, m/1e9}'
