#!/usr/bin/env bash
# Times training on the 680 hand labels (dev and random-300) and
# classifying all the real issues (rules, model and ensemble, stored) with
# the Go benchmark BenchmarkTrainAndClassify, a few runs, and prints the
# medians of the whole and of the classification alone (budget: 10 s). Needs
# ../shared; the import is outside the timer. Keep RUNS small on a shared
# machine.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
out=$(go test -run '^$' -bench '^BenchmarkTrainAndClassify$' -benchtime 1x -count "$runs" ./cmd/bugscope)
echo "$out" | grep -E '^Benchmark' || { echo "$out"; echo "no benchmark ran (is ../shared there?)" >&2; exit 1; }
echo "$out" | awk '/^BenchmarkTrainAndClassify/ {print $3}' | sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "train and classify, median of %d runs: %.2f s\n", NR, m/1e9}'
echo "$out" | awk '/^BenchmarkTrainAndClassify/ {for (i = 1; i < NF; i++) if ($(i+1) == "classify-s") print $i}' | sort -n | awk '{a[NR]=$1} END {printf "classify alone, median of %d runs: %.2f s\n", NR, a[int((NR+1)/2)]}'
