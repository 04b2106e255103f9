#!/usr/bin/env bash
# Times the rule classifier on the 4,019 real issues of ../shared/data
# (BenchmarkClassifyRealIssues: rules only, all cores), five runs, and
# prints the median; then times `bugscope classify` (rules, signals and
# storage) on a scratch database, five runs, median; --all, since classify
# otherwise skips the issues whose labels are current and times nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
out=$(go test -run '^$' -bench '^BenchmarkClassifyRealIssues$' -benchtime 1x -count "$runs" ./classify)
echo "$out" | grep -E '^Benchmark' || { echo "$out"; echo "no benchmark ran (is ../shared/data there?)" >&2; exit 1; }
echo "$out" | awk '/^BenchmarkClassifyRealIssues/ {print $3}' | sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "rules only: median of %d runs: %.2f s\n", NR, m/1e9}'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bugscope" ./cmd/bugscope
"$tmp/bugscope" --db "$tmp/b.db" --quiet import ../shared/data/*.json >/dev/null
for _ in $(seq "$runs"); do
	s=$(date +%s.%N)
	"$tmp/bugscope" --db "$tmp/b.db" --quiet classify --all >/dev/null
	e=$(date +%s.%N)
	echo "$e - $s" | bc
done | sort -n | awk '{a[NR]=$1} END {printf "bugscope classify (rules, signals, storage): median of %d runs: %.2f s (%.2f-%.2f)\n", NR, a[int((NR+1)/2)], a[1], a[NR]}'
